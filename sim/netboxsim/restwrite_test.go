package netboxsim_test

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/wugsync/wugsync/sim/netboxsim"
)

func TestRESTPatchDeviceFiresWebhook(t *testing.T) {
	t.Parallel()
	r := newReceiver(t, 200)
	b := hookSim(t, r, netboxsim.Options{WebhookSync: true})
	a := b.do(t, http.MethodPatch, "/api/dcim/devices/2/", map[string]any{
		"name": "renamed-sw", "status": "planned", "tags": []any{map[string]any{"slug": "critical"}},
		"custom_fields": map[string]any{"wug_device_id": "4711"},
	}, nil)
	require.Equal(t, 200, a.status, string(a.raw))
	require.Equal(t, "renamed-sw", a.body["name"])
	require.Contains(t, a.body, "config_context", "writes answer with the detail serializer")
	cf := a.body["custom_fields"].(map[string]any)
	require.Equal(t, "4711", cf["wug_device_id"])
	require.NotNil(t, cf["owner_team"], "custom_fields merge on PATCH")

	bodies, _ := r.got()
	require.Len(t, bodies, 1)
	m := decode(t, bodies[0])
	require.Equal(t, a.header.Get("X-Request-ID"), m["request_id"])
	require.Equal(t, "renamed-sw", m["data"].(map[string]any)["name"])
}

func TestRESTCreateAndDeleteDevice(t *testing.T) {
	t.Parallel()
	r := newReceiver(t, 200)
	b := hookSim(t, r, netboxsim.Options{WebhookSync: true})
	a := b.do(t, http.MethodPost, "/api/dcim/devices/", map[string]any{
		"name": "lab-fw01", "device_type": 1, "role": map[string]any{"slug": "firewall"}, "site": map[string]any{"slug": "nyc1"},
	}, nil)
	require.Equal(t, http.StatusCreated, a.status, string(a.raw))
	id := int(a.body["id"].(float64))
	require.Equal(t, "active", a.body["status"].(map[string]any)["value"])
	require.Equal(t, "firewall", a.body["role"].(map[string]any)["slug"])

	del := b.do(t, http.MethodDelete, "/api/dcim/devices/"+itoa(id)+"/", nil, nil)
	require.Equal(t, http.StatusNoContent, del.status)
	require.Empty(t, del.raw)
	require.Equal(t, 404, b.do(t, http.MethodDelete, "/api/dcim/devices/"+itoa(id)+"/", nil, nil).status)

	bodies, _ := r.got()
	require.Len(t, bodies, 2)
	require.Equal(t, "created", decode(t, bodies[0])["event"])
	require.Equal(t, "deleted", decode(t, bodies[1])["event"])
}

func TestRESTValidationErrors(t *testing.T) {
	t.Parallel()
	b := setup(t, netboxsim.Options{Devices: 10})
	d3, _ := b.sim.Device(3)
	cases := []struct {
		name, method, path string
		payload            any
		want               string
	}{
		{"bad status", "PATCH", "/api/dcim/devices/1/", map[string]any{"status": "bogus"}, `{"status":["\"bogus\" is not a valid choice."]}`},
		{"unknown site id", "PATCH", "/api/dcim/devices/1/", map[string]any{"site": 999}, `{"site":["Related object not found using the provided numeric ID: 999"]}`},
		{"foreign primary ip", "PATCH", "/api/dcim/devices/1/", map[string]any{"primary_ip4": d3.PrimaryIP4ID},
			`{"primary_ip4":["The specified IP address (` + b.sim.Inventory().IPAddresses[d3.PrimaryIP4ID-1].Address + `) is not assigned to this device."]}`},
		{"missing required on create", "POST", "/api/dcim/devices/", map[string]any{"name": "x"},
			`{"device_type":["This field is required."],"role":["This field is required."],"site":["This field is required."]}`},
		{"bad address", "PATCH", "/api/ipam/ip-addresses/1/", map[string]any{"address": "10.0.0.300/24"}, `{"address":["Invalid IP address format: 10.0.0.300/24"]}`},
		{"list body", "PATCH", "/api/dcim/devices/1/", []any{1}, `{"non_field_errors":["Invalid data. Expected a dictionary, but got list."]}`},
	}
	for _, tc := range cases {
		a := b.do(t, tc.method, tc.path, tc.payload, nil)
		require.Equal(t, 400, a.status, tc.name)
		require.JSONEq(t, tc.want, string(a.raw), tc.name)
	}
	req := b.do(t, "PATCH", "/api/dcim/devices/1/", nil, nil)
	require.Equal(t, 400, req.status)
	require.Contains(t, req.body["detail"], "JSON parse error")
	require.Equal(t, 404, b.do(t, "PATCH", "/api/dcim/devices/999/", map[string]any{}, nil).status)
}

func TestRESTPatchIPAddressAndSite(t *testing.T) {
	t.Parallel()
	r := newReceiver(t, 200)
	b := hookSim(t, r, netboxsim.Options{WebhookSync: true})
	d, _ := b.sim.Device(1)
	a := b.do(t, http.MethodPatch, "/api/ipam/ip-addresses/"+itoa(d.PrimaryIP4ID)+"/", map[string]any{"address": "10.9.9.9/24", "dns_name": "sw.example.net"}, nil)
	require.Equal(t, 200, a.status, string(a.raw))
	require.Equal(t, "10.9.9.9/24", a.body["address"])
	ip, _ := b.sim.IPAddress(d.PrimaryIP4ID)
	require.Equal(t, "sw.example.net", ip.DNSName)

	s := b.do(t, http.MethodPatch, "/api/dcim/sites/1/", map[string]any{"name": "New York Primary"}, nil)
	require.Equal(t, 200, s.status, string(s.raw))
	require.Equal(t, "New York Primary", b.sim.Sites()[0].Name)

	bodies, _ := r.got()
	require.Len(t, bodies, 1, "the site rename is not subscribed; the address edit is")
	require.Equal(t, "ipam.ipaddress", decode(t, bodies[0])["object_type"])
}
