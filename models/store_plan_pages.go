package models

import (
	"context"
	"fmt"
	"time"
)

// LastBatch is the highest batch number a run has a tally for: a plan that
// starts again after a crash numbers its batches after it, because batch
// tasks of the earlier attempt may already be queued or done under those
// numbers (their entries are gone; they finish with nothing to do).
func (s Store) LastBatch(ctx context.Context, runID uint) (int, error) {
	var last int
	if err := s.db.WithContext(ctx).Model(&RunBatch{}).Where("sync_log_id = ?", runID).
		Select("COALESCE(MAX(batch), 0)").Scan(&last).Error; err != nil {
		return 0, fmt.Errorf("last batch of run %d: %w", runID, err)
	}
	return last, nil
}

// OpenBatches creates the tallies of batches from..to of a run, each with
// its entries pending, once the plan has numbered them for good: from then
// on their tasks may run while the plan goes on with later pages.
//
// The run's first opening of analyzeOpened batches or more also refreshes
// PostgreSQL's statistics (RefreshStatistics), once the first page's rows
// and entries are stored: a pipelined plan never reaches NumberBatches'
// refresh before its batches run, and autovacuum looks a minute later at
// best. Without statistics of this connection's rows (a first export, or
// tables last analysed before the connection existed) PostgreSQL takes
// "connection and type" for one row, walks every row of the connection and
// filters the batch's ids: each of a batch's row statements cost O(N)
// (11 ms at 10,000 rows, 0.2 ms after the refresh), so a run O(N²).
func (s Store) OpenBatches(ctx context.Context, runID uint, from, to int, now time.Time) error {
	res := s.db.WithContext(ctx).Exec(`INSERT INTO sync_run_batches (sync_log_id, batch, pending, updated_at)
		SELECT sync_log_id, batch, COUNT(*), ? FROM sync_plan_entries
		WHERE sync_log_id = ? AND batch BETWEEN ? AND ? GROUP BY sync_log_id, batch`, now, runID, from, to)
	if res.Error != nil {
		return fmt.Errorf("open batches %d to %d of run %d: %w", from, to, runID, res.Error)
	}
	if from == 1 && res.RowsAffected >= analyzeOpened {
		return s.RefreshStatistics(ctx)
	}
	return nil
}

// analyzeOpened is how many batches a run's first opening must hold for
// OpenBatches to refresh the statistics: a run of fewer batches pays the
// unindexed walk a few times at most, less than one sampled pass of the
// tables (a webhook's one-device runs never pay it).
const analyzeOpened = 3

// EntryName is the object name a run's plan entry stores; "" when the run
// has no entry for key.
func (s Store) EntryName(ctx context.Context, runID uint, key RowKey) (string, error) {
	var names []string
	if err := s.entry(ctx, runID, key).Limit(1).Pluck("device_name", &names).Error; err != nil {
		return "", fmt.Errorf("name of %s %d in run %d: %w", key.ObjectType, key.ObjectID, runID, err)
	}
	if len(names) == 0 {
		return "", nil
	}
	return names[0], nil
}

// ResetTallies zeroes the batch tallies of a run whose plan starts again:
// the entries they counted are gone, and the new plan decides those
// objects afresh (what an earlier attempt's batch wrote, it finds exported
// and unchanged), so nothing is counted twice.
func (s Store) ResetTallies(ctx context.Context, runID uint, now time.Time) error {
	err := s.db.WithContext(ctx).Model(&RunBatch{}).Where("sync_log_id = ?", runID).Updates(map[string]any{
		"created": 0, "updated": 0, "decommissioned": 0, "failed": 0, "scanning": 0, "pending": 0, "updated_at": now,
	}).Error
	if err != nil {
		return fmt.Errorf("reset the batch tallies of run %d: %w", runID, err)
	}
	return nil
}
