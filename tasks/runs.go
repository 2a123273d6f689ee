package tasks

import (
	"context"
	"errors"
	"fmt"
	"time"

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
	// AppliedFrom is the completed dry run whose stored plan the run
	// applies; its filters are the dry run's.
	AppliedFrom *uint
	// Full asks for a run that reads the whole selection from NetBox (a
	// full reconcile), not only what changed since the last export.
	Full bool
}

// StartExport records a queued run and enqueues its planning task. The
// database's partial unique index keeps one active run per connection even
// when the API, the scheduler and a script ask at the same moment.
func StartExport(ctx context.Context, store models.Store, enq *Enqueuer, req ExportRequest) (models.WUGSyncLog, error) {
	conn, err := store.Connection(ctx, req.ConnectionID)
	if models.IsNotFound(err) {
		return models.WUGSyncLog{}, fmt.Errorf("connection %d: %w", req.ConnectionID, ErrConnectionNotFound)
	}
	if err != nil {
		return models.WUGSyncLog{}, err
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
		AppliedFrom:  req.AppliedFrom,
	}
	if req.Full {
		run.Mode = models.ModeFull
	}
	if err := store.CreateRun(ctx, &run); err != nil {
		if models.IsUniqueViolation(err) {
			active, lerr := store.ActiveExport(ctx, conn.ID)
			if lerr != nil {
				return models.WUGSyncLog{}, lerr
			}
			return active, &ActiveRunError{Run: active}
		}
		return models.WUGSyncLog{}, fmt.Errorf("record run for connection %q: %w", conn.Name, err)
	}
	if err := enq.Enqueue(ctx, ExportPayload{RunID: run.ID}); err != nil && !errors.Is(err, ErrAlreadyQueued) {
		// Without its task the run would hold the connection's slot forever.
		_, _ = store.EndRun(context.WithoutCancel(ctx), run.ID, models.RunFailed,
			"could not enqueue: "+err.Error(), "", time.Now().UTC())
		return models.WUGSyncLog{}, err
	}
	return run, nil
}
