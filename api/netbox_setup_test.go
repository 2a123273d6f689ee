package api

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/wugsync/wugsync/netbox"
	"github.com/wugsync/wugsync/sim/netboxsim"
)

// setupBundle is an API server whose NetBox client talks to a simulator
// over HTTP with token.
func setupBundle(t *testing.T, simOpts netboxsim.Options, token string) (*testBundle, *netboxsim.Server) {
	t.Helper()
	if simOpts.Inventory == nil {
		// A NetBox before setup: no wug_device_id field yet.
		inv := netboxsim.GenerateInventory(1, 5)
		inv.CustomFields = slices.DeleteFunc(inv.CustomFields, func(cf netboxsim.CustomField) bool { return cf.Name == "wug_device_id" })
		simOpts.Inventory = &inv
	}
	sim, err := netboxsim.New(simOpts)
	require.NoError(t, err)
	srv := httptest.NewServer(sim)
	t.Cleanup(srv.Close)
	nb, err := netbox.New(netbox.Config{URL: srv.URL, Token: token, MaxRetries: -1})
	require.NoError(t, err)
	return setup(t, func(p *Params) { p.NetBox = nb }), sim
}

func setupPath(id uint) string { return fmt.Sprintf("/api/v1/connections/%d/netbox-setup", id) }

func TestNetBoxSetupCreatesThenFinds(t *testing.T) {
	t.Parallel()
	b, sim := setupBundle(t, netboxsim.Options{}, netboxsim.DefaultToken)
	id := b.createConnection(t, "Lab", map[string]any{"wug_console_url": "https://wug.lab.example/NmConsole/#v2/device/{id}"})

	r := b.call(t, http.MethodPost, setupPath(id), nil)
	require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)
	var first NetBoxSetupResult
	require.NoError(t, json.Unmarshal(r.Body, &first))
	require.Equal(t, id, first.ConnectionID)
	require.Equal(t, "wug_device_id", first.CustomField)
	require.Len(t, first.Objects, 2, "no webhook without webhook_url")
	require.Equal(t, "extras.customfield", first.Objects[0].Kind)
	require.Equal(t, netbox.EnsureCreated, first.Objects[0].Action)
	require.Equal(t, "extras.customlink", first.Objects[1].Kind)
	require.Equal(t, "WhatsUp Gold: Lab", first.Objects[1].Name)
	require.Equal(t, netbox.EnsureCreated, first.Objects[1].Action)

	fields := sim.CustomFields()
	i := slices.IndexFunc(fields, func(cf netboxsim.CustomField) bool { return cf.Name == "wug_device_id" })
	require.GreaterOrEqual(t, i, 0)
	require.Equal(t, "text", fields[i].Type)
	require.ElementsMatch(t, []string{"dcim.device", "virtualization.virtualmachine"}, fields[i].ObjectTypes)
	links := sim.CustomLinks()
	require.Len(t, links, 1)
	require.Equal(t, "https://wug.lab.example/NmConsole/#v2/device/{{ object.cf.wug_device_id | urlencode }}", links[0].LinkURL)
	require.ElementsMatch(t, []string{"dcim.device", "virtualization.virtualmachine"}, links[0].ObjectTypes)
	require.Empty(t, sim.Webhooks())

	r = b.call(t, http.MethodPost, setupPath(id), "{}")
	require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)
	var second NetBoxSetupResult
	require.NoError(t, json.Unmarshal(r.Body, &second))
	require.Len(t, second.Objects, 2)
	for i, o := range second.Objects {
		require.Equal(t, netbox.EnsureFound, o.Action, o.Kind)
		require.Equal(t, first.Objects[i].ID, o.ID, "the same object")
	}
	require.Len(t, sim.CustomLinks(), 1, "nothing duplicated")
	require.Len(t, slices.DeleteFunc(sim.CustomFields(), func(cf netboxsim.CustomField) bool { return cf.Name != "wug_device_id" }), 1)
}

func TestNetBoxSetupAddsMissingObjectTypes(t *testing.T) {
	t.Parallel()
	inv := netboxsim.GenerateInventory(1, 5)
	inv.CustomFields = slices.DeleteFunc(inv.CustomFields, func(cf netboxsim.CustomField) bool { return cf.Name == "wug_device_id" })
	inv.CustomFields = append(inv.CustomFields, netboxsim.CustomField{ID: 70, Name: "wug_device_id", Type: "text", ObjectTypes: []string{"dcim.device"}})
	b, _ := setupBundle(t, netboxsim.Options{Inventory: &inv}, netboxsim.DefaultToken)
	id := b.createConnection(t, "Lab", nil)
	r := b.call(t, http.MethodPost, setupPath(id), nil)
	require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)
	var res NetBoxSetupResult
	require.NoError(t, json.Unmarshal(r.Body, &res))
	require.Equal(t, NetBoxSetupObject{Kind: "extras.customfield", Name: "wug_device_id", ID: 70, Action: netbox.EnsureUpdated,
		Changes: []string{"object_types: added virtualization.virtualmachine"}}, res.Objects[0])
}

func TestNetBoxSetupWithWebhook(t *testing.T) {
	t.Parallel()
	b, sim := setupBundle(t, netboxsim.Options{}, netboxsim.DefaultToken)
	id := b.createConnection(t, "Lab", nil)
	body := map[string]any{"webhook_url": "https://wugsync.example.com"}

	r := b.call(t, http.MethodPost, setupPath(id), body)
	require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)
	var first NetBoxSetupResult
	require.NoError(t, json.Unmarshal(r.Body, &first))
	require.Len(t, first.Objects, 4)
	require.Equal(t, "extras.webhook", first.Objects[2].Kind)
	require.Equal(t, netbox.EnsureCreated, first.Objects[2].Action)
	require.Equal(t, "extras.eventrule", first.Objects[3].Kind)
	require.Equal(t, netbox.EnsureCreated, first.Objects[3].Action)
	require.NotContains(t, string(r.Body), "hook-secret", "the secret is never returned")

	hooks := sim.Webhooks()
	require.Len(t, hooks, 1)
	require.Equal(t, "https://wugsync.example.com/api/v1/webhooks/netbox", hooks[0].PayloadURL)
	require.Equal(t, "hook-secret", hooks[0].Secret, "signed with WUGSYNC_WEBHOOK_SECRET")
	rules := sim.EventRules()
	require.Len(t, rules, 1)
	require.True(t, rules[0].Enabled)
	require.ElementsMatch(t, []string{"dcim.device", "virtualization.virtualmachine", "ipam.ipaddress"}, rules[0].ObjectTypes)
	require.ElementsMatch(t, []string{"object_created", "object_updated", "object_deleted"}, rules[0].EventTypes)
	require.Equal(t, hooks[0].ID, rules[0].ActionObjectID)

	r = b.call(t, http.MethodPost, setupPath(id), map[string]any{"webhook_url": "https://wugsync.example.com/api/v1/webhooks/netbox"})
	require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)
	var second NetBoxSetupResult
	require.NoError(t, json.Unmarshal(r.Body, &second))
	for _, o := range second.Objects {
		require.Equal(t, netbox.EnsureFound, o.Action, o.Kind)
	}
	require.Len(t, sim.Webhooks(), 1)
	require.Len(t, sim.EventRules(), 1)
}

func TestNetBoxSetupNamesMissingPermission(t *testing.T) {
	t.Parallel()
	const limited = "abcdefabcdefabcdefabcdefabcdefabcdefabcd"
	b, sim := setupBundle(t, netboxsim.Options{TokenPermissions: map[string][]string{
		limited: {"extras.view_customfield", "extras.add_customfield", "extras.change_customfield", "extras.view_customlink"},
	}}, limited)
	id := b.createConnection(t, "Lab", nil)
	r := b.call(t, http.MethodPost, setupPath(id), nil)
	require.Equal(t, http.StatusBadGateway, r.Status, "%s", r.Body)
	e := r.errorOf(t)
	require.Equal(t, CodeNetBox, e["code"])
	require.Contains(t, e["message"], "extras.add_customlink")
	require.Contains(t, e["message"], "extras.change_customlink")
	require.NotContains(t, e["message"], "extras.add_customfield")
	require.Empty(t, sim.CustomLinks(), "nothing half done")
	require.False(t, slices.ContainsFunc(sim.CustomFields(), func(cf netboxsim.CustomField) bool { return cf.Name == "wug_device_id" }))
}

func TestNetBoxSetupRefusesBadInput(t *testing.T) {
	t.Parallel()
	b, sim := setupBundle(t, netboxsim.Options{}, netboxsim.DefaultToken)
	id := b.createConnection(t, "Lab", nil)

	r := b.call(t, http.MethodPost, setupPath(id), map[string]any{"webhook_url": "ftp://x"})
	require.Equal(t, http.StatusUnprocessableEntity, r.Status, "%s", r.Body)
	require.Contains(t, r.errorOf(t)["message"], "webhook_url")

	r = b.call(t, http.MethodPost, setupPath(id), map[string]any{"webhook": "https://x"})
	require.Equal(t, http.StatusBadRequest, r.Status, "%s", r.Body)
	require.Contains(t, r.errorOf(t)["message"], "webhook")

	r = b.call(t, http.MethodPost, setupPath(id), map[string]any{"webhook_url": 5})
	require.Equal(t, http.StatusBadRequest, r.Status, "%s", r.Body)
	require.Contains(t, r.errorOf(t)["message"], "webhook_url")

	r = b.call(t, http.MethodPost, setupPath(id+100), nil)
	require.Equal(t, http.StatusNotFound, r.Status, "%s", r.Body)

	r = b.call(t, http.MethodPost, setupPath(id), nil, withoutAuth())
	require.Equal(t, http.StatusUnauthorized, r.Status, "%s", r.Body)
	require.Empty(t, sim.CustomLinks())
}

func TestNetBoxSetupWithoutNetBoxOrSecret(t *testing.T) {
	t.Parallel()
	b := setup(t)
	id := b.createConnection(t, "Lab", nil)
	r := b.call(t, http.MethodPost, setupPath(id), nil)
	require.Equal(t, http.StatusServiceUnavailable, r.Status, "%s", r.Body)
	require.Contains(t, r.errorOf(t)["message"], "WUGSYNC_NETBOX_URL")

	sim, err := netboxsim.New(netboxsim.Options{Devices: 1})
	require.NoError(t, err)
	srv := httptest.NewServer(sim)
	t.Cleanup(srv.Close)
	nb, err := netbox.New(netbox.Config{URL: srv.URL, Token: netboxsim.DefaultToken})
	require.NoError(t, err)
	b = setup(t, func(p *Params) { p.NetBox, p.WebhookSecret = nb, "" })
	id = b.createConnection(t, "Lab", nil)
	r = b.call(t, http.MethodPost, setupPath(id), map[string]any{"webhook_url": "https://wugsync.example.com"})
	require.Equal(t, http.StatusServiceUnavailable, r.Status, "%s", r.Body)
	require.Contains(t, r.errorOf(t)["message"], "WUGSYNC_WEBHOOK_SECRET")
	require.Empty(t, sim.Webhooks())
}
