package reliability

import (
	"math/rand/v2"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"github.com/stretchr/testify/require"

	"github.com/wugsync/wugsync/models"
	"github.com/wugsync/wugsync/tasks"
)

// orphanRecoveredMsg is what the orphan sweeper logs for each task it
// brings back.
const orphanRecoveredMsg = "the worker running this task stopped: its work is queued again"

// TestWorkerKilledThreeTimesLosesNothing runs two worker processes on an
// export of 3,000 devices and kills one of them with SIGKILL three times,
// at random points of the run, restarting it each time. The run completes,
// every selected device is in WUG exactly once with its row linked to it,
// and the killed worker's batches came back through wugsync's orphan
// sweeper (under new task ids, with no retry used) rather than through
// asynq's own recovery, which takes up to about 90 s.
func TestWorkerKilledThreeTimesLosesNothing(t *testing.T) {
	t.Parallel()
	b := setup(t, bundleOptions{devices: 3000, batchSize: 25, wugLatency: 40 * time.Millisecond})
	victim := b.startWorker("worker-1")
	survivor := b.startWorker("worker-2")
	run := b.startExport()

	run = b.waitRun(run.ID, "planning", func(r models.WUGSyncLog) bool { return r.BatchesTotal > 0 || !r.Status.Active() })
	require.True(t, run.Status.Active(), "the run ended before any kill: %+v", run)
	total := run.BatchesTotal
	type kill struct {
		at          time.Time
		batchesDone int
	}
	var kills []kill
	// Every process a replacement may come from: the survivor and each
	// incarnation of the victim (any live sweeper may win the race).
	procs := []*proc{victim, survivor}
	for i, share := range []float64{0.15, 0.40, 0.65} {
		// A random point of each third of the run.
		target := int(float64(total) * (share + rand.Float64()*0.15))
		r := b.waitRun(run.ID, "progress before a kill", func(r models.WUGSyncLog) bool {
			return r.BatchesDone >= target || !r.Status.Active()
		})
		require.True(t, r.Status.Active(), "the run ended before kill %d: make it longer", i+1)
		victim.kill()
		kills = append(kills, kill{at: time.Now(), batchesDone: r.BatchesDone})
		victim = b.startWorker("worker-1")
		procs = append(procs, victim)
	}

	run = b.waitRun(run.ID, "the end of the run", func(r models.WUGSyncLog) bool { return !r.Status.Active() })
	b.requireExact(run)

	// The killed worker's tasks were brought back by the orphan sweeper,
	// under new ids, each still with its whole retry budget.
	var recovered []logLine
	for _, p := range procs {
		for _, l := range p.logs() {
			if l.Msg() == orphanRecoveredMsg {
				recovered = append(recovered, l)
			}
		}
	}
	sort.Slice(recovered, func(i, j int) bool { return recovered[i].At.Before(recovered[j].At) })
	require.NotEmpty(t, recovered, "no orphaned task was re-enqueued by the sweeper")
	inspector := asynq.NewInspectorFromRedisClient(b.redisClient())
	completed, err := inspector.ListCompletedTasks(tasks.QueueDefault, asynq.PageSize(1000))
	require.NoError(t, err)
	var replacements int
	for _, task := range completed {
		if strings.Contains(task.ID, ":recovered:") {
			replacements++
			require.Zero(t, task.Retried, "replacement %s used a retry", task.ID)
		}
	}
	require.Positive(t, replacements, "no replacement task ran")
	archived, err := inspector.ListArchivedTasks(tasks.QueueDefault)
	require.NoError(t, err)
	require.Empty(t, archived, "a task ran out of retries")
	retrying, err := inspector.ListRetryTasks(tasks.QueueDefault)
	require.NoError(t, err)
	for _, task := range retrying {
		require.Zero(t, task.Retried, "task %s used a retry for an interruption: %s", task.ID, task.LastErr)
	}

	// Recovery times, for RELIABILITY.md: from each kill to the first
	// replacement after it.
	for i, k := range kills {
		for _, l := range recovered {
			if l.At.After(k.at) {
				t.Logf("kill %d at batch %d/%d: first replacement enqueued %s later", i+1, k.batchesDone, total, l.At.Sub(k.at).Round(100*time.Millisecond))
				break
			}
		}
	}
	t.Logf("%d replacement tasks enqueued, %d ran; run %d: %d created, %d skipped, %d failed",
		len(recovered), replacements, run.ID, run.DevicesCreated, run.DevicesSkipped, run.DevicesFailed)
}
