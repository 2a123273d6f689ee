package netbox_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/wugsync/wugsync/netbox"
	"github.com/wugsync/wugsync/sim/netboxsim"
)

const hookSecret = "s3cr3t-hook-key"

// received is one request the webhook receiver got, raw.
type received struct {
	body      []byte
	signature string
}

// hookBundle is a simulator that sends webhooks synchronously to a
// recording receiver.
type hookBundle struct {
	sim *netboxsim.Server
	mu  sync.Mutex
	got []received
}

func setupHooks(t *testing.T, version string) *hookBundle {
	t.Helper()
	hb := &hookBundle{}
	receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		hb.mu.Lock()
		hb.got = append(hb.got, received{body: body, signature: r.Header.Get(netbox.SignatureHeader)})
		hb.mu.Unlock()
		w.WriteHeader(http.StatusAccepted)
	}))
	t.Cleanup(receiver.Close)
	sim, err := netboxsim.New(netboxsim.Options{
		Version: version, Devices: 60, Seed: 9,
		WebhookURL: receiver.URL, WebhookSecret: hookSecret, WebhookSync: true,
	})
	require.NoError(t, err)
	t.Cleanup(sim.Close)
	hb.sim = sim
	return hb
}

func (hb *hookBundle) received() []received {
	hb.mu.Lock()
	defer hb.mu.Unlock()
	return append([]received(nil), hb.got...)
}

func TestWebhookFromEveryVersionParses(t *testing.T) {
	t.Parallel()
	for _, version := range []string{netboxsim.Version42, netboxsim.Version44, netboxsim.Version45} {
		t.Run(version, func(t *testing.T) {
			t.Parallel()
			hb := setupHooks(t, version)
			_, err := hb.sim.UpdateDevice(4, func(d *netboxsim.Device) { d.Status = "offline" })
			require.NoError(t, err)
			got := hb.received()
			require.Len(t, got, 1)
			require.NoError(t, netbox.VerifySignature([]byte(hookSecret), got[0].body, got[0].signature))

			ev, err := netbox.ParseWebhook(got[0].body)
			require.NoError(t, err)
			require.Equal(t, netbox.EventUpdated, ev.Event)
			require.Equal(t, netbox.ObjectTypeDevice, ev.ObjectType)
			require.Equal(t, "device", ev.Model)
			require.Equal(t, netboxsim.DefaultUsername, ev.Username)
			require.NotEmpty(t, ev.RequestID)
			require.False(t, ev.Timestamp.IsZero())
			require.NotEmpty(t, ev.Snapshots.Prechange)
			require.NotEmpty(t, ev.Snapshots.Postchange)

			id, err := ev.ObjectID()
			require.NoError(t, err)
			require.Equal(t, int64(4), id)
			d, err := ev.Device()
			require.NoError(t, err)
			require.Equal(t, "offline", d.Status.Value)
			require.Equal(t, "/api/dcim/devices/4/", d.URL)
			require.Equal(t, "/dcim/devices/4/", d.DisplayURL)
			_, err = ev.IPAddress()
			require.ErrorIs(t, err, netbox.ErrWebhookPayload)

			// Snapshots are Django-serializer shaped; the lenient decoder
			// still reads them as a device with bare foreign keys.
			var pre netbox.Device
			require.NoError(t, pre.UnmarshalJSON(ev.Snapshots.Prechange))
			require.Equal(t, "active", pre.Status.Value)
			require.Equal(t, d.Site.ID, pre.Site.ID)
		})
	}
}

func TestWebhookIPAddressEvent(t *testing.T) {
	t.Parallel()
	hb := setupHooks(t, netboxsim.Version44)
	d, ok := hb.sim.Device(2)
	require.True(t, ok)
	_, err := hb.sim.ChangeIPAddress(d.PrimaryIP4ID, "10.77.0.2/24")
	require.NoError(t, err)
	got := hb.received()
	require.Len(t, got, 1, "an address edit fires only the address's event")
	ev, err := netbox.ParseWebhook(got[0].body)
	require.NoError(t, err)
	require.Equal(t, netbox.ObjectTypeIPAddress, ev.ObjectType)
	ip, err := ev.IPAddress()
	require.NoError(t, err)
	require.Equal(t, "10.77.0.2/24", ip.Address)
	devID, ok := ip.DeviceID()
	require.True(t, ok)
	require.Equal(t, int64(2), devID)
}

func TestWebhookDeletedDevice(t *testing.T) {
	t.Parallel()
	hb := setupHooks(t, netboxsim.Version45)
	require.NoError(t, hb.sim.DeleteDevice(7))
	// The device's addresses go with it; NetBox's per-request queue keeps
	// one event per object, so the device's event is a deletion even though
	// clearing its primary IP saved it first.
	var last netbox.WebhookEvent
	devices := 0
	for _, r := range hb.received() {
		ev, err := netbox.ParseWebhook(r.body)
		require.NoError(t, err)
		require.Equal(t, netbox.EventDeleted, ev.Event)
		if ev.ObjectType == netbox.ObjectTypeDevice {
			last = ev
			devices++
		}
	}
	require.Equal(t, 1, devices)
	require.Equal(t, "device", last.Model, "derived from object_type when 4.5 omits model")
	require.Nil(t, last.Snapshots.Postchange)
	require.NotNil(t, last.Snapshots.Prechange)
	id, err := last.ObjectID()
	require.NoError(t, err)
	require.Equal(t, int64(7), id)
}

func TestParseWebhookErrors(t *testing.T) {
	t.Parallel()
	cases := map[string]struct {
		body string
		want string
	}{
		"not json":             {`event=created`, "not a JSON object"},
		"array":                {`[1,2]`, "not a JSON object"},
		"missing event":        {`{"model": "device", "data": {"id": 1}}`, `"event" is missing`},
		"empty event":          {`{"event": " ", "model": "device", "data": {"id": 1}}`, `"event" is empty`},
		"event not a string":   {`{"event": 1, "model": "device", "data": {"id": 1}}`, `"event" must be a string`},
		"no model nor type":    {`{"event": "created", "data": {"id": 1}}`, `neither "object_type" nor "model"`},
		"model not a string":   {`{"event": "created", "model": ["device"], "data": {"id": 1}}`, `"model" must be a string`},
		"data not an object":   {`{"event": "created", "model": "device", "data": "x"}`, `"data" must be an object`},
		"data missing":         {`{"event": "deleted", "object_type": "dcim.device"}`, `"data" must be an object`},
		"bad timestamp":        {`{"event": "created", "model": "device", "timestamp": "soon", "data": {"id": 1}}`, `"timestamp"`},
		"snapshots not object": {`{"event": "created", "model": "device", "data": {"id": 1}, "snapshots": 3}`, `"snapshots"`},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			_, err := netbox.ParseWebhook([]byte(tc.body))
			require.ErrorIs(t, err, netbox.ErrWebhookPayload)
			require.Contains(t, err.Error(), tc.want)
		})
	}
}

func TestParseWebhookTolerance(t *testing.T) {
	t.Parallel()
	// A 4.6 body: request object, deprecated keys null, an unknown key, and
	// the space-separated timestamp of the outdated docs example.
	body := `{"event": "updated", "timestamp": "2025-06-12 14:03:27.601825+00:00", "object_type": "dcim.device",
		"username": null, "request_id": null, "request": {"id": "abc-123", "method": "PATCH", "path": "/api/dcim/devices/5/", "user": "alice"},
		"data": {"id": 5, "name": "x"}, "snapshots": {"prechange": null, "postchange": {"name": "x"}}, "context": {"k": 1}}`
	ev, err := netbox.ParseWebhook([]byte(body))
	require.NoError(t, err)
	require.Equal(t, "abc-123", ev.RequestID)
	require.Equal(t, "alice", ev.Username)
	require.Equal(t, "device", ev.Model)
	require.Nil(t, ev.Snapshots.Prechange)
	require.Equal(t, 2025, ev.Timestamp.Year())

	job, err := netbox.ParseWebhook([]byte(`{"event": "job_ended", "object_type": "core.job", "data": null}`))
	require.NoError(t, err)
	require.Equal(t, netbox.EventJobEnded, job.Event)
	_, err = job.ObjectID()
	require.ErrorIs(t, err, netbox.ErrWebhookPayload)
}

func TestVerifySignature(t *testing.T) {
	t.Parallel()
	hb := setupHooks(t, netboxsim.Version44)
	_, err := hb.sim.UpdateDevice(1, func(d *netboxsim.Device) { d.Comments = "ünïcode ✓" })
	require.NoError(t, err)
	got := hb.received()
	require.Len(t, got, 1)
	body, sig := got[0].body, got[0].signature
	secret := []byte(hookSecret)

	require.NoError(t, netbox.VerifySignature(secret, body, sig), "the simulator's signature verifies")
	require.Equal(t, sig, netbox.Sign(secret, body))
	require.NoError(t, netbox.VerifySignature(secret, body, strings.ToUpper(sig)), "hex case does not matter")

	changed := append([]byte(nil), body...)
	changed[len(changed)-2] ^= 1
	require.ErrorIs(t, netbox.VerifySignature(secret, changed, sig), netbox.ErrSignatureMismatch, "changed body")
	require.ErrorIs(t, netbox.VerifySignature([]byte("other-secret"), body, sig), netbox.ErrSignatureMismatch, "changed secret")
	require.ErrorIs(t, netbox.VerifySignature(secret, body, ""), netbox.ErrSignatureMissing, "missing header")
	require.ErrorIs(t, netbox.VerifySignature(secret, body, "zz"+sig[2:]), netbox.ErrSignatureMismatch, "not hex")
	require.ErrorIs(t, netbox.VerifySignature(secret, body, sig[:64]), netbox.ErrSignatureMismatch, "truncated")
	require.ErrorIs(t, netbox.VerifySignature(nil, body, sig), netbox.ErrSignatureSecret)
}

func TestWebhookBodyEscapesLikePython(t *testing.T) {
	t.Parallel()
	hb := setupHooks(t, netboxsim.Version44)
	_, err := hb.sim.UpdateDevice(1, func(d *netboxsim.Device) { d.Comments = "küche ✓ 😀" })
	require.NoError(t, err)
	body := string(hb.received()[0].body)
	require.Contains(t, body, `"k\u00fcche \u2713 \ud83d\ude00"`, "ensure_ascii escapes")
	require.Contains(t, body, `"event": "updated", `, "json.dumps separators")
	ev, err := netbox.ParseWebhook([]byte(body))
	require.NoError(t, err)
	d, err := ev.Device()
	require.NoError(t, err)
	require.NotNil(t, d.Name)
	_ = context.Background()
}

// recorder is a webhook receiver that keeps the bodies.
type recorder struct {
	srv *httptest.Server
	mu  sync.Mutex
	got [][]byte
}

func newRecorder(t *testing.T) *recorder {
	t.Helper()
	r := &recorder{}
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		r.mu.Lock()
		r.got = append(r.got, body)
		r.mu.Unlock()
	}))
	t.Cleanup(r.srv.Close)
	return r
}

func (r *recorder) url() string { return r.srv.URL }

func (r *recorder) bodies() [][]byte {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([][]byte(nil), r.got...)
}

func TestChangedFieldsRecognisesTheWriteBackEcho(t *testing.T) {
	t.Parallel()
	for _, version := range []string{netboxsim.Version42, netboxsim.Version44, netboxsim.Version45} {
		r := newRecorder(t)
		b := setup(t, netboxsim.Options{Version: version, Devices: 20, WebhookURL: r.url(), WebhookSync: true}, nil)
		ctx := context.Background()
		_, err := b.client.UpdateCustomFields(ctx, netbox.ObjectTypeDevice, []netbox.CustomFieldUpdate{cfUpdate(3, "803")})
		require.NoError(t, err)
		_, err = b.sim.UpdateDevice(4, func(d *netboxsim.Device) {
			d.Status = "offline"
			d.CustomFields["wug_device_id"] = "804"
		})
		require.NoError(t, err)
		_, err = b.sim.UpdateDevice(5, func(*netboxsim.Device) {})
		require.NoError(t, err)

		bodies := r.bodies()
		require.Len(t, bodies, 3, version)
		want := [][]string{{"custom_fields.wug_device_id"}, {"custom_fields.wug_device_id", "status"}, nil}
		for i, body := range bodies {
			ev, err := netbox.ParseWebhook(body)
			require.NoError(t, err)
			changed, ok, err := ev.ChangedFields()
			require.NoError(t, err)
			require.True(t, ok)
			require.Equal(t, want[i], changed, "%s event %d", version, i)
		}
	}
}

func TestChangedFieldsNeedsBothSnapshots(t *testing.T) {
	t.Parallel()
	ev, err := netbox.ParseWebhook([]byte(`{"event": "created", "object_type": "dcim.device", "data": {"id": 1},
		"snapshots": {"prechange": null, "postchange": {"name": "x"}}}`))
	require.NoError(t, err)
	changed, ok, err := ev.ChangedFields()
	require.NoError(t, err)
	require.False(t, ok)
	require.Nil(t, changed)

	ev, err = netbox.ParseWebhook([]byte(`{"event": "updated", "object_type": "dcim.device", "data": {"id": 1},
		"snapshots": {"prechange": {"custom_fields": {"a": 1}}, "postchange": [1]}}`))
	require.NoError(t, err)
	_, _, err = ev.ChangedFields()
	require.ErrorIs(t, err, netbox.ErrWebhookPayload)
}
