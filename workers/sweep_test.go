package workers_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/wugsync/wugsync/models"
	"github.com/wugsync/wugsync/tasks"
	"github.com/wugsync/wugsync/workers"
)

func TestSweepRestartsARunWhoseTaskWasLost(t *testing.T) {
	t.Parallel()
	// The workers' clock runs ten minutes ahead, so the run looks stuck.
	b := setup(t, bundleOptions{devices: 12, params: func(p *workers.Params) {
		p.Now = func() time.Time { return time.Now().Add(10 * time.Minute) }
	}})
	// A run recorded without its task, as when the process died between
	// the row and the enqueue.
	run := models.WUGSyncLog{ConnectionID: b.conn.ID, SyncType: models.SyncExport, Trigger: models.TriggerManual, Status: models.RunQueued}
	require.NoError(t, b.db.Create(&run).Error)

	require.NoError(t, b.enq.Sweep(context.Background(), 1))
	ended := b.waitRun(run.ID)
	require.Equal(t, models.RunCompleted, ended.Status, ended.ErrorMessage)
	require.Equal(t, len(b.expected()), ended.DevicesCreated)
}

func TestSweepClosesARunWhoseLastTallyWasLost(t *testing.T) {
	t.Parallel()
	b := setup(t, bundleOptions{devices: 12, params: func(p *workers.Params) {
		p.Now = func() time.Time { return time.Now().Add(10 * time.Minute) }
	}})
	done := b.export(tasks.ExportRequest{})
	require.Equal(t, models.RunCompleted, done.Status)

	// Rewind it to "running" with stale tallies, as if the worker died
	// after its writes and before its tally.
	require.NoError(t, b.db.Model(&models.WUGSyncLog{}).Where("id = ?", done.ID).
		Updates(map[string]any{"status": models.RunRunning, "ended_at": nil, "devices_created": 0}).Error)
	require.NoError(t, b.db.Model(&models.RunBatch{}).Where("sync_log_id = ?", done.ID).Update("pending", 1).Error)

	require.NoError(t, b.enq.Sweep(context.Background(), 2))
	ended := b.waitRun(done.ID)
	require.Equal(t, models.RunCompleted, ended.Status)
	require.Equal(t, done.DevicesCreated, ended.DevicesCreated, "counters rebuilt from the entries")
}
