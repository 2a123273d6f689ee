package netbox_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/wugsync/wugsync/netbox"
	"github.com/wugsync/wugsync/sim/netboxsim"
)

func TestAddJournalEntriesInOneRequest(t *testing.T) {
	t.Parallel()
	b := setup(t, netboxsim.Options{Devices: 20}, nil)
	res, err := b.client.AddJournalEntries(context.Background(), []netbox.JournalEntry{
		{ObjectType: netbox.ObjectTypeDevice, ObjectID: 2, Kind: netbox.JournalInfo, Comments: "Added to WhatsUp Gold as device 812"},
		{ObjectType: netbox.ObjectTypeVirtualMachine, ObjectID: 1, Kind: netbox.JournalWarning, Comments: "Removed from WhatsUp Gold"},
	})
	require.NoError(t, err)
	require.Len(t, res.Created, 2)
	require.Empty(t, res.Skipped)
	require.Equal(t, 1, b.sim.RequestCount("POST", "/api/extras/journal-entries/"))
	entries := b.sim.JournalEntries()
	require.Len(t, entries, 2)
	require.Equal(t, netboxsim.JournalEntry{ID: entries[0].ID, ObjectType: "dcim.device", ObjectID: 2, Kind: "info",
		Comments: "Added to WhatsUp Gold as device 812", CreatedBy: netboxsim.DefaultUsername,
		Created: entries[0].Created, LastUpdated: entries[0].LastUpdated}, entries[0])
	require.Equal(t, "virtualization.virtualmachine", entries[1].ObjectType)
	require.Equal(t, "warning", entries[1].Kind)
}

func TestAddJournalEntriesSkipsDeletedObjects(t *testing.T) {
	t.Parallel()
	b := setup(t, netboxsim.Options{Devices: 20}, nil)
	require.NoError(t, b.sim.DeleteDevice(4))
	gone := netbox.JournalEntry{ObjectType: netbox.ObjectTypeDevice, ObjectID: 4, Kind: netbox.JournalWarning, Comments: "Removed"}
	res, err := b.client.AddJournalEntries(context.Background(), []netbox.JournalEntry{
		{ObjectType: netbox.ObjectTypeDevice, ObjectID: 3, Kind: netbox.JournalInfo, Comments: "Added"},
		gone,
	})
	require.NoError(t, err)
	require.Len(t, res.Created, 1)
	require.Equal(t, []netbox.JournalEntry{gone}, res.Skipped)
	require.Equal(t, 2, b.sim.RequestCount("POST", "/api/extras/journal-entries/"), "sent again without the refused entry")
	entries := b.sim.JournalEntries()
	require.Len(t, entries, 1)
	require.Equal(t, 3, entries[0].ObjectID)
}

func TestAddJournalEntriesValidatesInput(t *testing.T) {
	t.Parallel()
	b := setup(t, netboxsim.Options{Devices: 5}, nil)
	for name, e := range map[string]netbox.JournalEntry{
		"object type": {ObjectType: "dcim.site", ObjectID: 1, Kind: netbox.JournalInfo, Comments: "x"},
		"id":          {ObjectType: netbox.ObjectTypeDevice, Kind: netbox.JournalInfo, Comments: "x"},
		"kind":        {ObjectType: netbox.ObjectTypeDevice, ObjectID: 1, Kind: "note", Comments: "x"},
		"comments":    {ObjectType: netbox.ObjectTypeDevice, ObjectID: 1, Kind: netbox.JournalInfo, Comments: " "},
	} {
		_, err := b.client.AddJournalEntries(context.Background(), []netbox.JournalEntry{e})
		require.ErrorIs(t, err, netbox.ErrConfig, name)
	}
	require.Empty(t, b.sim.Requests())
}

// noWugIDField is an inventory without the wug_device_id custom field,
// as a NetBox before netbox-setup.
func noWugIDField(n int) *netboxsim.Inventory {
	inv := netboxsim.GenerateInventory(1, n)
	inv.CustomFields = slices.DeleteFunc(inv.CustomFields, func(cf netboxsim.CustomField) bool { return cf.Name == "wug_device_id" })
	return &inv
}

var wugField = netbox.CustomField{
	Name: "wug_device_id", Type: netbox.CustomFieldText, Label: "WUG device ID",
	ObjectTypes: []string{netbox.ObjectTypeDevice, netbox.ObjectTypeVirtualMachine},
}

func TestEnsureCustomField(t *testing.T) {
	t.Parallel()
	b := setup(t, netboxsim.Options{Inventory: noWugIDField(10)}, nil)
	ctx := context.Background()
	cf, res, err := b.client.EnsureCustomField(ctx, wugField)
	require.NoError(t, err)
	require.Equal(t, netbox.EnsureCreated, res.Action)
	require.Equal(t, cf.ID, res.ID)
	require.Equal(t, "text", cf.Type)
	require.ElementsMatch(t, wugField.ObjectTypes, cf.ObjectTypes)

	_, err = b.client.UpdateCustomFields(ctx, netbox.ObjectTypeVirtualMachine, []netbox.CustomFieldUpdate{cfUpdate(1, "5")})
	require.NoError(t, err, "the field works on VMs right away")

	posts := b.sim.RequestCount("POST", "/api/extras/custom-fields/")
	_, res, err = b.client.EnsureCustomField(ctx, wugField)
	require.NoError(t, err)
	require.Equal(t, netbox.EnsureFound, res.Action)
	require.Equal(t, posts, b.sim.RequestCount("POST", "/api/extras/custom-fields/"), "idempotent: nothing created twice")
	require.Zero(t, b.sim.RequestCount("PATCH", "/api/extras/custom-fields/{id}/"))
}

func TestEnsureCustomFieldAddsMissingObjectTypes(t *testing.T) {
	t.Parallel()
	inv := noWugIDField(10)
	inv.CustomFields = append(inv.CustomFields, netboxsim.CustomField{ID: 50, Name: "wug_device_id", Type: "text",
		ObjectTypes: []string{"dcim.device", "dcim.site"}})
	b := setup(t, netboxsim.Options{Inventory: inv}, nil)
	cf, res, err := b.client.EnsureCustomField(context.Background(), wugField)
	require.NoError(t, err)
	require.Equal(t, netbox.EnsureUpdated, res.Action)
	require.Equal(t, []string{"object_types: added virtualization.virtualmachine"}, res.Changes)
	require.ElementsMatch(t, []string{"dcim.device", "dcim.site", "virtualization.virtualmachine"}, cf.ObjectTypes, "existing types are kept")
	require.Equal(t, int64(50), cf.ID)
}

func TestEnsureCustomFieldRefusesAnotherType(t *testing.T) {
	t.Parallel()
	inv := netboxsim.GenerateInventory(1, 10)
	inv.CustomFields[0].Type = "integer"
	b := setup(t, netboxsim.Options{Inventory: &inv}, nil)
	_, _, err := b.client.EnsureCustomField(context.Background(), wugField)
	require.ErrorIs(t, err, netbox.ErrConfig)
	require.Contains(t, err.Error(), `custom field "wug_device_id" exists with type "integer", not "text"`)
	require.Zero(t, b.sim.RequestCount("PATCH", "/api/extras/custom-fields/{id}/"))

	_, _, err = b.client.EnsureCustomField(context.Background(), netbox.CustomField{Name: "wug-id", Type: "text", ObjectTypes: []string{"dcim.device"}})
	require.ErrorIs(t, err, netbox.ErrConfig, "NetBox's name rules are applied before asking")
}

func TestEnsureCustomLink(t *testing.T) {
	t.Parallel()
	b := setup(t, netboxsim.Options{Devices: 5}, nil)
	ctx := context.Background()
	spec := netbox.CustomLink{
		Name: "WhatsUp Gold", ObjectTypes: []string{netbox.ObjectTypeDevice, netbox.ObjectTypeVirtualMachine}, Enabled: true,
		LinkText:  "{% if object.cf.wug_device_id %}WhatsUp Gold{% endif %}",
		LinkURL:   "https://wug.example.com/NmConsole/",
		NewWindow: true,
	}
	l, res, err := b.client.EnsureCustomLink(ctx, spec)
	require.NoError(t, err)
	require.Equal(t, netbox.EnsureCreated, res.Action)
	require.Equal(t, spec.LinkURL, l.LinkURL)
	require.Equal(t, "default", l.ButtonClass)

	_, res, err = b.client.EnsureCustomLink(ctx, spec)
	require.NoError(t, err)
	require.Equal(t, netbox.EnsureFound, res.Action)

	spec.LinkURL = "https://wug.example.com/NmConsole/#v2/device/{{ object.cf.wug_device_id }}"
	l, res, err = b.client.EnsureCustomLink(ctx, spec)
	require.NoError(t, err)
	require.Equal(t, netbox.EnsureUpdated, res.Action)
	require.Equal(t, []string{"link_url"}, res.Changes)
	require.Equal(t, spec.LinkURL, b.sim.CustomLinks()[0].LinkURL)
	require.Len(t, b.sim.CustomLinks(), 1)
	require.Equal(t, l.ID, int64(b.sim.CustomLinks()[0].ID))
}

// TestEnsureWebhookAndEventRuleDeliver sets up the webhook and event rule
// the way netbox-setup will, then checks that NetBox (the simulator) sends
// a device change to the receiver, signed with the secret.
func TestEnsureWebhookAndEventRuleDeliver(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	var got []received
	receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		mu.Lock()
		got = append(got, received{body: body, signature: r.Header.Get(netbox.SignatureHeader)})
		mu.Unlock()
	}))
	t.Cleanup(receiver.Close)
	b := setup(t, netboxsim.Options{Devices: 20, WebhookSync: true}, nil)
	ctx := context.Background()

	hookSpec := netbox.Webhook{Name: "wugsync", PayloadURL: receiver.URL + "/api/v1/webhooks/netbox", Secret: hookSecret, SSLVerification: true}
	hook, res, err := b.client.EnsureWebhook(ctx, hookSpec)
	require.NoError(t, err)
	require.Equal(t, netbox.EnsureCreated, res.Action)
	require.Equal(t, "POST", hook.HTTPMethod)
	ruleSpec := netbox.EventRule{
		Name: "wugsync", ObjectTypes: netbox.ExportableObjectTypes,
		EventTypes:     []string{netbox.EventTypeObjectCreated, netbox.EventTypeObjectUpdated, netbox.EventTypeObjectDeleted},
		ActionObjectID: hook.ID,
	}
	rule, res, err := b.client.EnsureEventRule(ctx, ruleSpec)
	require.NoError(t, err)
	require.Equal(t, netbox.EnsureCreated, res.Action)
	require.Equal(t, "webhook", rule.ActionType)
	require.Equal(t, netbox.ObjectTypeWebhook, rule.ActionObjectType)
	require.True(t, rule.Enabled)

	_, res, err = b.client.EnsureWebhook(ctx, hookSpec)
	require.NoError(t, err)
	require.Equal(t, netbox.EnsureFound, res.Action)
	_, res, err = b.client.EnsureEventRule(ctx, ruleSpec)
	require.NoError(t, err)
	require.Equal(t, netbox.EnsureFound, res.Action)

	_, err = b.sim.UpdateDevice(5, func(d *netboxsim.Device) { d.Serial = "CHANGED" })
	require.NoError(t, err)
	_, err = b.client.UpdateCustomFields(ctx, netbox.ObjectTypeVirtualMachine, []netbox.CustomFieldUpdate{cfUpdate(1, "42")})
	require.NoError(t, err)
	mu.Lock()
	deliveries := append([]received(nil), got...)
	mu.Unlock()
	require.Len(t, deliveries, 2)
	for _, d := range deliveries {
		require.NoError(t, netbox.VerifySignature([]byte(hookSecret), d.body, d.signature))
	}
	ev, err := netbox.ParseWebhook(deliveries[1].body)
	require.NoError(t, err)
	require.Equal(t, netbox.ObjectTypeVirtualMachine, ev.ObjectType)

	hookSpec.Secret = "rotated"
	_, res, err = b.client.EnsureWebhook(ctx, hookSpec)
	require.NoError(t, err)
	require.Equal(t, netbox.EnsureUpdated, res.Action)
	require.Equal(t, []string{"secret"}, res.Changes)
	require.NotContains(t, res.Changes, "rotated", "a secret is named, never shown")
	require.Equal(t, "rotated", b.sim.Webhooks()[0].Secret)
}

func TestEnsureEventRuleWidensAnExistingRule(t *testing.T) {
	t.Parallel()
	inv := netboxsim.GenerateInventory(1, 5)
	inv.Webhooks = []netboxsim.Webhook{{ID: 3, Name: "wugsync", PayloadURL: "http://x", HTTPMethod: "POST", HTTPContentType: "application/json"}}
	inv.EventRules = []netboxsim.EventRule{{ID: 8, Name: "wugsync", ObjectTypes: []string{"dcim.device", "ipam.ipaddress"},
		EventTypes: []string{"object_updated"}, Enabled: false, ActionType: "webhook", ActionObjectType: "extras.webhook", ActionObjectID: 3}}
	b := setup(t, netboxsim.Options{Inventory: &inv}, nil)
	rule, res, err := b.client.EnsureEventRule(context.Background(), netbox.EventRule{
		Name: "wugsync", ObjectTypes: netbox.ExportableObjectTypes,
		EventTypes: []string{netbox.EventTypeObjectCreated, netbox.EventTypeObjectUpdated, netbox.EventTypeObjectDeleted}, ActionObjectID: 3,
	})
	require.NoError(t, err)
	require.Equal(t, netbox.EnsureUpdated, res.Action)
	require.Equal(t, []string{
		"object_types: added virtualization.virtualmachine",
		"event_types: added object_created, object_deleted",
		"enabled",
	}, res.Changes)
	require.Equal(t, int64(8), rule.ID)
	require.ElementsMatch(t, []string{"dcim.device", "ipam.ipaddress", "virtualization.virtualmachine"}, rule.ObjectTypes)
	require.True(t, b.sim.EventRules()[0].Enabled)
}

func TestEventRuleDecodesNetBox40Booleans(t *testing.T) {
	t.Parallel()
	var r netbox.EventRule
	require.NoError(t, r.UnmarshalJSON([]byte(`{"id": 1, "name": "old", "content_types": ["dcim.device"], "type_create": true,
		"type_update": true, "type_delete": false, "action_type": "webhook", "action_object_type": "extras.webhook", "action_object_id": 2}`)))
	require.Equal(t, []string{netbox.EventTypeObjectCreated, netbox.EventTypeObjectUpdated}, r.EventTypes)
	require.Equal(t, []string{"dcim.device"}, r.ObjectTypes)
	require.Equal(t, "webhook", r.ActionType)
}
