package netboxsim_test

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/wugsync/wugsync/netbox"
	"github.com/wugsync/wugsync/sim/netboxsim"
)

// nameOrder returns ids in NetBox's device order (name, then id), as the
// list endpoint gives it.
func nameOrder(t *testing.T, b *simBundle, path string, ids ...int) []int {
	t.Helper()
	q := "?"
	for _, id := range ids {
		q += "id=" + itoa(id) + "&"
	}
	return b.get(t, path+q).ids(t)
}

func cfPatch(id int, values map[string]any) map[string]any {
	return map[string]any{"id": id, "custom_fields": values}
}

func TestBulkPatchDevicesCustomFields(t *testing.T) {
	t.Parallel()
	r := newReceiver(t, 200)
	b := hookSim(t, r, netboxsim.Options{WebhookSync: true})
	// Two devices whose name order is not their id order.
	byName := nameOrder(t, b, "/api/dcim/devices/", 1, 2, 3, 4, 5, 6, 7, 8, 9, 10)
	first, second := 0, 0
	for i := 1; i < len(byName) && first == 0; i++ {
		if byName[i-1] > byName[i] {
			first, second = byName[i-1], byName[i]
		}
	}
	require.NotZero(t, first, "the inventory must have names out of id order")
	beforeFirst, _ := b.sim.Device(first)
	before4, _ := b.sim.Device(11)
	a := b.do(t, http.MethodPatch, "/api/dcim/devices/", []any{
		cfPatch(second, map[string]any{"wug_device_id": "812"}),
		cfPatch(first, map[string]any{"wug_device_id": "813"}),
		cfPatch(999, map[string]any{"wug_device_id": "999"}),
	}, nil)
	require.Equal(t, http.StatusOK, a.status, string(a.raw))

	var saved []map[string]any
	decodeJSON(t, a.raw, &saved)
	require.Len(t, saved, 2, "an unknown id is skipped, not refused")
	got := []int{int(saved[0]["id"].(float64)), int(saved[1]["id"].(float64))}
	require.Equal(t, []int{first, second}, got, "answered in NetBox's order (name), not the request's or the ids'")
	require.Contains(t, saved[0], "config_context", "the answer is the detail serializer")

	dSecond, _ := b.sim.Device(second)
	dFirst, _ := b.sim.Device(first)
	require.Equal(t, "812", dSecond.CustomFields["wug_device_id"])
	require.Equal(t, "813", dFirst.CustomFields["wug_device_id"])
	require.Equal(t, beforeFirst.CustomFields["owner_team"], dFirst.CustomFields["owner_team"], "custom_fields merge")
	require.True(t, dFirst.LastUpdated.After(beforeFirst.LastUpdated))
	d4, _ := b.sim.Device(11)
	require.Equal(t, before4.LastUpdated, d4.LastUpdated, "objects not listed are not saved")

	changes := b.get(t, "/api/core/object-changes/?changed_object_type=dcim.device&action=update")
	require.Equal(t, 2, changes.count())
	bodies, _ := r.got()
	require.Len(t, bodies, 2, "one webhook per saved object")
	for _, body := range bodies {
		require.Equal(t, a.header.Get("X-Request-ID"), decode(t, body)["request_id"], "one request id for the whole bulk update")
	}
}

func TestBulkPatchHonoursFieldsAndNull(t *testing.T) {
	t.Parallel()
	b := setup(t, netboxsim.Options{Devices: 10})
	_, err := b.sim.UpdateDevice(2, func(d *netboxsim.Device) { d.CustomFields["wug_device_id"] = "5" })
	require.NoError(t, err)
	a := b.do(t, http.MethodPatch, "/api/dcim/devices/?fields=id,custom_fields", []any{cfPatch(2, map[string]any{"wug_device_id": nil})}, nil)
	require.Equal(t, http.StatusOK, a.status, string(a.raw))
	var saved []map[string]any
	decodeJSON(t, a.raw, &saved)
	require.Len(t, saved, 1)
	require.Len(t, saved[0], 2, "fields= trims the answer of a write too")
	require.Nil(t, saved[0]["custom_fields"].(map[string]any)["wug_device_id"])
	d2, _ := b.sim.Device(2)
	require.Nil(t, d2.CustomFields["wug_device_id"], "null clears the value")
}

func TestBulkPatchIsOneTransaction(t *testing.T) {
	t.Parallel()
	r := newReceiver(t, 200)
	b := hookSim(t, r, netboxsim.Options{WebhookSync: true})
	order := nameOrder(t, b, "/api/dcim/devices/", 5, 6)
	first, second := order[0], order[1]
	before, _ := b.sim.Device(first)
	a := b.do(t, http.MethodPatch, "/api/dcim/devices/", []any{
		cfPatch(first, map[string]any{"wug_device_id": "1"}),
		cfPatch(second, map[string]any{"no_such_field": "1"}),
	}, nil)
	require.Equal(t, http.StatusBadRequest, a.status)
	require.JSONEq(t, `{"__all__":["Unknown field name 'no_such_field' in custom field data."]}`, string(a.raw))

	after, _ := b.sim.Device(first)
	require.Equal(t, before.LastUpdated, after.LastUpdated, "the object saved before the failure is rolled back")
	require.Nil(t, after.CustomFields["wug_device_id"])
	require.Zero(t, b.get(t, "/api/core/object-changes/?changed_object_type=dcim.device").count(), "and so is its change log row")

	// NetBox's REST API flushes the events it queued before the failing
	// object even though the transaction rolled back.
	bodies, _ := r.got()
	require.Len(t, bodies, 1)
	m := decode(t, bodies[0])
	require.Equal(t, float64(first), m["data"].(map[string]any)["id"])
}

func TestBulkPatchRefusesMalformedLists(t *testing.T) {
	t.Parallel()
	b := setup(t, netboxsim.Options{Devices: 5})
	cases := []struct {
		name    string
		payload any
		want    string
	}{
		{"object instead of list", map[string]any{"id": 1}, `{"non_field_errors":["Expected a list of items but got type \"dict\"."]}`},
		{"item without id", []any{map[string]any{"id": 1}, map[string]any{"name": "x"}}, `[{},{"id":["This field is required."]}]`},
		{"id not an integer", []any{map[string]any{"id": "one"}}, `[{"id":["A valid integer is required."]}]`},
		{"item not an object", []any{"1"}, `[{"non_field_errors":["Invalid data. Expected a dictionary, but got str."]}]`},
	}
	for _, tc := range cases {
		a := b.do(t, http.MethodPatch, "/api/dcim/devices/", tc.payload, nil)
		require.Equal(t, http.StatusBadRequest, a.status, tc.name)
		require.JSONEq(t, tc.want, string(a.raw), tc.name)
	}
	empty := b.do(t, http.MethodPatch, "/api/dcim/devices/", []any{}, nil)
	require.Equal(t, http.StatusOK, empty.status)
	require.JSONEq(t, `[]`, string(empty.raw), "an empty list updates nothing")
}

func TestUnknownCustomFieldPerVersion(t *testing.T) {
	t.Parallel()
	for _, v := range []string{netboxsim.Version42, netboxsim.Version44} {
		b := setup(t, netboxsim.Options{Version: v, Devices: 5})
		a := b.do(t, http.MethodPatch, "/api/dcim/devices/", []any{cfPatch(1, map[string]any{"nope": "1"})}, nil)
		require.Equal(t, http.StatusBadRequest, a.status, v)
		require.Contains(t, string(a.raw), "Unknown field name 'nope' in custom field data.", v)
	}
	// 4.4.10 and later drop the value and answer 200 (netbox#21049).
	b := setup(t, netboxsim.Options{Version: netboxsim.Version45, Devices: 5})
	a := b.do(t, http.MethodPatch, "/api/dcim/devices/", []any{cfPatch(1, map[string]any{"nope": "1", "wug_device_id": "7"})}, nil)
	require.Equal(t, http.StatusOK, a.status, string(a.raw))
	var saved []map[string]any
	decodeJSON(t, a.raw, &saved)
	cf := saved[0]["custom_fields"].(map[string]any)
	require.NotContains(t, cf, "nope")
	require.Equal(t, "7", cf["wug_device_id"])
	d, _ := b.sim.Device(1)
	require.NotContains(t, d.CustomFields, "nope")
}

func TestCustomFieldValuesAreTypeChecked(t *testing.T) {
	t.Parallel()
	b := setup(t, netboxsim.Options{Devices: 5})
	cases := []struct {
		values map[string]any
		want   string
	}{
		{map[string]any{"wug_device_id": 812}, `{"__all__":["Invalid value for custom field 'wug_device_id': Value must be a string."]}`},
		{map[string]any{"snmp_enabled": "yes"}, `{"__all__":["Invalid value for custom field 'snmp_enabled': Value must be true or false."]}`},
		{map[string]any{"support_contract_end": "soon"}, `{"__all__":["Invalid value for custom field 'support_contract_end': Date values must be in ISO 8601 format (YYYY-MM-DD)."]}`},
		{map[string]any{"snmp_enabled": nil, "owner_team": []any{1}}, `{"__all__":["Invalid value for custom field 'owner_team': Value must be a string."]}`},
	}
	for _, tc := range cases {
		a := b.do(t, http.MethodPatch, "/api/dcim/devices/1/", map[string]any{"custom_fields": tc.values}, nil)
		require.Equal(t, http.StatusBadRequest, a.status)
		require.JSONEq(t, tc.want, string(a.raw))
	}
}

// TestWriteBackEchoSnapshots is the contract the echo suppression relies
// on: a write of one custom field sends a signed "updated" webhook whose
// snapshots differ in that field only (last_updated aside, which NetBox
// leaves out of prechange).
func TestWriteBackEchoSnapshots(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		objectType, path string
		id               int
	}{
		{netbox.ObjectTypeDevice, "/api/dcim/devices/", 4},
		{netbox.ObjectTypeVirtualMachine, "/api/virtualization/virtual-machines/", 2},
	} {
		r := newReceiver(t, 200)
		b := hookSim(t, r, netboxsim.Options{WebhookSync: true, Devices: 30})
		a := b.do(t, http.MethodPatch, tc.path, []any{cfPatch(tc.id, map[string]any{"wug_device_id": "4242"})}, nil)
		require.Equal(t, http.StatusOK, a.status, string(a.raw))
		bodies, heads := r.got()
		require.Len(t, bodies, 1, tc.objectType)
		require.NoError(t, netbox.VerifySignature([]byte("topsecret"), []byte(bodies[0]), heads[0].Get(netbox.SignatureHeader)))
		ev, err := netbox.ParseWebhook([]byte(bodies[0]))
		require.NoError(t, err)
		require.Equal(t, netbox.EventUpdated, ev.Event)
		require.Equal(t, tc.objectType, ev.ObjectType)
		changed, ok, err := ev.ChangedFields()
		require.NoError(t, err)
		require.True(t, ok)
		require.Equal(t, []string{"custom_fields.wug_device_id"}, changed, tc.objectType)

		var pre, post map[string]any
		decodeJSON(t, ev.Snapshots.Prechange, &pre)
		decodeJSON(t, ev.Snapshots.Postchange, &post)
		require.NotContains(t, pre, "last_updated")
		require.Contains(t, post, "last_updated")
		require.Nil(t, pre["custom_fields"].(map[string]any)["wug_device_id"])
		require.Equal(t, "4242", post["custom_fields"].(map[string]any)["wug_device_id"])
	}
}

func TestBulkCreateAndDeleteDevices(t *testing.T) {
	t.Parallel()
	b := setup(t, netboxsim.Options{Devices: 5})
	a := b.do(t, http.MethodPost, "/api/dcim/devices/", []any{
		map[string]any{"name": "bulk-a", "device_type": 1, "role": 1, "site": 1},
		map[string]any{"name": "bulk-b", "device_type": 1, "role": 1, "site": 1},
	}, nil)
	require.Equal(t, http.StatusCreated, a.status, string(a.raw))
	var created []map[string]any
	decodeJSON(t, a.raw, &created)
	require.Len(t, created, 2)
	require.Equal(t, 7, b.sim.DeviceCount())

	bad := b.do(t, http.MethodPost, "/api/dcim/devices/", []any{
		map[string]any{"name": "bulk-c", "device_type": 1, "role": 1, "site": 1},
		map[string]any{"name": "bulk-d", "device_type": 1, "role": 1, "site": 999},
	}, nil)
	require.Equal(t, http.StatusBadRequest, bad.status)
	require.Equal(t, 7, b.sim.DeviceCount(), "a failed bulk create creates nothing")

	del := b.do(t, http.MethodDelete, "/api/dcim/devices/", []any{
		map[string]any{"id": created[0]["id"]}, map[string]any{"id": created[1]["id"]}, map[string]any{"id": 999},
	}, nil)
	require.Equal(t, http.StatusNoContent, del.status)
	require.Equal(t, 5, b.sim.DeviceCount())
}
