package netboxsim_test

import (
	"net/http"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/wugsync/wugsync/netbox"
	"github.com/wugsync/wugsync/sim/netboxsim"
)

// withoutField is a generated inventory lacking one custom field.
func withoutField(n int, name string) *netboxsim.Inventory {
	inv := netboxsim.GenerateInventory(1, n)
	inv.CustomFields = slices.DeleteFunc(inv.CustomFields, func(cf netboxsim.CustomField) bool { return cf.Name == name })
	return &inv
}

func TestCustomFieldCreateShowsOnObjects(t *testing.T) {
	t.Parallel()
	b := setup(t, netboxsim.Options{Inventory: withoutField(20, "wug_device_id")})
	require.NotContains(t, b.get(t, "/api/dcim/devices/1/").body["custom_fields"], "wug_device_id")

	a := b.do(t, http.MethodPost, "/api/extras/custom-fields/", map[string]any{
		"name": "wug_device_id", "type": "text", "object_types": []any{"dcim.device"},
	}, nil)
	require.Equal(t, http.StatusCreated, a.status, string(a.raw))
	require.Equal(t, map[string]any{"value": "text", "label": "Text"}, a.body["type"])
	require.Equal(t, []any{"dcim.device"}, a.body["object_types"])
	id := itoa(int(a.body["id"].(float64)))

	dev := b.get(t, "/api/dcim/devices/1/").body["custom_fields"].(map[string]any)
	require.Contains(t, dev, "wug_device_id")
	require.Nil(t, dev["wug_device_id"], "every object lists the new field, null")
	require.NotContains(t, b.get(t, "/api/virtualization/virtual-machines/1/").body["custom_fields"], "wug_device_id",
		"not on an object type the field lacks")
	vmWrite := b.do(t, http.MethodPatch, "/api/virtualization/virtual-machines/", []any{cfPatch(1, map[string]any{"wug_device_id": "1"})}, nil)
	require.Equal(t, http.StatusBadRequest, vmWrite.status)
	require.Contains(t, string(vmWrite.raw), "Unknown field name 'wug_device_id'")

	p := b.do(t, http.MethodPatch, "/api/extras/custom-fields/"+id+"/", map[string]any{
		"object_types": []any{"dcim.device", "virtualization.virtualmachine"},
	}, nil)
	require.Equal(t, http.StatusOK, p.status, string(p.raw))
	require.Contains(t, b.get(t, "/api/virtualization/virtual-machines/1/").body["custom_fields"], "wug_device_id")

	found := b.get(t, "/api/extras/custom-fields/?name=wug_device_id")
	require.Equal(t, 1, found.count())
	require.Zero(t, b.get(t, "/api/extras/custom-fields/?name=WUG_DEVICE_ID").count(), "the name filter is exact")
	require.Equal(t, 1, b.get(t, "/api/extras/custom-fields/?object_type=virtualization.virtualmachine&type=text&name=wug_device_id").count())

	require.Equal(t, http.StatusNoContent, b.do(t, http.MethodDelete, "/api/extras/custom-fields/"+id+"/", nil, nil).status)
	require.NotContains(t, b.get(t, "/api/dcim/devices/1/").body["custom_fields"], "wug_device_id")
}

func TestCustomFieldValidation(t *testing.T) {
	t.Parallel()
	b := setup(t, netboxsim.Options{Devices: 5})
	cases := []struct {
		name    string
		method  string
		path    string
		payload any
		want    string
	}{
		{"object types required", "POST", "/api/extras/custom-fields/", map[string]any{"name": "x1", "type": "text"}, `{"object_types":["This field is required."]}`},
		{"unknown object type", "POST", "/api/extras/custom-fields/", map[string]any{"name": "x1", "type": "text", "object_types": []any{"dcim.nosuch"}}, `{"object_types":["Invalid content type: dcim.nosuch"]}`},
		{"malformed object type", "POST", "/api/extras/custom-fields/", map[string]any{"name": "x1", "type": "text", "object_types": []any{"device"}}, `{"object_types":["Invalid value. Specify a content type as '<app_label>.<model_name>'."]}`},
		{"bad type", "POST", "/api/extras/custom-fields/", map[string]any{"name": "x1", "type": "textual", "object_types": []any{"dcim.device"}}, `{"type":["\"textual\" is not a valid choice."]}`},
		{"bad name", "POST", "/api/extras/custom-fields/", map[string]any{"name": "wug-id", "object_types": []any{"dcim.device"}}, `{"name":["Only alphanumeric characters and underscores are allowed."]}`},
		{"double underscore", "POST", "/api/extras/custom-fields/", map[string]any{"name": "wug__id", "object_types": []any{"dcim.device"}}, `{"name":["Double underscores are not permitted in custom field names."]}`},
		{"duplicate name", "POST", "/api/extras/custom-fields/", map[string]any{"name": "wug_device_id", "type": "text", "object_types": []any{"dcim.device"}}, `{"name":["custom field with this name already exists."]}`},
		{"type change", "PATCH", "/api/extras/custom-fields/1/", map[string]any{"type": "integer"}, `{"type":["Changing the type of custom fields is not supported."]}`},
	}
	for _, tc := range cases {
		a := b.do(t, tc.method, tc.path, tc.payload, nil)
		require.Equal(t, http.StatusBadRequest, a.status, tc.name)
		require.JSONEq(t, tc.want, string(a.raw), tc.name)
	}
	require.Len(t, b.sim.CustomFields(), 7, "nothing was created")
}

func TestCustomFieldDefaultIsPopulated(t *testing.T) {
	t.Parallel()
	b := setup(t, netboxsim.Options{Devices: 5})
	before, _ := b.sim.Device(1)
	a := b.do(t, http.MethodPost, "/api/extras/custom-fields/", map[string]any{
		"name": "monitored_by", "type": "text", "object_types": []any{"dcim.device"}, "default": "wugsync",
	}, nil)
	require.Equal(t, http.StatusCreated, a.status, string(a.raw))
	after, _ := b.sim.Device(1)
	require.Equal(t, "wugsync", after.CustomFields["monitored_by"])
	require.Equal(t, before.LastUpdated, after.LastUpdated, "populating a default is a queryset update: no save")
}

func TestCustomLinks(t *testing.T) {
	t.Parallel()
	b := setup(t, netboxsim.Options{Devices: 5})
	link := map[string]any{
		"name": "WhatsUp Gold", "object_types": []any{"dcim.device", "virtualization.virtualmachine"},
		"link_text": "{% if object.cf.wug_device_id %}WhatsUp Gold{% endif %}",
		"link_url":  "https://wug.example.com/NmConsole/#device/{{ object.cf.wug_device_id }}", "new_window": true,
	}
	a := b.do(t, http.MethodPost, "/api/extras/custom-links/", link, nil)
	require.Equal(t, http.StatusCreated, a.status, string(a.raw))
	require.Equal(t, true, a.body["enabled"], "enabled by default")
	require.Equal(t, "default", a.body["button_class"])
	require.Equal(t, true, a.body["new_window"])
	id := itoa(int(a.body["id"].(float64)))

	dup := b.do(t, http.MethodPost, "/api/extras/custom-links/", link, nil)
	require.JSONEq(t, `{"name":["custom link with this name already exists."]}`, string(dup.raw))
	missing := b.do(t, http.MethodPost, "/api/extras/custom-links/", map[string]any{"name": "x", "object_types": []any{"dcim.device"}}, nil)
	require.JSONEq(t, `{"link_text":["This field is required."],"link_url":["This field is required."]}`, string(missing.raw))

	p := b.do(t, http.MethodPatch, "/api/extras/custom-links/"+id+"/", map[string]any{"link_url": "https://wug2/{{ object.cf.wug_device_id }}"}, nil)
	require.Equal(t, http.StatusOK, p.status)
	links := b.sim.CustomLinks()
	require.Len(t, links, 1)
	require.Equal(t, "https://wug2/{{ object.cf.wug_device_id }}", links[0].LinkURL)
	require.Equal(t, 1, b.get(t, "/api/extras/custom-links/?object_type=virtualization.virtualmachine").count())
}

func TestJournalEntries(t *testing.T) {
	t.Parallel()
	r := newReceiver(t, 200)
	b := hookSim(t, r, netboxsim.Options{WebhookSync: true})
	before, _ := b.sim.Device(2)
	a := b.do(t, http.MethodPost, "/api/extras/journal-entries/", []any{
		map[string]any{"assigned_object_type": "dcim.device", "assigned_object_id": 2, "kind": "info", "comments": "Added to WhatsUp Gold as device 812"},
		map[string]any{"assigned_object_type": "virtualization.virtualmachine", "assigned_object_id": 1, "kind": "warning", "comments": "Removed from WhatsUp Gold"},
	}, nil)
	require.Equal(t, http.StatusCreated, a.status, string(a.raw))
	var created []map[string]any
	decodeJSON(t, a.raw, &created)
	require.Len(t, created, 2, "a list creates a list")
	require.Equal(t, map[string]any{"value": "info", "label": "Info"}, created[0]["kind"])
	require.Equal(t, "/api/dcim/devices/2/", trimHost(b, created[0]["assigned_object"].(map[string]any)["url"].(string)))

	after, _ := b.sim.Device(2)
	require.Equal(t, before.LastUpdated, after.LastUpdated, "a journal entry does not save its object")
	bodies, _ := r.got()
	require.Empty(t, bodies, "and fires no event for it")

	bad := b.do(t, http.MethodPost, "/api/extras/journal-entries/", []any{
		map[string]any{"assigned_object_type": "dcim.device", "assigned_object_id": 3, "comments": "fine"},
		map[string]any{"assigned_object_type": "dcim.device", "assigned_object_id": 9999, "comments": "gone"},
	}, nil)
	require.Equal(t, http.StatusBadRequest, bad.status)
	require.JSONEq(t, `[{},{"non_field_errors":["Invalid assigned_object: DCIM | device ID 9999"]}]`, string(bad.raw))
	require.Len(t, b.sim.JournalEntries(), 2, "a refused list creates none")

	blank := b.do(t, http.MethodPost, "/api/extras/journal-entries/", map[string]any{"assigned_object_type": "dcim.device", "assigned_object_id": 3, "comments": ""}, nil)
	require.JSONEq(t, `{"comments":["This field may not be blank."]}`, string(blank.raw))
	empty := b.do(t, http.MethodPost, "/api/extras/journal-entries/", []any{}, nil)
	require.Equal(t, http.StatusCreated, empty.status)
	require.JSONEq(t, `[]`, string(empty.raw))

	list := b.get(t, "/api/extras/journal-entries/?assigned_object_type=dcim.device&assigned_object_id=2")
	require.Equal(t, 1, list.count())
	entries := b.sim.JournalEntries()
	require.Equal(t, netboxsim.DefaultUsername, entries[0].CreatedBy)
	require.Equal(t, "warning", entries[1].Kind)
}

func trimHost(b *simBundle, u string) string { return u[len(b.srv.URL):] }

// TestEventRulesDeliverWebhooks: an event rule created through the API
// makes the simulator send its object and event types to its webhook, the
// way NetBox's RQ worker does.
func TestEventRulesDeliverWebhooks(t *testing.T) {
	t.Parallel()
	r := newReceiver(t, 200)
	b := setup(t, netboxsim.Options{Devices: 20, WebhookSync: true})
	hook := b.do(t, http.MethodPost, "/api/extras/webhooks/", map[string]any{
		"name": "wugsync", "payload_url": r.srv.URL + "/api/v1/webhooks/netbox", "secret": "rulesecret",
	}, nil)
	require.Equal(t, http.StatusCreated, hook.status, string(hook.raw))
	require.Equal(t, "POST", hook.body["http_method"])
	require.Equal(t, "application/json", hook.body["http_content_type"])
	require.Equal(t, true, hook.body["ssl_verification"])
	rule := b.do(t, http.MethodPost, "/api/extras/event-rules/", map[string]any{
		"name": "wugsync devices", "object_types": []any{"dcim.device"}, "event_types": []any{"object_updated", "object_deleted"},
		"action_type": "webhook", "action_object_type": "extras.webhook", "action_object_id": hook.body["id"],
	}, nil)
	require.Equal(t, http.StatusCreated, rule.status, string(rule.raw))
	require.Equal(t, map[string]any{"value": "webhook", "label": "Webhook"}, rule.body["action_type"])
	require.Equal(t, "wugsync", rule.body["action_object"].(map[string]any)["name"])

	_, err := b.sim.UpdateDevice(3, func(d *netboxsim.Device) { d.Serial = "X1" })
	require.NoError(t, err)
	_, err = b.sim.CreateDevice(netboxsim.Device{Name: netboxsim.StrPtr("new-one"), SiteID: 1, RoleID: 1, DeviceTypeID: 1, Status: "active"})
	require.NoError(t, err)
	_, err = b.sim.UpdateVirtualMachine(1, func(vm *netboxsim.VirtualMachine) { vm.Status = "offline" })
	require.NoError(t, err)

	bodies, heads := r.got()
	require.Len(t, bodies, 1, "only the device update: creations and VMs are not subscribed")
	require.NoError(t, netbox.VerifySignature([]byte("rulesecret"), []byte(bodies[0]), heads[0].Get(netbox.SignatureHeader)))
	d := b.sim.Deliveries()
	require.Equal(t, "wugsync devices", d[0].EventRule)
	require.Equal(t, r.srv.URL+"/api/v1/webhooks/netbox", d[0].URL)

	off := b.do(t, http.MethodPatch, "/api/extras/event-rules/"+itoa(int(rule.body["id"].(float64)))+"/", map[string]any{"enabled": false}, nil)
	require.Equal(t, http.StatusOK, off.status)
	_, err = b.sim.UpdateDevice(3, func(d *netboxsim.Device) { d.Serial = "X2" })
	require.NoError(t, err)
	bodies, _ = r.got()
	require.Len(t, bodies, 1, "a disabled rule sends nothing")

	require.Equal(t, http.StatusNoContent, b.do(t, http.MethodDelete, "/api/extras/webhooks/"+itoa(int(hook.body["id"].(float64)))+"/", nil, nil).status)
	require.Empty(t, b.sim.EventRules(), "deleting a webhook deletes its event rules")
}

func TestEventRuleValidation(t *testing.T) {
	t.Parallel()
	b := setup(t, netboxsim.Options{Devices: 5})
	base := func(extra map[string]any) map[string]any {
		m := map[string]any{"name": "r", "object_types": []any{"dcim.device"}, "event_types": []any{"object_updated"},
			"action_object_type": "extras.webhook", "action_object_id": 1}
		for k, v := range extra {
			m[k] = v
		}
		return m
	}
	cases := []struct {
		name    string
		payload map[string]any
		want    string
	}{
		{"bad event type", base(map[string]any{"event_types": []any{"object_updated", "updated"}}), `{"event_types":["Item 1: \"updated\" is not a valid choice."]}`},
		{"bad conditions", base(map[string]any{"conditions": map[string]any{"not": []any{}}}), `{"conditions":["Invalid logic type: not (must be 'and' or 'or')"]}`},
		{"no event types", base(map[string]any{"event_types": []any{}}), `{"event_types":["This list may not be empty."]}`},
		{"bad action type", base(map[string]any{"action_type": "email"}), `{"action_type":["\"email\" is not a valid choice."]}`},
	}
	for _, tc := range cases {
		a := b.do(t, http.MethodPost, "/api/extras/event-rules/", tc.payload, nil)
		require.Equal(t, http.StatusBadRequest, a.status, tc.name)
		require.JSONEq(t, tc.want, string(a.raw), tc.name)
	}
	hook := b.do(t, http.MethodPost, "/api/extras/webhooks/", map[string]any{"name": "w", "payload_url": "http://x", "ssl_verification": false, "ca_file_path": "/ca.pem"}, nil)
	require.JSONEq(t, `{"ca_file_path":["Do not specify a CA certificate file if SSL verification is disabled."]}`, string(hook.raw))
}

func TestTokenPermissions(t *testing.T) {
	t.Parallel()
	const viewer = "1111111111111111111111111111111111111111"
	const writer = "2222222222222222222222222222222222222222"
	const readOnly = "3333333333333333333333333333333333333333"
	b := setup(t, netboxsim.Options{
		Devices: 5, ReadOnlyTokens: []string{readOnly},
		TokenPermissions: map[string][]string{
			viewer: {"dcim.view_device"},
			writer: {"dcim.view_device", "dcim.change_device", "extras.add_journalentry"},
		},
	})
	as := func(token string) map[string]string { return map[string]string{"Authorization": "Token " + token} }
	cases := []struct {
		name, token, method, path string
		payload                   any
		status                    int
	}{
		{"viewer reads devices", viewer, "GET", "/api/dcim/devices/", nil, 200},
		{"viewer may not read VMs", viewer, "GET", "/api/virtualization/virtual-machines/", nil, 403},
		{"viewer may not change devices", viewer, "PATCH", "/api/dcim/devices/", []any{}, 403},
		{"writer changes devices", writer, "PATCH", "/api/dcim/devices/", []any{}, 200},
		{"writer adds journal entries", writer, "POST", "/api/extras/journal-entries/", []any{}, 201},
		{"writer may not add custom fields", writer, "POST", "/api/extras/custom-fields/", []any{}, 403},
		{"writer may not delete devices", writer, "DELETE", "/api/dcim/devices/1/", nil, 403},
		{"read-only token reads", readOnly, "GET", "/api/extras/custom-fields/", nil, 200},
		{"read-only token may not write", readOnly, "PATCH", "/api/dcim/devices/", []any{}, 403},
		{"permission checked before the method", viewer, "PUT", "/api/dcim/regions/", nil, 403},
	}
	for _, tc := range cases {
		a := b.do(t, tc.method, tc.path, tc.payload, as(tc.token))
		require.Equal(t, tc.status, a.status, tc.name+": "+string(a.raw))
		if tc.status == 403 {
			require.Equal(t, "You do not have permission to perform this action.", a.body["detail"], tc.name)
		}
	}
	d1, _ := b.sim.Device(1)
	require.NotNil(t, d1, "the denied delete did nothing")
	require.Equal(t, 5, b.sim.DeviceCount())

	_, err := netboxsim.New(netboxsim.Options{TokenPermissions: map[string][]string{viewer: {"dcim.devices"}}})
	require.ErrorContains(t, err, "dcim.devices")
}
