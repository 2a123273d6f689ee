package workers

import (
	"context"
	"fmt"

	"github.com/sirupsen/logrus"
)

// prune removes, in small batches and a bounded number of statements per
// sweep, the runs and plans older than the retention period and the
// attempts beyond each row's latest (issue 12, finding 6). A backlog
// larger than one sweep's budget drains over the following sweeps, one a
// minute.
func (w *Worker) prune(ctx context.Context) error {
	r := w.p.Retention
	if r.MaxAge <= 0 && r.AttemptsPerRow <= 0 {
		return nil
	}
	out, err := w.store.Prune(ctx, w.now(), r)
	if err != nil {
		return fmt.Errorf("sweep: %w", err)
	}
	if out.Runs+out.PlanEntries+out.RunBatches+out.Attempts > 0 {
		w.p.Log.WithFields(logrus.Fields{
			"runs": out.Runs, "plan_entries": out.PlanEntries, "run_batches": out.RunBatches,
			"attempts": out.Attempts, "statements": out.Statements, "more": out.More,
		}).Info("sweep pruned what the retention settings no longer keep")
	}
	return nil
}
