package workers_test

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/hibiken/asynq"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/stretchr/testify/require"

	"github.com/wugsync/wugsync/api"
	"github.com/wugsync/wugsync/models"
	"github.com/wugsync/wugsync/netbox"
	"github.com/wugsync/wugsync/sim/netboxsim"
	"github.com/wugsync/wugsync/tasks"
)

const vmsRoute = "/api/virtualization/virtual-machines/"

// TestVMWritebackOnePatchPerVMBatchJournalAndNoEchoCall: with write-back,
// journal and VM export on, a run that creates VMs writes each VM's WUG
// device id into the VM's custom field with one bulk PATCH per VM batch,
// journals each created VM on its own object type, and the webhooks NetBox
// sends back for those writes reach the API as echoes: no task, no WUG call.
func TestVMWritebackOnePatchPerVMBatchJournalAndNoEchoCall(t *testing.T) {
	t.Parallel()
	const secret = "hook-secret-0123456789"
	b := setup(t, bundleOptions{devices: 60,
		netbox: netboxsim.Options{Devices: 60, Seed: 7, WebhookSync: true, WebhookObjectTypes: []string{netbox.ObjectTypeVirtualMachine}},
		conn:   writeback(2, withVMs(func(c *models.WUGConnection) { c.NetBoxJournal = true }))})
	reg := prometheus.NewRegistry()
	opt, err := asynq.ParseRedisURI(b.redis.URL)
	require.NoError(t, err)
	srv, err := api.New(api.Params{DB: b.db, Redis: b.redis.Client, RedisOpt: opt, Enqueuer: b.enq, Sealer: b.stack.Sealer,
		APITokens: []string{"test-token-0123456789abcdef"}, WebhookSecret: secret, Registry: reg})
	require.NoError(t, err)
	ts := httptest.NewServer(srv)
	t.Cleanup(func() {
		ts.Close()
		require.NoError(t, srv.Close())
	})
	b.nb.SetWebhookTarget(ts.URL+"/api/v1/webhooks/netbox", secret)

	run := b.export(tasks.ExportRequest{})
	require.Equal(t, models.RunCompleted, run.Status, run.ErrorMessage)

	// The VM batches of the run, and the VMs each created.
	vmBatches := map[int]int{}
	created := map[int64]bool{}
	for ref, e := range b.entries(run.ID) {
		if ref.Type == models.ObjectVirtualMachine && e.Action == models.PlanCreate {
			require.Equal(t, models.OutcomeDone, e.Outcome, "VM %d", ref.ID)
			vmBatches[e.Batch]++
			created[ref.ID] = true
		}
	}
	require.GreaterOrEqual(t, len(vmBatches), 2, "the run has several VM batches")
	pairs := 0
	for _, n := range vmBatches {
		if n == 2 {
			pairs++
		}
	}
	require.Positive(t, pairs, "a batch of two VMs is written by one PATCH")
	require.Equal(t, len(vmBatches), b.nb.RequestCount(http.MethodPatch, vmsRoute), "one bulk PATCH per VM batch")

	// Each created VM's field holds its WUG device id, and only the VM's:
	// the device of the same id keeps its own.
	rows := b.objectRows()
	for id := range created {
		r := rows[vmRef(int(id))]
		require.NotEmpty(t, r.WUGDeviceID, "VM %d", id)
		require.Empty(t, r.NetBoxWritebackDue, "VM %d still owes a write-back", id)
		vm, ok := b.nb.VirtualMachine(int(id))
		require.True(t, ok)
		require.Equal(t, r.WUGDeviceID, vm.CustomFields["wug_device_id"], "VM %d", id)
		if d, ok := rows[deviceRef(int(id))]; ok && d.WUGDeviceID != "" {
			require.Equal(t, d.WUGDeviceID, b.fieldOf(id, "wug_device_id"), "device %d keeps its own id", id)
		}
	}

	// One journal entry per created VM, on the VM.
	vmJournal := map[int]int{}
	for _, e := range b.nb.JournalEntries() {
		if e.ObjectType == netbox.ObjectTypeVirtualMachine {
			vmJournal[e.ObjectID]++
		}
	}
	require.Len(t, vmJournal, len(created))
	for id := range created {
		require.Equal(t, 1, vmJournal[int(id)], "journal entries of VM %d", id)
	}

	// Every VM write came back as a webhook: an echo, no task, no WUG call.
	deliveries := b.nb.Deliveries()
	require.Len(t, deliveries, len(created))
	for _, d := range deliveries {
		require.Equal(t, http.StatusAccepted, d.StatusCode)
		require.Equal(t, netbox.EventUpdated, d.Event)
	}
	require.Equal(t, float64(len(created)), webhookCount(t, reg, netbox.ObjectTypeVirtualMachine, "echo"))
	var webhookRuns int64
	require.NoError(t, b.db.Model(&models.WUGSyncLog{}).Where("trigger = ?", models.TriggerWebhook).Count(&webhookRuns).Error)
	require.Zero(t, webhookRuns, "the echoes started no run")
	insp := asynq.NewInspectorFromRedisClient(b.redis.Client)
	queues, err := insp.Queues()
	require.NoError(t, err)
	for _, q := range queues {
		info, err := insp.GetQueueInfo(q)
		require.NoError(t, err)
		require.Zero(t, info.Pending+info.Scheduled, "queue %s holds a task after the echoes", q)
		// The run's own last task may still be returning from its handler
		// after it closed the run; an echo's task would be of another type.
		active, err := insp.ListActiveTasks(q)
		require.NoError(t, err)
		for _, task := range active {
			require.Contains(t, []string{tasks.TypeExport, tasks.TypeExportBatch}, task.Type, "queue %s runs a task after the echoes", q)
		}
	}
}
