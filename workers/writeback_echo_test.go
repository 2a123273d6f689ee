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

// TestEchoWebhookOfTheWritebackMakesNoWUGCall sends the webhooks NetBox
// fires for wugsync's own write-back to the real API: they cost no task, so
// no NetBox read and no WUG call; a real change still syncs.
func TestEchoWebhookOfTheWritebackMakesNoWUGCall(t *testing.T) {
	t.Parallel()
	const secret = "hook-secret-0123456789"
	b := setup(t, bundleOptions{devices: 20, conn: writeback(100),
		netbox: netboxsim.Options{Devices: 20, Seed: 7, WebhookSync: true, WebhookObjectTypes: []string{netbox.ObjectTypeDevice}}})
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
	written := b.requireFieldsMatchRows()
	require.Positive(t, written)
	wugCalls, netboxReads := b.wug.CountRequests("*"), b.nb.RequestCount(http.MethodGet, devicesRoute)

	// Every write came back as a webhook, answered and counted as an echo.
	deliveries := b.nb.Deliveries()
	require.Len(t, deliveries, written)
	for _, d := range deliveries {
		require.Equal(t, netboxsim.Delivery{}.Err, d.Err)
		require.Equal(t, http.StatusAccepted, d.StatusCode)
		require.Equal(t, netbox.EventUpdated, d.Event)
	}
	echoes := webhookCount(t, reg, netbox.ObjectTypeDevice, "echo")
	require.Equal(t, float64(written), echoes)
	require.Zero(t, webhookCount(t, reg, netbox.ObjectTypeDevice, "sync"))

	// A real change afterwards is the first thing to reach the workers:
	// the echoes queued nothing before it.
	target := b.exportedDevices(1)[0]
	synced := b.waitNextRun(func() {
		_, err := b.nb.UpdateDevice(int(target.NetBoxDeviceID), func(d *netboxsim.Device) { d.Serial = "CHANGED-1" })
		require.NoError(t, err)
	})
	require.Equal(t, models.TriggerWebhook, synced.Trigger)
	require.Equal(t, 1, synced.DevicesUpdated, synced.Summary)
	var webhookRuns int64
	require.NoError(t, b.db.Model(&models.WUGSyncLog{}).Where("trigger = ?", models.TriggerWebhook).Count(&webhookRuns).Error)
	require.EqualValues(t, 1, webhookRuns, "only the real change made a run")
	require.Equal(t, 1, b.nb.RequestCount(http.MethodGet, devicesRoute)-netboxReads, "the real change's plan reads it, its batch writes what the plan read; the echoes read nothing")
	require.Positive(t, b.wug.CountRequests("*")-wugCalls, "the real change reached WUG")
}

// webhookCount is wugsync_webhooks_total for one object type and outcome.
func webhookCount(t *testing.T, reg *prometheus.Registry, objectType, outcome string) float64 {
	t.Helper()
	families, err := reg.Gather()
	require.NoError(t, err)
	for _, f := range families {
		if f.GetName() != "wugsync_webhooks_total" {
			continue
		}
		for _, m := range f.GetMetric() {
			labels := map[string]string{}
			for _, l := range m.GetLabel() {
				labels[l.GetName()] = l.GetValue()
			}
			if labels["object_type"] == objectType && labels["outcome"] == outcome {
				return m.GetCounter().GetValue()
			}
		}
	}
	t.Fatalf("no wugsync_webhooks_total{object_type=%q,outcome=%q}", objectType, outcome)
	return 0
}
