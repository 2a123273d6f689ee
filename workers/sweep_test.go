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

	require.NoError(t, b.enq.Enqueue(context.Background(), tasks.SweepPayload{Slot: 1}))
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

	require.NoError(t, b.enq.Enqueue(context.Background(), tasks.SweepPayload{Slot: 2}))
	ended := b.waitRun(done.ID)
	require.Equal(t, models.RunCompleted, ended.Status)
	require.Equal(t, done.DevicesCreated, ended.DevicesCreated, "counters rebuilt from the entries")
}

func TestSweepRestartsALostScanPoll(t *testing.T) {
	t.Parallel()
	found, _, opts := scanFixture(t)
	opts.wug.RejectTemplates = []string{found}
	opts.wug.ScanPolls = 1
	// The first poll is due in an hour: as far as anyone can tell, the
	// chain is lost (its heartbeat key never appears).
	opts.params = func(p *workers.Params) { p.ScanPollBase, p.ScanPollMax = time.Hour, time.Hour }
	b := setup(t, opts)
	run := b.export(tasks.ExportRequest{})
	require.Equal(t, models.RunCompleted, run.Status, run.ErrorMessage)

	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	sub := b.redis.Client.Subscribe(ctx, tasks.ScanEndedChannel(b.redis.Client))
	defer sub.Close()
	_, err := sub.Receive(ctx)
	require.NoError(t, err)
	require.NoError(t, b.enq.Enqueue(ctx, tasks.SweepPayload{Slot: 3}))
	select {
	case <-sub.Channel():
	case <-ctx.Done():
		t.Fatal("the sweep did not restart the scan poll")
	}
	var row models.NetBoxIPExport
	require.NoError(t, b.db.Where("ip_address = ?", found).First(&row).Error)
	require.Equal(t, models.ExportScanCompleted, row.ExportStatus, row.ErrorMessage)
	require.True(t, row.WUGDeviceDiscovered)
}
