package workers_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/wugsync/wugsync/models"
	"github.com/wugsync/wugsync/sim/wugsim"
	"github.com/wugsync/wugsync/tasks"
)

// TestA429OnAGroupCreateCostsOnlyItsResend: WUG refuses one group create
// with a 429. It made nothing, so the create is sent again once the
// connection's cool-down is over: no re-read of the group tree, no failed
// batch, and every group is made once.
func TestA429OnAGroupCreateCostsOnlyItsResend(t *testing.T) {
	t.Parallel()
	b := setup(t, bundleOptions{devices: 300, conn: func(c *models.WUGConnection) { c.BatchSize = models.MaxBatchSize }})
	const childRoute = "POST /api/v1/device-groups/{groupId}/child"
	require.NoError(t, b.wug.SetFaults(childRoute, wugsim.Fault{RateLimitRate: 0.5, RetryAfter: time.Second, Count: 1}))
	run := b.export(tasks.ExportRequest{})
	require.Equal(t, models.RunCompleted, run.Status, run.ErrorMessage)
	require.Equal(t, 1, run.BatchesTotal)

	refused := 0
	for _, req := range b.wug.RequestLog() {
		if req.Route == childRoute && req.Fault == wugsim.FaultRateLimit {
			refused++
		}
	}
	require.Equal(t, 1, refused)
	made := 0
	for _, req := range b.wug.RequestLog() {
		if req.Route == childRoute && req.Status == 200 {
			made++
		}
	}
	require.Equal(t, made+1, b.wug.CountRequests(childRoute), "the refused create is sent once more, nothing else")
	require.Equal(t, 1, b.wug.CountRequests("GET /api/v1/device-groups/-"),
		"the run reads the tree once, and a 429 costs no re-read of it")
}
