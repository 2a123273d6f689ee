package models

import (
	"context"
	"fmt"
	"time"

	"gorm.io/gorm/clause"
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
	for _, t := range ObjectTypes() {
		// UPDATE … FROM numbers every entry of a type in one pass on both
		// databases; a correlated subquery would recompute the numbering
		// per row. The type's batches follow the previous type's.
		err := db.Exec(`UPDATE sync_plan_entries SET batch = numbered.b
			FROM (SELECT id, (ROW_NUMBER() OVER (ORDER BY netbox_object_id) - 1) / ? + 1 + ? AS b
			      FROM sync_plan_entries WHERE sync_log_id = ? AND object_type = ? AND action IN ?) AS numbered
			WHERE sync_plan_entries.id = numbered.id`,
			size, batches, runID, t, writes).Error
		if err != nil {
			return 0, fmt.Errorf("number plan batches: %w", err)
		}
		if err := s.entries(ctx, runID).Select("COALESCE(MAX(batch), 0)").Scan(&batches).Error; err != nil {
			return 0, fmt.Errorf("count plan batches: %w", err)
		}
	}
	if err := db.Where("sync_log_id = ?", runID).Delete(&RunBatch{}).Error; err != nil {
		return 0, fmt.Errorf("clear batch tallies: %w", err)
	}
	err := db.Exec(`INSERT INTO sync_run_batches (sync_log_id, batch, pending, updated_at)
		SELECT sync_log_id, batch, COUNT(*), ? FROM sync_plan_entries
		WHERE sync_log_id = ? AND batch > 0 GROUP BY sync_log_id, batch`, now, runID).Error
	if err != nil {
		return 0, fmt.Errorf("create batch tallies: %w", err)
	}
	return batches, nil
}

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

// StoreTally writes the tally row of one batch.
func (s Store) StoreTally(ctx context.Context, t RunBatch) error {
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
