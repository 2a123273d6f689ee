package reliability

import (
	"fmt"
	"math/rand/v2"
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/wugsync/wugsync/internal/testinfra"
	"github.com/wugsync/wugsync/models"
)

// TestPostgresConnectionsCut terminates every PostgreSQL session of the
// worker and scheduler processes (pg_terminate_backend) three times in the
// middle of an export, as a failover or a restarted pooler does. Tasks
// that lose their connection retry, and the run ends exact. It needs
// PostgreSQL, which CI provides.
func TestPostgresConnectionsCut(t *testing.T) {
	t.Parallel()
	if os.Getenv(testinfra.EnvTestDatabaseURL) == "" {
		t.Skip("needs PostgreSQL: set " + testinfra.EnvTestDatabaseURL + " (CI does)")
	}
	appName := fmt.Sprintf("wugsync_pgcut_%d", rand.Uint32())
	b := setup(t, bundleOptions{devices: 1500, batchSize: 25, wugLatency: 40 * time.Millisecond, appName: appName})
	require.Equal(t, "postgres", b.database.Backend)
	worker := b.startWorker("worker-1")
	other := b.startWorker("worker-2")
	scheduler := startProc(t, "scheduler", b.env, "scheduler started", "scheduler", "--health-addr", "127.0.0.1:0")

	run := b.startExport()
	run = b.waitRun(run.ID, "planning", func(r models.WUGSyncLog) bool { return r.BatchesTotal > 0 || !r.Status.Active() })
	total := run.BatchesTotal
	var terminated []int
	for i, share := range []float64{0.2, 0.45, 0.7} {
		target := int(float64(total) * (share + rand.Float64()*0.1))
		r := b.waitRun(run.ID, "progress before a cut", func(r models.WUGSyncLog) bool {
			return r.BatchesDone >= target || !r.Status.Active()
		})
		require.True(t, r.Status.Active(), "the run ended before cut %d: make it longer", i+1)
		var n int
		require.NoError(t, b.db.Raw(`SELECT COUNT(pg_terminate_backend(pid)) FROM pg_stat_activity
			WHERE application_name = ? AND pid <> pg_backend_pid()`, appName).Scan(&n).Error)
		terminated = append(terminated, n)
	}
	require.Positive(t, terminated[0]+terminated[1]+terminated[2], "no session of the service was found to cut")

	run = b.waitRun(run.ID, "the end of the run", func(r models.WUGSyncLog) bool { return !r.Status.Active() })
	b.requireExact(run)
	t.Logf("sessions terminated per cut: %v; run %d: %d created, %d failed", terminated, run.ID, run.DevicesCreated, run.DevicesFailed)
	for _, p := range []*proc{worker, other, scheduler} {
		require.NoError(t, p.terminate(), "%s stops cleanly", p.name)
	}
}
