package api

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/hibiken/asynq"
	"github.com/stretchr/testify/require"

	"github.com/wugsync/wugsync/models"
	"github.com/wugsync/wugsync/netbox"
	"github.com/wugsync/wugsync/sim/netboxsim"
	"github.com/wugsync/wugsync/tasks"
)

const webhookPath = "/api/v1/webhooks/netbox"

// netboxFor starts a simulated NetBox whose event rules post to b, signed
// with b's secret, before each change returns.
func netboxFor(t *testing.T, b *testBundle, opts netboxsim.Options) *netboxsim.Server {
	t.Helper()
	opts.WebhookURL = b.http.URL + webhookPath
	opts.WebhookSecret = b.params.WebhookSecret
	opts.WebhookSync = true
	if opts.Devices == 0 {
		opts.Devices = 6
	}
	if opts.WebhookObjectTypes == nil {
		opts.WebhookObjectTypes = []string{netbox.ObjectTypeDevice, netbox.ObjectTypeIPAddress, netbox.ObjectTypeSite, netbox.ObjectTypeVirtualMachine}
	}
	sim, err := netboxsim.New(opts)
	require.NoError(t, err)
	t.Cleanup(sim.Close)
	return sim
}

// requireAllAccepted checks every delivery so far was answered 202.
func requireAllAccepted(t *testing.T, sim *netboxsim.Server) []netboxsim.Delivery {
	t.Helper()
	ds := sim.Deliveries()
	require.NotEmpty(t, ds)
	for _, d := range ds {
		require.Equal(t, http.StatusAccepted, d.StatusCode, "%s %s %d: %s", d.ObjectType, d.Event, d.ObjectID, d.Err)
	}
	return ds
}

func TestWebhookDeviceEvents(t *testing.T) {
	t.Parallel()
	for _, version := range []string{netboxsim.Version42, netboxsim.Version44, netboxsim.Version45} {
		t.Run(version, func(t *testing.T) {
			t.Parallel()
			b := setup(t)
			sim := netboxFor(t, b, netboxsim.Options{Version: version})
			devices := sim.Devices()

			conn := b.createConnection(t, "lab", nil)
			fresh := devices[0]
			name := "new-device"
			fresh.ID, fresh.Name, fresh.PrimaryIP4ID, fresh.PrimaryIP6ID, fresh.OOBIPID = 0, &name, 0, 0, 0
			created, err := sim.CreateDevice(fresh)
			require.NoError(t, err)
			_, err = sim.UpdateDevice(devices[1].ID, func(d *netboxsim.Device) { d.Status = "offline" })
			require.NoError(t, err)
			require.NoError(t, sim.DeleteDevice(devices[2].ID))
			requireAllAccepted(t, sim)

			synced, _ := b.pendingSyncs(t, conn)
			require.Contains(t, synced, int64(created.ID))
			require.Contains(t, synced, int64(devices[1].ID))
			require.Equal(t, []int64{int64(devices[2].ID)}, b.syncedDevices(t, tasks.TypeDeviceDecommission))
		})
	}
}

func TestWebhookIPEventsSyncTheDevicesBeforeAndAfter(t *testing.T) {
	t.Parallel()
	b := setup(t)
	sim := netboxFor(t, b, netboxsim.Options{})
	inv := sim.Inventory()
	holder := inv.Devices[0]
	require.NotZero(t, holder.PrimaryIP4ID)
	ip, ok := sim.IPAddress(holder.PrimaryIP4ID)
	require.True(t, ok)
	var target netboxsim.Interface
	for _, iface := range inv.Interfaces {
		if iface.DeviceID == inv.Devices[1].ID {
			target = iface
			break
		}
	}
	require.NotZero(t, target.ID)
	conn := b.createConnection(t, "lab", nil)
	host, _, _ := strings.Cut(ip.Address, "/")
	b.insertExport(t, models.NetBoxIPExport{ConnectionID: conn, NetBoxDeviceID: int64(holder.ID), IPAddress: host})

	// NetBox refuses to move a primary IP, so it is unset first (a device
	// event); the sync that queues is dropped to look at the move alone.
	require.NoError(t, sim.ClearPrimaryIP(holder.ID))
	require.NoError(t, tasks.NewSyncQueue(b.redis.Client).Forget(context.Background(), conn))
	before := len(requireAllAccepted(t, sim))

	// Moving the address to another device's interface fires only an
	// ipam.ipaddress event; both devices must be looked at again.
	_, err := sim.UpdateIPAddress(ip.ID, func(a *netboxsim.IPAddress) { a.InterfaceID = target.ID })
	require.NoError(t, err)
	ds := requireAllAccepted(t, sim)[before:]
	require.NotEmpty(t, ds)
	for _, d := range ds {
		require.Equal(t, netbox.ObjectTypeIPAddress, d.ObjectType, "NetBox sends no device event here")
	}
	synced, _ := b.pendingSyncs(t, conn)
	slices.Sort(synced)
	want := []int64{int64(holder.ID), int64(inv.Devices[1].ID)}
	slices.Sort(want)
	require.Equal(t, want, synced)
}

func TestWebhookRenumberingSyncsTheDevice(t *testing.T) {
	t.Parallel()
	b := setup(t)
	sim := netboxFor(t, b, netboxsim.Options{})
	conn := b.createConnection(t, "lab", nil)
	d := sim.Devices()[3]
	_, err := sim.ChangeIPAddress(d.PrimaryIP4ID, "10.250.0.9/24")
	require.NoError(t, err)
	requireAllAccepted(t, sim)
	synced, _ := b.pendingSyncs(t, conn)
	require.Equal(t, []int64{int64(d.ID)}, synced)
}

func TestWebhookIgnoresOtherEvents(t *testing.T) {
	t.Parallel()
	b := setup(t)
	sim := netboxFor(t, b, netboxsim.Options{})
	_, err := sim.RenameSite(sim.Sites()[0].ID, "Renamed Site")
	require.NoError(t, err)
	_, err = sim.CreateIPAddress(netboxsim.IPAddress{Address: "192.0.2.77/24", Status: "active"})
	require.NoError(t, err, "an unassigned address that no device held")
	ds := requireAllAccepted(t, sim)
	require.Len(t, ds, 2)
	for _, d := range ds {
		r := b.postWebhook(t, d.Body, d.Signature)
		require.Equal(t, http.StatusAccepted, r.Status)
		require.Equal(t, "ignored", r.json(t)["status"], "%s", r.Body)
		require.NotEmpty(t, r.json(t)["reason"])
	}
	require.Empty(t, b.queuedTasks(t, tasks.QueueCritical))
}

// postWebhook sends a body with a signature, as NetBox would.
func (b *testBundle) postWebhook(t *testing.T, body []byte, signature string) reply {
	t.Helper()
	opts := []reqOption{withoutAuth()}
	if signature != "" {
		opts = append(opts, withHeader(netbox.SignatureHeader, signature))
	}
	return b.call(t, http.MethodPost, webhookPath, body, opts...)
}

func TestWebhookSignatureIsChecked(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.createConnection(t, "lab", nil)
	sim := netboxFor(t, b, netboxsim.Options{})
	sim.SetWebhookTarget(b.http.URL+webhookPath, "the-wrong-secret")
	_, err := sim.UpdateDevice(sim.Devices()[0].ID, func(d *netboxsim.Device) { d.Serial = "X1" })
	require.NoError(t, err)
	d := sim.Deliveries()[0]
	require.Equal(t, http.StatusUnauthorized, d.StatusCode, "a delivery signed with another secret")

	good := netbox.Sign([]byte(b.params.WebhookSecret), d.Body)
	cases := []struct {
		name      string
		body      []byte
		signature string
	}{
		{"missing", d.Body, ""},
		{"not hex", d.Body, "zz"},
		{"other secret", d.Body, d.Signature},
		{"body changed after signing", bytes.Replace(d.Body, []byte(`"updated"`), []byte(`"deleted"`), 1), good},
	}
	for _, tc := range cases {
		r := b.postWebhook(t, tc.body, tc.signature)
		require.Equal(t, http.StatusUnauthorized, r.Status, tc.name)
		require.Equal(t, CodeUnauthorized, r.errorOf(t)["code"])
	}
	require.Empty(t, b.queuedTasks(t, tasks.QueueCritical), "nothing is queued without a valid signature")

	r := b.postWebhook(t, d.Body, strings.ToUpper(good))
	require.Equal(t, http.StatusAccepted, r.Status, "hex case does not matter")
	require.Len(t, b.drains(t), 1)
}

func TestWebhookBadPayloads(t *testing.T) {
	t.Parallel()
	b := setup(t)
	secret := []byte(b.params.WebhookSecret)
	for name, body := range map[string]string{
		"not JSON":          `event=updated`,
		"no event":          `{"object_type": "dcim.device", "data": {"id": 1}}`,
		"no object type":    `{"event": "updated", "data": {"id": 1}}`,
		"data not object":   `{"event": "updated", "object_type": "dcim.device", "data": 5}`,
		"device id missing": `{"event": "updated", "object_type": "dcim.device", "data": {"name": "x"}}`,
		"device id zero":    `{"event": "deleted", "object_type": "dcim.device", "data": {"id": 0}}`,
		"bad timestamp":     `{"event": "updated", "object_type": "dcim.device", "timestamp": "yesterday", "data": {"id": 1}}`,
	} {
		r := b.postWebhook(t, []byte(body), netbox.Sign(secret, []byte(body)))
		require.Equal(t, http.StatusBadRequest, r.Status, "%s: %s", name, r.Body)
	}
	big := append([]byte(`{"event": "updated", "pad": "`), bytes.Repeat([]byte("a"), MaxBodyBytes)...)
	r := b.postWebhook(t, big, netbox.Sign(secret, big))
	require.Equal(t, http.StatusRequestEntityTooLarge, r.Status)
	require.Empty(t, b.queuedTasks(t, tasks.QueueCritical))
}

func TestWebhookRefusedWithoutSecret(t *testing.T) {
	t.Parallel()
	b := setup(t, func(p *Params) { p.WebhookSecret = "" })
	body := []byte(`{"event": "updated", "object_type": "dcim.device", "data": {"id": 1}}`)
	r := b.postWebhook(t, body, netbox.Sign([]byte("anything"), body))
	require.Equal(t, http.StatusServiceUnavailable, r.Status)
	require.Contains(t, r.errorOf(t)["message"], "WUGSYNC_WEBHOOK_SECRET")
	require.Empty(t, b.queuedTasks(t, tasks.QueueCritical))
}

func TestWebhookBurstsAndReplaysBecomeOneSync(t *testing.T) {
	t.Parallel()
	b := setup(t)
	conn := b.createConnection(t, "lab", nil)
	sim := netboxFor(t, b, netboxsim.Options{WebhookDuplicateEvery: 2})
	id := sim.Devices()[0].ID
	for i := range 5 {
		_, err := sim.UpdateDevice(id, func(d *netboxsim.Device) { d.Description = strings.Repeat("x", i) })
		require.NoError(t, err)
	}
	ds := requireAllAccepted(t, sim)
	for _, d := range ds[:3] {
		r := b.postWebhook(t, d.Body, d.Signature)
		require.Equal(t, http.StatusAccepted, r.Status, "a replay is accepted")
	}
	posts := len(ds) + 3
	// The whole burst, duplicates and replays included, is one object in
	// the connection's sync queue and one drain task.
	synced, vms := b.pendingSyncs(t, conn)
	require.Equal(t, []int64{int64(id)}, synced, "%d posts", posts)
	require.Empty(t, vms)
	require.Len(t, b.drains(t), 1, "%d posts", posts)
}

// TestWebhookLeadingEdgeRunsAtOnce: the first event of a quiet connection
// enqueues its drain to run now (pending, not scheduled), so a change
// reaches WUG without a debounce; later events of the burst add no task.
func TestWebhookLeadingEdgeRunsAtOnce(t *testing.T) {
	t.Parallel()
	b := setup(t)
	conn := b.createConnection(t, "lab", nil)
	other := b.createConnection(t, "off", map[string]any{"enable_netbox_export": false})
	sim := netboxFor(t, b, netboxsim.Options{Devices: 20})
	for _, d := range sim.Devices()[:4] {
		_, err := sim.UpdateDevice(d.ID, func(d *netboxsim.Device) { d.Description = "edited" })
		require.NoError(t, err)
	}
	requireAllAccepted(t, sim)
	drains := b.drains(t)
	require.Len(t, drains, 1, "one drain per connection, whatever the events")
	require.Equal(t, asynq.TaskStatePending, drains[0].State, "the leading edge runs now, not after a delay")
	require.Contains(t, string(drains[0].Payload), fmt.Sprintf(`"connection_id":%d`, conn))
	synced, _ := b.pendingSyncs(t, conn)
	require.Len(t, synced, 4)
	none, _ := b.pendingSyncs(t, other)
	require.Empty(t, none, "a connection that does not export queues nothing")
}

// pendingSyncs lists the devices and VMs waiting in a connection's webhook
// sync queue.
func (b *testBundle) pendingSyncs(t *testing.T, conn uint) (devices, vms []int64) {
	t.Helper()
	objs, err := tasks.NewSyncQueue(b.redis.Client).Pending(context.Background(), conn)
	require.NoError(t, err)
	for _, o := range objs {
		if o.VM {
			vms = append(vms, o.ID)
		} else {
			devices = append(devices, o.ID)
		}
	}
	return devices, vms
}

// drains lists the queued drain tasks.
func (b *testBundle) drains(t *testing.T) []*asynq.TaskInfo {
	t.Helper()
	var out []*asynq.TaskInfo
	for _, info := range b.queuedTasks(t, tasks.QueueCritical) {
		if info.Type == tasks.TypeDeviceDrain {
			out = append(out, info)
		}
	}
	return out
}

// A virtual machine's webhooks queue syncs of that VM, never of the device
// that has the same id; its deletion queues its decommission.
func TestWebhookVirtualMachineEvents(t *testing.T) {
	t.Parallel()
	b := setup(t)
	conn := b.createConnection(t, "lab", nil)
	sim := netboxFor(t, b, netboxsim.Options{Devices: 30})
	vms := sim.VirtualMachines()
	require.GreaterOrEqual(t, len(vms), 3)
	_, err := sim.UpdateVirtualMachine(vms[0].ID, func(vm *netboxsim.VirtualMachine) { vm.Description = "resized" })
	require.NoError(t, err)
	require.NoError(t, sim.DeleteVirtualMachine(vms[1].ID))
	ds := requireAllAccepted(t, sim)

	devices, synced := b.pendingSyncs(t, conn)
	require.Contains(t, synced, int64(vms[0].ID))
	require.Contains(t, b.syncedVMs(t, tasks.TypeDeviceDecommission), int64(vms[1].ID))
	require.NotContains(t, devices, int64(vms[0].ID), "device %d did not change", vms[0].ID)
	for _, d := range ds {
		if d.ObjectType == netbox.ObjectTypeVirtualMachine && d.Event == "updated" {
			r := b.postWebhook(t, d.Body, d.Signature)
			require.Equal(t, "sync", r.json(t)["action"], "%s", r.Body)
			require.Equal(t, []any{float64(vms[0].ID)}, r.json(t)["vm_ids"], "%s", r.Body)
			require.Equal(t, []any{}, r.json(t)["device_ids"], "%s", r.Body)
		}
	}
}
