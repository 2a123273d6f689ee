package workers

import (
	"context"
	"fmt"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/wugsync/wugsync/models"
)

// updateRow changes the export row of one device on one connection.
func (w *Worker) updateRow(ctx context.Context, connID uint, deviceID int64, updates map[string]any) error {
	return updateRowIn(ctx, w.p.DB, connID, deviceID, updates)
}

func updateRowIn(ctx context.Context, db *gorm.DB, connID uint, deviceID int64, updates map[string]any) error {
	err := db.WithContext(ctx).Model(&models.NetBoxIPExport{}).
		Where("connection_id = ? AND netbox_device_id = ?", connID, deviceID).Updates(updates).Error
	if err != nil {
		return fmt.Errorf("update export row of device %d: %w", deviceID, err)
	}
	return nil
}

// upsertRow writes the row of a plan entry, creating it when planning did
// not (a dry run never does, and a single-device sync may race a run).
func (w *Worker) upsertRow(ctx context.Context, connID uint, e *models.PlanEntry, updates map[string]any) error {
	return upsertRowIn(ctx, w.p.DB, connID, e, updates)
}

func upsertRowIn(ctx context.Context, db *gorm.DB, connID uint, e *models.PlanEntry, updates map[string]any) error {
	res := db.WithContext(ctx).Model(&models.NetBoxIPExport{}).
		Where("connection_id = ? AND netbox_device_id = ?", connID, e.NetBoxDeviceID).Updates(updates)
	if res.Error != nil {
		return fmt.Errorf("update export row of device %d: %w", e.NetBoxDeviceID, res.Error)
	}
	if res.RowsAffected > 0 {
		return nil
	}
	row := models.NetBoxIPExport{ConnectionID: connID, NetBoxDeviceID: e.NetBoxDeviceID,
		NetBoxDeviceName: e.DeviceName, IPAddress: e.IPAddress,
		ExportReason: models.ReasonNewDevice, ExportStatus: models.ExportPending}
	if err := db.WithContext(ctx).Clauses(clause.OnConflict{DoNothing: true}).Create(&row).Error; err != nil {
		return fmt.Errorf("create export row of device %d: %w", e.NetBoxDeviceID, err)
	}
	return updateRowIn(ctx, db, connID, e.NetBoxDeviceID, updates)
}

// setOutcome records what a batch did with one plan entry.
func (w *Worker) setOutcome(ctx context.Context, e *models.PlanEntry, outcome, msg string) error {
	return setOutcomeIn(ctx, w.p.DB, e, outcome, msg)
}

func setOutcomeIn(ctx context.Context, db *gorm.DB, e *models.PlanEntry, outcome, msg string) error {
	e.Outcome, e.Error = outcome, msg
	err := db.WithContext(ctx).Model(&models.PlanEntry{}).Where("id = ?", e.ID).
		Updates(map[string]any{"outcome": outcome, "error": msg, "wug_device_id": e.WUGDeviceID}).Error
	if err != nil {
		return fmt.Errorf("record outcome of device %d: %w", e.NetBoxDeviceID, err)
	}
	return nil
}

// markCreateAttempted stamps rows before their template call (see
// NetBoxIPExport.CreateAttemptedAt).
func (w *Worker) markCreateAttempted(ctx context.Context, connID uint, entries []*models.PlanEntry, at any) error {
	ids := make([]int64, len(entries))
	for i, e := range entries {
		ids[i] = e.NetBoxDeviceID
	}
	res := w.p.DB.WithContext(ctx).Model(&models.NetBoxIPExport{}).
		Where("connection_id = ? AND netbox_device_id IN ?", connID, ids).Update("create_attempted_at", at)
	if res.Error != nil {
		return fmt.Errorf("mark create attempted: %w", res.Error)
	}
	if res.RowsAffected == int64(len(ids)) {
		return nil
	}
	for _, e := range entries {
		if err := w.upsertRow(ctx, connID, e, map[string]any{"create_attempted_at": at}); err != nil {
			return err
		}
	}
	return nil
}

// recordDeviceAttempt keeps one failed attempt at one device in the history,
// and counts it on the row.
func (w *Worker) recordDeviceAttempt(ctx context.Context, connID, runID uint, deviceID int64, taskType, msg string) error {
	var row models.NetBoxIPExport
	if err := w.p.DB.WithContext(ctx).Where("connection_id = ? AND netbox_device_id = ?", connID, deviceID).
		First(&row).Error; err != nil {
		return fmt.Errorf("load export row of device %d: %w", deviceID, err)
	}
	attempt := models.ExportAttempt{ConnectionID: &connID, ExportID: &row.ID, SyncLogID: &runID,
		TaskType: taskType, Attempt: row.Attempts + 1, Error: msg, OccurredAt: w.now()}
	if err := w.p.DB.WithContext(ctx).Create(&attempt).Error; err != nil {
		return fmt.Errorf("record attempt of device %d: %w", deviceID, err)
	}
	return w.updateRow(ctx, connID, deviceID, map[string]any{"attempts": row.Attempts + 1})
}
