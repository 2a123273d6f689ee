package models

import (
	"context"
	"fmt"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/wugsync/wugsync/config"
)

// NumberBatches numbers a run's writing entries into batches of size in
// object order, resets the batch tallies to every batch's pending count (so
// a run's sums are complete before any batch ran), and returns the number
// of batches. A batch holds objects of one type only (devices first, then
// virtual machines), so it reads them from NetBox in one call and keys
// them by id.
func (s Store) NumberBatches(ctx context.Context, runID uint, size int, writes []PlanAction, now time.Time) (int, error) {
	db := s.db.WithContext(ctx)
	var batches int
	var numbered int64
	for _, t := range ObjectTypes() {
		// UPDATE … FROM numbers every entry of a type in one pass on both
		// databases; a correlated subquery would recompute the numbering
		// per row. The type's batches follow the previous type's.
		res := db.Exec(`UPDATE sync_plan_entries SET batch = numbered.b
			FROM (SELECT id, (ROW_NUMBER() OVER (ORDER BY netbox_object_id) - 1) / ? + 1 + ? AS b
			      FROM sync_plan_entries WHERE sync_log_id = ? AND object_type = ? AND action IN ?) AS numbered
			WHERE sync_plan_entries.id = numbered.id`,
			size, batches, runID, t, writes)
		if res.Error != nil {
			return 0, fmt.Errorf("number plan batches: %w", res.Error)
		}
		numbered += res.RowsAffected
		if err := s.entries(ctx, runID).Select("COALESCE(MAX(batch), 0)").Scan(&batches).Error; err != nil {
			return 0, fmt.Errorf("count plan batches: %w", err)
		}
	}
	if err := db.Where("sync_log_id = ?", runID).Delete(&RunBatch{}).Error; err != nil {
		return 0, fmt.Errorf("clear batch tallies: %w", err)
	}
	// The run's counters follow its batch tallies by differences
	// (AddRunProgress), so they start again from nothing with the tallies.
	if err := db.Model(&WUGSyncLog{}).Where("id = ?", runID).Updates(map[string]any{"batches_done": 0,
		"devices_created": 0, "devices_updated": 0, "devices_failed": 0}).Error; err != nil {
		return 0, fmt.Errorf("reset the counters of run %d: %w", runID, err)
	}
	err := db.Exec(`INSERT INTO sync_run_batches (sync_log_id, batch, pending, updated_at)
		SELECT sync_log_id, batch, COUNT(*), ? FROM sync_plan_entries
		WHERE sync_log_id = ? AND batch > 0 GROUP BY sync_log_id, batch`, now, runID).Error
	if err != nil {
		return 0, fmt.Errorf("create batch tallies: %w", err)
	}
	if numbered >= analyzeAbove {
		if err := s.RefreshStatistics(ctx); err != nil {
			return 0, err
		}
	}
	return batches, nil
}

// RefreshStatistics brings PostgreSQL's planner statistics of the export
// tables up to date; SQLite needs none (its planner's rules pick the
// indexes). Planning writes rows and entries faster than autovacuum
// notices (a minute at best), and with the statistics of the tables as
// they were (empty, or without this connection) PostgreSQL takes "the rows
// of these 100 objects" for one row and walks every row of the connection
// instead of looking the 100 up (measured at 100,000 rows: 69 ms against
// 0.07 ms): each batch would cost O(N). Fresh statistics cost one sampled
// pass, at most 30,000 rows a table.
func (s Store) RefreshStatistics(ctx context.Context) error {
	if Dialect(s.db) != config.DatabasePostgres {
		return nil
	}
	if err := s.db.WithContext(ctx).Exec("ANALYZE netbox_ip_exports, sync_plan_entries, sync_run_batches").Error; err != nil {
		return fmt.Errorf("refresh planner statistics: %w", err)
	}
	return nil
}

// analyzeAbove is the number of writing entries from which NumberBatches
// refreshes PostgreSQL's statistics: below it a run is a few batches, and
// a webhook storm's one-device runs must not each pay an ANALYZE.
const analyzeAbove = 1000

// EntryCount is how many entries of a run have one action and outcome (and
// whether they are status exclusions).
type EntryCount struct {
	Action   PlanAction
	Outcome  Outcome
	Excluded bool
	N        int
}

// CountEntries counts a run's entries (one batch's when batch > 0) by
// action, outcome and exclusion.
func (s Store) CountEntries(ctx context.Context, runID uint, batch int) ([]EntryCount, error) {
	q := s.entries(ctx, runID).Select("action, outcome, excluded, COUNT(*) AS n")
	if batch > 0 {
		q = q.Where("batch = ?", batch)
	}
	var counts []EntryCount
	if err := q.Group("action, outcome, excluded").Scan(&counts).Error; err != nil {
		return nil, fmt.Errorf("count run %d: %w", runID, err)
	}
	return counts, nil
}

// StoreTally writes the tally row of one batch and returns the row it
// replaced (ok false when there was none), so the caller can move the
// run's counters by the difference instead of summing every batch.
func (s Store) StoreTally(ctx context.Context, t RunBatch) (prev RunBatch, ok bool, err error) {
	if prev, ok, err = s.LockTally(ctx, t.RunID, t.Batch); err != nil {
		return prev, false, err
	}
	return prev, ok, s.PutTally(ctx, t)
}

// LockTally loads the tally row of one batch (ok false when there is
// none) and holds it until the transaction ends (on PostgreSQL; SQLite
// has one writer anyway), so two attempts at one batch settle one after
// the other while other batches settle alongside: a settle takes its
// run's row only for the statement that moves the counters
// (MoveRunProgress), not for its whole transaction.
func (s Store) LockTally(ctx context.Context, runID uint, batch int) (RunBatch, bool, error) {
	var found []RunBatch
	if err := s.db.WithContext(ctx).Clauses(clause.Locking{Strength: "UPDATE"}).
		Where("sync_log_id = ? AND batch = ?", runID, batch).Limit(1).Find(&found).Error; err != nil {
		return RunBatch{}, false, fmt.Errorf("load tally of batch %d of run %d: %w", batch, runID, err)
	}
	if len(found) == 0 {
		return RunBatch{}, false, nil
	}
	return found[0], true, nil
}

// PutTally writes the tally row of one batch, created or replaced.
func (s Store) PutTally(ctx context.Context, t RunBatch) error {
	err := s.db.WithContext(ctx).Clauses(clause.OnConflict{
		Columns: []clause.Column{{Name: "sync_log_id"}, {Name: "batch"}},
		DoUpdates: clause.AssignmentColumns([]string{"created", "updated", "decommissioned", "failed",
			"scanning", "pending", "updated_at"}),
	}).Create(&t).Error
	if err != nil {
		return fmt.Errorf("store tally of batch %d of run %d: %w", t.Batch, t.RunID, err)
	}
	return nil
}

// UnfinishedBatches lists the batches of a run whose tally has entries
// pending.
func (s Store) UnfinishedBatches(ctx context.Context, runID uint) ([]int, error) {
	var batches []int
	if err := s.db.WithContext(ctx).Model(&RunBatch{}).Where("sync_log_id = ? AND pending > 0", runID).
		Pluck("batch", &batches).Error; err != nil {
		return nil, fmt.Errorf("unfinished batches of run %d: %w", runID, err)
	}
	return batches, nil
}

// RunDelta is how one batch's new tally moves its run's counters.
type RunDelta struct {
	BatchesDone              int
	Created, Updated, Failed int
}

// Zero reports whether the delta moves nothing.
func (d RunDelta) Zero() bool { return d == RunDelta{} }

// AddRunProgress moves a run's counters by d in one statement; devices
// false moves only batches_done (a dry run's counters come from its plan).
// Use it inside Transaction with the run locked (LockRun), next to the
// StoreTally the delta comes from, so the counters never drift from the
// tallies.
func (s Store) AddRunProgress(ctx context.Context, runID uint, d RunDelta, devices bool) error {
	updates := map[string]any{"batches_done": gorm.Expr("batches_done + ?", d.BatchesDone)}
	if devices {
		updates["devices_created"] = gorm.Expr("devices_created + ?", d.Created)
		updates["devices_updated"] = gorm.Expr("devices_updated + ?", d.Updated)
		updates["devices_failed"] = gorm.Expr("devices_failed + ?", d.Failed)
	}
	if err := s.db.WithContext(ctx).Model(&WUGSyncLog{}).Where("id = ?", runID).Updates(updates).Error; err != nil {
		return fmt.Errorf("move the counters of run %d: %w", runID, err)
	}
	return nil
}

// MoveRunProgress moves the counters of a running run by d (its device
// counters only when it is not a dry run, whose counters come from its
// plan) and returns the run as it now is, its row held until the
// transaction ends: one statement where LockRun and AddRunProgress took
// two, and the run's row is held only from here to the commit. ok is
// false, and nothing moved, when the run is not running.
func (s Store) MoveRunProgress(ctx context.Context, runID uint, d RunDelta) (WUGSyncLog, bool, error) {
	var runs []WUGSyncLog
	err := s.db.WithContext(ctx).Raw(`UPDATE wug_sync_logs SET batches_done = batches_done + ?,
		devices_created = devices_created + CASE WHEN dry_run THEN 0 ELSE ? END,
		devices_updated = devices_updated + CASE WHEN dry_run THEN 0 ELSE ? END,
		devices_failed = devices_failed + CASE WHEN dry_run THEN 0 ELSE ? END,
		updated_at = ?
		WHERE id = ? AND status = ? RETURNING *`,
		d.BatchesDone, d.Created, d.Updated, d.Failed, s.db.NowFunc(), runID, RunRunning).Scan(&runs).Error
	if err != nil {
		return WUGSyncLog{}, false, fmt.Errorf("move the counters of run %d: %w", runID, err)
	}
	if len(runs) == 0 {
		return WUGSyncLog{}, false, nil
	}
	return runs[0], true, nil
}
