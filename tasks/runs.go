package tasks

import (
	"context"
	"errors"
	"fmt"
	"time"

	"gorm.io/gorm"

	"github.com/wugsync/wugsync/models"
)

// Errors of StartExport, checked with errors.Is.
var (
	// ErrRunActive means the connection already has a queued or running
	// export; ActiveRunError carries it.
	ErrRunActive = errors.New("an export run is already active for this connection")
	// ErrConnectionNotFound means no connection has the id.
	ErrConnectionNotFound = errors.New("connection not found")
	// ErrConnectionInactive means the connection is switched off (is_active false).
	ErrConnectionInactive = errors.New("connection is not active")
)

// ActiveRunError returns the run that holds the connection's single export
// slot, so a caller asking for a second run gets the first one.
type ActiveRunError struct {
	Run models.WUGSyncLog
}

func (e *ActiveRunError) Error() string {
	return fmt.Sprintf("%v: run %d is %s", ErrRunActive, e.Run.ID, e.Run.Status)
}

// Is matches ErrRunActive.
func (e *ActiveRunError) Is(target error) bool { return target == ErrRunActive }

// ExportRequest asks for one export run of one connection.
type ExportRequest struct {
	ConnectionID uint
	Trigger      models.Trigger
	Filters      models.DeviceFilters
	DryRun       bool
}

// StartExport records a queued run and enqueues its planning task. The
// database's partial unique index keeps one active run per connection even
// when the API, the scheduler and a script ask at the same moment.
func StartExport(ctx context.Context, db *gorm.DB, enq *Enqueuer, req ExportRequest) (models.WUGSyncLog, error) {
	var conn models.WUGConnection
	if err := db.WithContext(ctx).First(&conn, req.ConnectionID).Error; err != nil {
		if errors.Is(err, gorm.ErrRecordNotFound) {
			return models.WUGSyncLog{}, fmt.Errorf("connection %d: %w", req.ConnectionID, ErrConnectionNotFound)
		}
		return models.WUGSyncLog{}, fmt.Errorf("load connection %d: %w", req.ConnectionID, err)
	}
	if !conn.IsActive {
		return models.WUGSyncLog{}, fmt.Errorf("connection %q: %w", conn.Name, ErrConnectionInactive)
	}
	run := models.WUGSyncLog{
		ConnectionID: conn.ID,
		SyncType:     models.SyncExport,
		Trigger:      req.Trigger,
		Status:       models.RunQueued,
		DryRun:       req.DryRun,
		Filters:      req.Filters,
	}
	if err := db.WithContext(ctx).Create(&run).Error; err != nil {
		if models.IsUniqueViolation(err) {
			active, lerr := ActiveExport(ctx, db, conn.ID)
			if lerr != nil {
				return models.WUGSyncLog{}, lerr
			}
			return active, &ActiveRunError{Run: active}
		}
		return models.WUGSyncLog{}, fmt.Errorf("record run for connection %q: %w", conn.Name, err)
	}
	if err := enq.Export(ctx, run.ID); err != nil && !errors.Is(err, ErrAlreadyQueued) {
		// Without its task the run would hold the connection's slot forever.
		now := time.Now().UTC()
		db.WithContext(context.WithoutCancel(ctx)).Model(&run).Updates(map[string]any{
			"status": models.RunFailed, "ended_at": now, "error_message": "could not enqueue: " + err.Error(),
		})
		return models.WUGSyncLog{}, err
	}
	return run, nil
}

// ActiveExport returns the queued or running export of a connection, or
// gorm.ErrRecordNotFound.
func ActiveExport(ctx context.Context, db *gorm.DB, connectionID uint) (models.WUGSyncLog, error) {
	var run models.WUGSyncLog
	err := db.WithContext(ctx).
		Where("connection_id = ? AND sync_type = ? AND status IN ?", connectionID, models.SyncExport,
			[]models.RunStatus{models.RunQueued, models.RunRunning}).
		Order("id").First(&run).Error
	if err != nil {
		return models.WUGSyncLog{}, fmt.Errorf("find active run of connection %d: %w", connectionID, err)
	}
	return run, nil
}
