package workers

import (
	"context"
	"time"
)

// DrainStep runs one step of a connection's webhook drain (one batch of
// due objects) on w's clock, for tests that move that clock themselves.
func DrainStep(ctx context.Context, w *Worker, connID uint) (did bool, next time.Time, err error) {
	conn, err := w.loadConnection(ctx, connID)
	if err != nil {
		return false, time.Time{}, err
	}
	return w.drainStep(ctx, conn, w.syncQueue())
}
