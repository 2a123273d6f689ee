package workers

import (
	"context"
	"time"

	"github.com/wugsync/wugsync/models"
)

// upsertRow writes the row of a plan entry, creating it when planning did
// not (a dry run never does, and a single-device sync may race a run).
func upsertRow(ctx context.Context, s models.Store, e *models.PlanEntry, c models.RowChange) error {
	return s.UpsertRow(ctx, e.Key(), e.DeviceName, e.IPAddress, c)
}

// markCreateAttempted stamps rows before their template call (see
// NetBoxIPExport.CreateAttemptedAt).
func (w *Worker) markCreateAttempted(ctx context.Context, connID uint, entries []*models.PlanEntry, at time.Time) error {
	ids := make([]int64, len(entries))
	for i, e := range entries {
		ids[i] = e.NetBoxObjectID
	}
	change := models.RowCreateAttempt{At: &at}
	kind := models.ObjectDevice
	if len(entries) > 0 {
		kind = entries[0].Key().ObjectType // a batch is of one type
	}
	n, err := w.store.UpdateRows(ctx, connID, kind, ids, change)
	if err != nil || n == int64(len(ids)) {
		return err
	}
	for _, e := range entries {
		if err := upsertRow(ctx, w.store, e, change); err != nil {
			return err
		}
	}
	return nil
}
