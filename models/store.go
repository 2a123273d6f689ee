package models

import (
	"context"
	"errors"
	"fmt"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// Store is the typed access to runs, export rows and plan entries that the
// API, the task starters and the workers share. Writes name the event, not
// the columns: the column names live here and in the migrations only. It is
// batch-first where the callers are (rows and entries by the page), so a
// later COPY or multi-row form can replace a method without touching them.
type Store struct {
	db *gorm.DB
}

// NewStore wraps a database handle.
func NewStore(db *gorm.DB) Store { return Store{db: db} }

// Transaction runs fn with a Store bound to one transaction.
func (s Store) Transaction(ctx context.Context, fn func(tx Store) error) error {
	return s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error { return fn(Store{db: tx}) })
}

// Connection loads one connection.
func (s Store) Connection(ctx context.Context, id uint) (WUGConnection, error) {
	var conn WUGConnection
	if err := s.db.WithContext(ctx).First(&conn, id).Error; err != nil {
		return conn, fmt.Errorf("load connection %d: %w", id, err)
	}
	return conn, nil
}

// ExportConnections lists the active, export-enabled connections in id
// order; only the one with id when id is not 0.
func (s Store) ExportConnections(ctx context.Context, id uint) ([]WUGConnection, error) {
	q := s.exporting(ctx)
	if id != 0 {
		q = q.Where("id = ?", id)
	}
	var conns []WUGConnection
	if err := q.Order("id").Find(&conns).Error; err != nil {
		return nil, fmt.Errorf("list exporting connections: %w", err)
	}
	return conns, nil
}

// CountExportConnections counts what ExportConnections(ctx, 0) lists.
func (s Store) CountExportConnections(ctx context.Context) (int64, error) {
	var n int64
	if err := s.exporting(ctx).Count(&n).Error; err != nil {
		return 0, fmt.Errorf("count exporting connections: %w", err)
	}
	return n, nil
}

// CountVMExportConnections counts the connections ExportConnections lists
// that export virtual machines too.
func (s Store) CountVMExportConnections(ctx context.Context) (int64, error) {
	var n int64
	if err := s.exporting(ctx).Where("export_virtual_machines = ?", true).Count(&n).Error; err != nil {
		return 0, fmt.Errorf("count connections exporting virtual machines: %w", err)
	}
	return n, nil
}

func (s Store) exporting(ctx context.Context) *gorm.DB {
	return s.db.WithContext(ctx).Model(&WUGConnection{}).Where("is_active = ? AND enable_netbox_export = ?", true, true)
}

// RecordExport stamps a connection's last completed export.
func (s Store) RecordExport(ctx context.Context, connID uint, at time.Time) error {
	if err := s.db.WithContext(ctx).Model(&WUGConnection{}).Where("id = ?", connID).
		UpdateColumn("last_export", at).Error; err != nil {
		return fmt.Errorf("record last export of connection %d: %w", connID, err)
	}
	return nil
}

// Run loads one run.
func (s Store) Run(ctx context.Context, id uint) (WUGSyncLog, error) {
	var run WUGSyncLog
	if err := s.db.WithContext(ctx).First(&run, id).Error; err != nil {
		return run, fmt.Errorf("load run %d: %w", id, err)
	}
	return run, nil
}

// CreateRun records a new run.
func (s Store) CreateRun(ctx context.Context, run *WUGSyncLog) error {
	return s.db.WithContext(ctx).Create(run).Error
}

// ActiveExport returns the queued or running export of a connection, or
// ErrNotFound.
func (s Store) ActiveExport(ctx context.Context, connID uint) (WUGSyncLog, error) {
	var run WUGSyncLog
	err := s.db.WithContext(ctx).
		Where("connection_id = ? AND sync_type = ? AND status IN ?", connID, SyncExport,
			[]RunStatus{RunQueued, RunRunning}).
		Order("id").First(&run).Error
	if err != nil {
		return WUGSyncLog{}, fmt.Errorf("find active run of connection %d: %w", connID, err)
	}
	return run, nil
}

// OpenRuns lists the queued and running runs.
func (s Store) OpenRuns(ctx context.Context) ([]WUGSyncLog, error) {
	var runs []WUGSyncLog
	if err := s.db.WithContext(ctx).Where("status IN ?", []RunStatus{RunQueued, RunRunning}).
		Find(&runs).Error; err != nil {
		return nil, fmt.Errorf("list open runs: %w", err)
	}
	return runs, nil
}

// QueuedRuns loads the runs of ids that are still queued: the one-device
// runs the API recorded for a person waiting on them. A retry finds them
// ended and records new ones.
func (s Store) QueuedRuns(ctx context.Context, ids []uint) ([]WUGSyncLog, error) {
	var runs []WUGSyncLog
	if len(ids) == 0 {
		return runs, nil
	}
	if err := s.db.WithContext(ctx).Where("id IN ? AND status = ?", ids, RunQueued).Find(&runs).Error; err != nil {
		return nil, fmt.Errorf("load requested runs: %w", err)
	}
	return runs, nil
}

// ClaimQueuedRun starts the queued run id and loads it into run; it reports
// false when the run is no longer queued (another task took it, or it
// ended).
func (s Store) ClaimQueuedRun(ctx context.Context, id uint, now time.Time, run *WUGSyncLog) (bool, error) {
	res := s.db.WithContext(ctx).Model(&WUGSyncLog{}).
		Where("id = ? AND status = ?", id, RunQueued).
		Updates(map[string]any{"status": RunRunning, "started_at": now})
	if res.Error != nil {
		return false, fmt.Errorf("start requested run %d: %w", id, res.Error)
	}
	if res.RowsAffected != 1 {
		return false, nil
	}
	if err := s.db.WithContext(ctx).First(run, id).Error; err != nil {
		return false, fmt.Errorf("load requested run %d: %w", id, err)
	}
	return true, nil
}

// MarkRunRunning moves a queued or running run to running, stamping its
// start when it has none.
func (s Store) MarkRunRunning(ctx context.Context, run *WUGSyncLog, now time.Time) error {
	updates := map[string]any{"status": RunRunning}
	if run.StartedAt == nil {
		updates["started_at"] = now
		run.StartedAt = &now
	}
	err := s.db.WithContext(ctx).Model(&WUGSyncLog{}).
		Where("id = ? AND status IN ?", run.ID, []RunStatus{RunQueued, RunRunning}).
		Updates(updates).Error
	if err != nil {
		return fmt.Errorf("mark run %d running: %w", run.ID, err)
	}
	run.Status = RunRunning
	return nil
}

// EndRun ends an open run with status (failed or cancelled) and the
// message; summary is left alone when empty. It reports whether the run was
// still open.
func (s Store) EndRun(ctx context.Context, runID uint, status RunStatus, message, summary string, at time.Time) (bool, error) {
	updates := map[string]any{"status": status, "ended_at": at, "error_message": message}
	if summary != "" {
		updates["summary"] = summary
	}
	res := s.db.WithContext(ctx).Model(&WUGSyncLog{}).
		Where("id = ? AND status IN ?", runID, []RunStatus{RunQueued, RunRunning}).Updates(updates)
	if res.Error != nil {
		return false, fmt.Errorf("end run %d: %w", runID, res.Error)
	}
	return res.RowsAffected > 0, nil
}

// PlanCounts are the counters known once a run's plan is complete.
type PlanCounts struct {
	Total, Unchanged, Skipped int
	// Excluded counts the status exclusions, outside Total.
	Excluded int
	// DryRun counts and sums up what a dry run would write.
	DryRun           bool
	Created, Updated int
	Summary          string
}

// StorePlanCounts stores the counters of a complete plan.
func (s Store) StorePlanCounts(ctx context.Context, runID uint, c PlanCounts) error {
	updates := map[string]any{"devices_total": c.Total, "devices_unchanged": c.Unchanged, "devices_skipped": c.Skipped,
		"devices_excluded": c.Excluded}
	if c.DryRun {
		updates["devices_created"], updates["devices_updated"], updates["summary"] = c.Created, c.Updated, c.Summary
	}
	if err := s.db.WithContext(ctx).Model(&WUGSyncLog{}).Where("id = ?", runID).Updates(updates).Error; err != nil {
		return fmt.Errorf("store plan counts of run %d: %w", runID, err)
	}
	return nil
}

// MarkRunPlanned records that a run's plan is complete with its number of
// batches.
func (s Store) MarkRunPlanned(ctx context.Context, run *WUGSyncLog, at time.Time, batches int) error {
	if err := s.db.WithContext(ctx).Model(&WUGSyncLog{}).Where("id = ?", run.ID).
		Updates(map[string]any{"planned_at": at, "batches_total": batches}).Error; err != nil {
		return fmt.Errorf("mark run %d planned: %w", run.ID, err)
	}
	run.PlannedAt, run.BatchesTotal = &at, batches
	return nil
}

// LockRun loads a run and holds its row until the transaction ends (on
// PostgreSQL; SQLite has one writer anyway). Use it inside Transaction.
// The lock is FOR NO KEY UPDATE: every row and entry a batch stores names
// the run in a foreign key, whose check takes a KEY SHARE lock on the
// run's row, and FOR UPDATE would make every concurrent batch's store wait
// for the one that holds the run.
func (s Store) LockRun(ctx context.Context, runID uint) (WUGSyncLog, error) {
	var run WUGSyncLog
	if err := s.db.WithContext(ctx).Clauses(clause.Locking{Strength: "NO KEY UPDATE"}).First(&run, runID).Error; err != nil {
		return run, fmt.Errorf("load run %d: %w", runID, err)
	}
	return run, nil
}

// BatchSums are a run's batch tallies added up.
type BatchSums struct {
	Created, Updated, Decommissioned, Failed, Scanning int
	// Done counts the batches with nothing pending.
	Done int
}

// SumBatches adds up the tallies of a run's batches.
func (s Store) SumBatches(ctx context.Context, runID uint) (BatchSums, error) {
	var sum BatchSums
	if err := s.db.WithContext(ctx).Model(&RunBatch{}).Where("sync_log_id = ?", runID).
		Select(`COALESCE(SUM(created), 0) AS created, COALESCE(SUM(updated), 0) AS updated,
			COALESCE(SUM(decommissioned), 0) AS decommissioned, COALESCE(SUM(failed), 0) AS failed,
			COALESCE(SUM(scanning), 0) AS scanning,
			COALESCE(SUM(CASE WHEN pending = 0 THEN 1 ELSE 0 END), 0) AS done`).
		Scan(&sum).Error; err != nil {
		return sum, fmt.Errorf("sum batches of run %d: %w", runID, err)
	}
	return sum, nil
}

// RunProgress is what a finished batch moves on its run.
type RunProgress struct {
	BatchesDone int
	// Devices carries the write counters; a dry run's come from its plan.
	Devices                  bool
	Created, Updated, Failed int
	// Unchanged, when set, replaces the plan's unchanged count (a batch
	// may find a planned create already made by another task).
	Unchanged *int
	// Closed, when set, completes the run with this summary.
	Closed  *time.Time
	Summary string
}

// StoreRunProgress writes a run's progress.
func (s Store) StoreRunProgress(ctx context.Context, runID uint, p RunProgress) error {
	updates := map[string]any{"batches_done": p.BatchesDone}
	if p.Devices {
		updates["devices_created"], updates["devices_updated"], updates["devices_failed"] = p.Created, p.Updated, p.Failed
	}
	if p.Unchanged != nil {
		updates["devices_unchanged"] = *p.Unchanged
	}
	if p.Closed != nil {
		updates["status"], updates["ended_at"], updates["summary"] = RunCompleted, *p.Closed, p.Summary
	}
	if err := s.db.WithContext(ctx).Model(&WUGSyncLog{}).Where("id = ?", runID).Updates(updates).Error; err != nil {
		return fmt.Errorf("update run %d: %w", runID, err)
	}
	return nil
}

// IsNotFound reports whether err says a record does not exist.
func IsNotFound(err error) bool { return errors.Is(err, gorm.ErrRecordNotFound) }
