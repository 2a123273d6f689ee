package netboxsim_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha512"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/wugsync/wugsync/sim/netboxsim"
)

// hookReceiver records webhook requests.
type hookReceiver struct {
	srv    *httptest.Server
	mu     sync.Mutex
	bodies []string
	heads  []http.Header
	status int
}

func newReceiver(t *testing.T, status int) *hookReceiver {
	t.Helper()
	r := &hookReceiver{status: status}
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		r.mu.Lock()
		r.bodies = append(r.bodies, string(body))
		r.heads = append(r.heads, req.Header.Clone())
		r.mu.Unlock()
		w.WriteHeader(r.status)
	}))
	t.Cleanup(r.srv.Close)
	return r
}

func (r *hookReceiver) got() ([]string, []http.Header) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.bodies...), append([]http.Header(nil), r.heads...)
}

func hookSim(t *testing.T, r *hookReceiver, o netboxsim.Options) *simBundle {
	t.Helper()
	o.WebhookURL, o.WebhookSecret = r.srv.URL, "topsecret"
	if o.Devices == 0 {
		o.Devices = 20
	}
	return setup(t, o)
}

func decode(t *testing.T, body string) map[string]any {
	t.Helper()
	var m map[string]any
	require.NoError(t, json.Unmarshal([]byte(body), &m))
	return m
}

func TestWebhookBodyPerVersion(t *testing.T) {
	t.Parallel()
	cases := []struct {
		version string
		prefix  string
		model   bool
		objType bool
	}{
		{netboxsim.Version42, `{"event": "updated", "timestamp": "`, true, false},
		{netboxsim.Version44, `{"event": "updated", "timestamp": "`, true, true},
		{netboxsim.Version45, `{"event": "updated", "timestamp": "`, false, true},
	}
	for _, tc := range cases {
		t.Run(tc.version, func(t *testing.T) {
			t.Parallel()
			r := newReceiver(t, 200)
			b := hookSim(t, r, netboxsim.Options{Version: tc.version, WebhookSync: true})
			_, err := b.sim.UpdateDevice(3, func(d *netboxsim.Device) { d.Status = "offline" })
			require.NoError(t, err)
			bodies, heads := r.got()
			require.Len(t, bodies, 1)
			require.True(t, strings.HasPrefix(bodies[0], tc.prefix), bodies[0][:80])
			require.Equal(t, "application/json", heads[0].Get("Content-Type"))
			mac := hmac.New(sha512.New, []byte("topsecret"))
			mac.Write([]byte(bodies[0]))
			require.Equal(t, hex.EncodeToString(mac.Sum(nil)), heads[0].Get("X-Hook-Signature"))

			m := decode(t, bodies[0])
			_, hasModel := m["model"]
			_, hasType := m["object_type"]
			require.Equal(t, tc.model, hasModel)
			require.Equal(t, tc.objType, hasType)
			require.Equal(t, "admin", m["username"])
			require.Regexp(t, `^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{6})?\+00:00$`, m["timestamp"])

			data := m["data"].(map[string]any)
			require.Equal(t, "/api/dcim/devices/3/", data["url"], "webhook data has relative URLs")
			require.Equal(t, "/dcim/devices/3/", data["display_url"])
			require.NotContains(t, data, "config_context")
			require.Equal(t, "offline", data["status"].(map[string]any)["value"])

			snaps := m["snapshots"].(map[string]any)
			pre, post := snaps["prechange"].(map[string]any), snaps["postchange"].(map[string]any)
			require.Equal(t, "active", pre["status"])
			require.Equal(t, "offline", post["status"])
			require.NotContains(t, pre, "last_updated")
			require.Contains(t, post, "last_updated")
			require.IsType(t, float64(0), post["site"], "foreign keys are ids in snapshots")
			require.NotContains(t, post, "id")
		})
	}
}

func TestWebhookCreateAndDeleteSnapshots(t *testing.T) {
	t.Parallel()
	r := newReceiver(t, 200)
	b := hookSim(t, r, netboxsim.Options{WebhookSync: true})
	d, err := b.sim.CreateDevice(netboxsim.Device{Name: netboxsim.StrPtr("new-sw"), SiteID: 1, RoleID: 1, DeviceTypeID: 1, Status: "active"})
	require.NoError(t, err)
	require.NoError(t, b.sim.DeleteDevice(d.ID))
	bodies, _ := r.got()
	require.Len(t, bodies, 2, "a device without interfaces: one event each")
	created, deleted := decode(t, bodies[0]), decode(t, bodies[1])
	require.Equal(t, "created", created["event"])
	require.Nil(t, created["snapshots"].(map[string]any)["prechange"])
	require.Equal(t, "deleted", deleted["event"])
	require.Nil(t, deleted["snapshots"].(map[string]any)["postchange"])
	require.Equal(t, "new-sw", deleted["data"].(map[string]any)["name"], "data is the last state")
}

func TestWebhookSubscriptions(t *testing.T) {
	t.Parallel()
	r := newReceiver(t, 200)
	b := hookSim(t, r, netboxsim.Options{WebhookSync: true})
	_, err := b.sim.RenameSite(1, "Not Subscribed")
	require.NoError(t, err)
	bodies, _ := r.got()
	require.Empty(t, bodies, "sites are not subscribed by default")

	r2 := newReceiver(t, 200)
	b2 := hookSim(t, r2, netboxsim.Options{WebhookSync: true, WebhookObjectTypes: []string{"dcim.site"}})
	_, err = b2.sim.RenameSite(1, "Subscribed")
	require.NoError(t, err)
	_, err = b2.sim.UpdateDevice(1, func(*netboxsim.Device) {})
	require.NoError(t, err)
	bodies, _ = r2.got()
	require.Len(t, bodies, 1)
	m := decode(t, bodies[0])
	require.Equal(t, "dcim.site", m["object_type"])
	require.Equal(t, "site", m["model"])
}

func TestWebhookDuplicates(t *testing.T) {
	t.Parallel()
	r := newReceiver(t, 200)
	b := hookSim(t, r, netboxsim.Options{WebhookSync: true, WebhookDuplicateEvery: 2})
	for _, id := range []int{1, 2, 3, 4} {
		_, err := b.sim.UpdateDevice(id, func(*netboxsim.Device) {})
		require.NoError(t, err)
	}
	bodies, _ := r.got()
	require.Len(t, bodies, 6)
	require.Equal(t, bodies[1], bodies[2], "the second event is sent twice")
	require.Equal(t, bodies[4], bodies[5])
	dups := 0
	for _, d := range b.sim.Deliveries() {
		if d.Duplicate {
			dups++
		}
		require.Equal(t, 200, d.StatusCode)
	}
	require.Equal(t, 2, dups)
}

func TestWebhookReorderWindowAndFlush(t *testing.T) {
	t.Parallel()
	r := newReceiver(t, 200)
	b := hookSim(t, r, netboxsim.Options{WebhookReorderWindow: 3})
	for _, id := range []int{1, 2, 3, 4, 5} {
		_, err := b.sim.UpdateDevice(id, func(*netboxsim.Device) {})
		require.NoError(t, err)
	}
	require.NoError(t, b.sim.FlushWebhooks(context.Background()))
	var order []int
	for _, d := range b.sim.Deliveries() {
		order = append(order, d.ObjectID)
	}
	require.Equal(t, []int{3, 2, 1, 5, 4}, order, "full windows go newest first; Flush sends the partial one")
	bodies, _ := r.got()
	require.Len(t, bodies, 5)
}

func TestWebhookAsyncFlushAndFailures(t *testing.T) {
	t.Parallel()
	r := newReceiver(t, http.StatusInternalServerError)
	b := hookSim(t, r, netboxsim.Options{})
	_, err := b.sim.UpdateDevice(1, func(*netboxsim.Device) {})
	require.NoError(t, err)
	require.NoError(t, b.sim.FlushWebhooks(context.Background()))
	deliveries := b.sim.Deliveries()
	require.Len(t, deliveries, 1, "no retries")
	require.Equal(t, 500, deliveries[0].StatusCode)
	require.Contains(t, deliveries[0].Err, "500")
	require.NotEmpty(t, deliveries[0].Signature)

	b.sim.SetWebhookTarget("", "")
	_, err = b.sim.UpdateDevice(1, func(*netboxsim.Device) {})
	require.NoError(t, err)
	require.NoError(t, b.sim.FlushWebhooks(context.Background()))
	require.Len(t, b.sim.Deliveries(), 1, "no target, no webhook")
}

func TestWebhookWithoutSecretIsUnsigned(t *testing.T) {
	t.Parallel()
	r := newReceiver(t, 200)
	b := setup(t, netboxsim.Options{Devices: 5, WebhookURL: r.srv.URL, WebhookSync: true})
	_, err := b.sim.UpdateDevice(1, func(*netboxsim.Device) {})
	require.NoError(t, err)
	_, heads := r.got()
	require.Len(t, heads, 1)
	require.Empty(t, heads[0].Get("X-Hook-Signature"))
}
