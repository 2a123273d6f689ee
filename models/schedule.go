package models

import (
	"context"
	"fmt"
	"time"

	"gorm.io/gorm"
)

// NextExportAt is when the scheduler starts the connection's next periodic
// export: one export interval after the later of its creation and its
// latest export run (lastRun, nil when it has none; dry runs do not
// count). So creating a connection writes nothing to WUG: the first
// scheduled run comes one interval after the creation, or one interval
// after the export a person started, whichever comes first (DESIGN.md §5).
// It is nil when the connection has no periodic export (inactive, or
// export disabled). The time may be past: the run is then due at the
// scheduler's next tick.
func (c WUGConnection) NextExportAt(lastRun *time.Time) *time.Time {
	if !c.IsActive || !c.EnableNetBoxExport {
		return nil
	}
	base := c.CreatedAt
	if lastRun != nil && lastRun.After(base) {
		base = *lastRun
	}
	next := base.Add(time.Duration(max(c.ExportIntervalMinutes, 1)) * time.Minute).UTC()
	return &next
}

// LastExportRuns returns, for each of the connections, when its latest
// export run (not a dry run) was created: the start of the interval that
// NextExportAt counts. Connections without one are absent.
func LastExportRuns(ctx context.Context, db *gorm.DB, connectionIDs ...uint) (map[uint]time.Time, error) {
	out := map[uint]time.Time{}
	if len(connectionIDs) == 0 {
		return out, nil
	}
	var rows []struct {
		ConnectionID uint
		ID           uint
	}
	// The latest run by id, then its created_at: SQLite returns MAX() of a
	// time column as text, which the driver cannot scan into a time.
	if err := db.WithContext(ctx).Model(&WUGSyncLog{}).Select("connection_id, MAX(id) AS id").
		Where("connection_id IN ? AND sync_type = ? AND dry_run = ?", connectionIDs, SyncExport, false).
		Group("connection_id").Scan(&rows).Error; err != nil {
		return nil, fmt.Errorf("find latest export runs: %w", err)
	}
	if len(rows) == 0 {
		return out, nil
	}
	ids := make([]uint, len(rows))
	for i, r := range rows {
		ids[i] = r.ID
	}
	var runs []WUGSyncLog
	if err := db.WithContext(ctx).Select("id, connection_id, created_at").Where("id IN ?", ids).Find(&runs).Error; err != nil {
		return nil, fmt.Errorf("load latest export runs: %w", err)
	}
	for _, r := range runs {
		out[r.ConnectionID] = r.CreatedAt
	}
	return out, nil
}
