package models

import (
	"context"
	"errors"
	"fmt"
	"time"

	"gorm.io/gorm"
)

// LastSyncBase returns the newest completed export run of a connection that
// an incremental run may start from (it recorded NetBoxSince), and the
// newest completed full one (which bounds how long incremental runs may go
// on without a full reconcile). Either is nil when there is none.
func (s Store) LastSyncBase(ctx context.Context, connID uint) (base, full *WUGSyncLog, err error) {
	q := func() *gorm.DB {
		return s.db.WithContext(ctx).Where("connection_id = ? AND sync_type = ? AND status = ? AND dry_run = ? AND netbox_since IS NOT NULL",
			connID, SyncExport, RunCompleted, false)
	}
	var b WUGSyncLog
	switch err := q().Where("mode IN ?", []RunMode{ModeFull, ModeIncremental}).Order("id DESC").First(&b).Error; {
	case errors.Is(err, gorm.ErrRecordNotFound):
		return nil, nil, nil
	case err != nil:
		return nil, nil, fmt.Errorf("find the last export of connection %d: %w", connID, err)
	}
	if b.Mode == ModeFull {
		return &b, &b, nil
	}
	var f WUGSyncLog
	switch err := q().Where("mode = ?", ModeFull).Order("id DESC").First(&f).Error; {
	case errors.Is(err, gorm.ErrRecordNotFound):
		return &b, nil, nil
	case err != nil:
		return nil, nil, fmt.Errorf("find the last full export of connection %d: %w", connID, err)
	}
	return &b, &f, nil
}

// SetRunMode records how a run read NetBox, the time the next incremental
// run may ask for changes from (nil: the next run is full) and the hash of
// the settings it planned with.
func (s Store) SetRunMode(ctx context.Context, run *WUGSyncLog, mode RunMode, since *time.Time, configHash string) error {
	if err := s.db.WithContext(ctx).Model(&WUGSyncLog{}).Where("id = ?", run.ID).
		Updates(map[string]any{"mode": mode, "netbox_since": since, "config_hash": configHash}).Error; err != nil {
		return fmt.Errorf("record the mode of run %d: %w", run.ID, err)
	}
	run.Mode, run.NetBoxSince, run.ConfigHash = mode, since, configHash
	return nil
}

// UnsettledObjects lists, by object type, the objects of a connection whose
// row still waits for WUG (pending), failed (error), or is linked to a WUG
// device that never got wugsync's fields (no payload hash: a device a
// discovery scan found): an incremental run plans them again, as a full one
// would, although NetBox did not change them.
func (s Store) UnsettledObjects(ctx context.Context, connID uint) (map[ObjectType][]int64, error) {
	var rows []struct {
		ObjectType     ObjectType `gorm:"column:object_type"`
		NetBoxObjectID int64      `gorm:"column:netbox_object_id"`
	}
	if err := s.rows(ctx, connID).Where("export_status IN ? OR (export_status IN ? AND wug_device_id <> '' AND payload_hash = '')",
		[]ExportStatus{ExportPending, ExportError}, []ExportStatus{ExportExported, ExportScanCompleted}).
		Select("object_type, netbox_object_id").Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("list unsettled rows of connection %d: %w", connID, err)
	}
	out := map[ObjectType][]int64{}
	for _, r := range rows {
		out[r.ObjectType] = append(out[r.ObjectType], r.NetBoxObjectID)
	}
	return out, nil
}

// ObjectsAtAddresses lists, by object type, the objects whose row on a
// connection holds one of addrs: the other side of an IP conflict that a
// changed object may have ended.
func (s Store) ObjectsAtAddresses(ctx context.Context, connID uint, addrs []string) (map[ObjectType][]int64, error) {
	out := map[ObjectType][]int64{}
	for start := 0; start < len(addrs); start += 500 {
		chunk := addrs[start:min(start+500, len(addrs))]
		var rows []struct {
			ObjectType     ObjectType `gorm:"column:object_type"`
			NetBoxObjectID int64      `gorm:"column:netbox_object_id"`
		}
		if err := s.rows(ctx, connID).Where("ip_address IN ?", chunk).
			Select("object_type, netbox_object_id").Find(&rows).Error; err != nil {
			return nil, fmt.Errorf("list rows at changed addresses on connection %d: %w", connID, err)
		}
		for _, r := range rows {
			out[r.ObjectType] = append(out[r.ObjectType], r.NetBoxObjectID)
		}
	}
	return out, nil
}

// CountCarriedUnchanged counts the objects an incremental run carries over
// unchanged without planning them: the rows of the connection exported (or
// waiting for or done with a discovery scan) that the run has no plan entry
// for. A full run would have found each of them unchanged, so the run
// counts them as such and its counters describe the whole selection.
func (s Store) CountCarriedUnchanged(ctx context.Context, connID, runID uint) (int, error) {
	var n int64
	err := s.rows(ctx, connID).
		Where("export_status IN ?", []ExportStatus{ExportExported, ExportScanCompleted, ExportScanTriggered}).
		Where("NOT EXISTS (SELECT 1 FROM sync_plan_entries e WHERE e.sync_log_id = ? AND e.object_type = netbox_ip_exports.object_type AND e.netbox_object_id = netbox_ip_exports.netbox_object_id)", runID).
		Count(&n).Error
	if err != nil {
		return 0, fmt.Errorf("count the rows run %d carries over: %w", runID, err)
	}
	return int(n), nil
}
