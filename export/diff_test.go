package export

import (
	"reflect"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/wugsync/wugsync/netbox"
	"github.com/wugsync/wugsync/wug"
)

// remap maps the realistic device after edit, as the next export run would.
func remap(t *testing.T, edit func(d *netbox.Device)) Fields {
	t.Helper()
	m, err := Map(deviceWith(t, edit), MapOptions{GroupTemplate: "{region}/{site}", Site: SiteInfo{Region: "Europe"}})
	require.NoError(t, err)
	return m.Fields
}

func TestDiffAndPlanUpdate(t *testing.T) {
	t.Parallel()

	tests := []struct {
		name    string
		edit    func(d *netbox.Device)
		changes Changes
		plan    UpdatePlan
	}{
		{
			name: "unchanged",
			edit: func(d *netbox.Device) {},
		},
		{
			name: "rename",
			edit: func(d *netbox.Device) { d.Name = ptr("fra1-core-sw-02") },
			changes: Changes{
				{Field: "display_name", Old: "fra1-core-sw-01", New: "fra1-core-sw-02"},
			},
			plan: UpdatePlan{Rename: true},
		},
		{
			name: "ip change",
			edit: func(d *netbox.Device) { d.PrimaryIP4 = ipRef("10.20.0.12/24") },
			changes: Changes{
				{Field: "ip_address", Old: "10.20.0.11", New: "10.20.0.12"},
				{Field: "network_name", Old: "10.20.0.11", New: "10.20.0.12"},
			},
			plan: UpdatePlan{Address: true},
		},
		{
			name: "dns name only",
			edit: func(d *netbox.Device) { d.PrimaryIP4.DNSName = "sw1.example.net" },
			changes: Changes{
				{Field: "network_name", Old: "10.20.0.11", New: "sw1.example.net"},
			},
			plan: UpdatePlan{Address: true},
		},
		{
			name: "site move",
			edit: func(d *netbox.Device) { d.Site = netbox.Ref{ID: 2, Name: "BER1 Berlin", Slug: "ber1"} },
			changes: Changes{
				{Field: "attributes.NetBox_Site", Old: "FRA1 Frankfurt", New: "BER1 Berlin"},
				{Field: "group_path", Old: []string{"Europe", "FRA1 Frankfurt"}, New: []string{"Europe", "BER1 Berlin"}},
			},
			plan: UpdatePlan{Group: true, SetAttributes: []wug.NameValue{{Name: "NetBox_Site", Value: "BER1 Berlin"}}},
		},
		{
			name: "attributes added, changed and removed",
			edit: func(d *netbox.Device) {
				d.AssetTag = ptr("INV-1")
				d.Serial = "FOC999"
				d.Tenant = nil
			},
			changes: Changes{
				{Field: "attributes.NetBox_AssetTag", Old: nil, New: "INV-1"},
				{Field: "attributes.NetBox_Serial", Old: "FOC2301X0AB", New: "FOC999"},
				{Field: "attributes.NetBox_Tenant", Old: "Acme Corp", New: nil},
			},
			plan: UpdatePlan{
				SetAttributes:    []wug.NameValue{{Name: "NetBox_AssetTag", Value: "INV-1"}, {Name: "NetBox_Serial", Value: "FOC999"}},
				DeleteAttributes: []string{"NetBox_Tenant"},
			},
		},
		{
			name: "role change",
			edit: func(d *netbox.Device) { d.Role = netbox.Ref{ID: 3, Name: "Edge Router", Slug: "edge-router"} },
			changes: Changes{
				{Field: "attributes.NetBox_Role", Old: "Core Switch", New: "Edge Router"},
				{Field: "device_type", Old: "Switch", New: "Router"},
				{Field: "primary_role", Old: "Switch", New: "Router"},
			},
			plan: UpdatePlan{RoleBrandOS: true, SetAttributes: []wug.NameValue{{Name: "NetBox_Role", Value: "Edge Router"}}},
		},
		{
			name: "platform change",
			edit: func(d *netbox.Device) { d.Platform = &netbox.Ref{ID: 9, Name: "Cisco NX-OS", Slug: "nxos"} },
			changes: Changes{
				{Field: "attributes.NetBox_Platform", Old: "Cisco IOS-XE", New: "Cisco NX-OS"},
				{Field: "os", Old: "Cisco IOS-XE", New: "Cisco NX-OS"},
			},
			plan: UpdatePlan{RoleBrandOS: true, SetAttributes: []wug.NameValue{{Name: "NetBox_Platform", Value: "Cisco NX-OS"}}},
		},
		{
			name: "description changes the note",
			edit: func(d *netbox.Device) { d.Description = "spare" },
			changes: Changes{
				{Field: "note", Old: fullNote, New: fullNote + "\nDescription: spare"},
			},
			plan: UpdatePlan{Note: true},
		},
	}
	old := remap(t, func(*netbox.Device) {})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			current := remap(t, tt.edit)

			require.Equal(t, tt.changes, Diff(old, current))
			plan := Diff(old, current).Update()
			require.Equal(t, tt.plan, plan)
			require.Equal(t, len(tt.changes) == 0, reflect.DeepEqual(plan, UpdatePlan{}))
			require.Equal(t, len(tt.changes) == 0, old.Hash() == current.Hash(), "the hash must agree with the diff")
		})
	}
}

func TestDiffNilEqualsEmpty(t *testing.T) {
	t.Parallel()

	require.Empty(t, Diff(Fields{}, Fields{GroupPath: []string{}, Attributes: map[string]string{}}))
	require.Equal(t, UpdatePlan{}, Diff(Fields{}, Fields{GroupPath: []string{}, Attributes: map[string]string{}}).Update())

	cs := Diff(Fields{}, Fields{GroupPath: []string{"A"}})
	require.Equal(t, Changes{{Field: "group_path", Old: []string{}, New: []string{"A"}}}, cs,
		"a missing path shows as [] so a stored diff reads well")
}

func TestDiffDoesNotAliasInput(t *testing.T) {
	t.Parallel()

	path := []string{"Europe", "FRA1"}
	cs := Diff(Fields{}, Fields{GroupPath: path})
	path[1] = "changed later"
	require.Equal(t, []string{"Europe", "FRA1"}, cs[0].New)
}

func TestChangesHas(t *testing.T) {
	t.Parallel()

	cs := Changes{{Field: "attributes.NetBox_Site"}, {Field: "display_name"}}
	require.True(t, cs.Has("display_name"))
	require.True(t, cs.Has("attributes.NetBox_Site"))
	require.True(t, cs.Has("attributes"), "attributes alone asks for any attribute")
	require.False(t, cs.Has("attributes.NetBox_Role"))
	require.False(t, cs.Has("note"))
	require.False(t, Changes(nil).Has("attributes"))
	require.Equal(t, []string{"attributes.NetBox_Site", "display_name"}, cs.Fields())
}

func TestUpdatePlanAttributeBatchUpsertsByName(t *testing.T) {
	t.Parallel()

	p := UpdatePlan{
		SetAttributes:    []wug.NameValue{{Name: "NetBox_Role", Value: "Router"}, {Name: "NetBox_Serial", Value: "X1"}},
		DeleteAttributes: []string{"NetBox_Tenant"},
	}
	require.Equal(t, wug.AttributeBatch{
		DeleteNames: []string{"NetBox_Role", "NetBox_Serial", "NetBox_Tenant"},
		Add:         []wug.NameValue{{Name: "NetBox_Role", Value: "Router"}, {Name: "NetBox_Serial", Value: "X1"}},
	}, p.AttributeBatch())
	require.Equal(t, wug.AttributeBatch{}, UpdatePlan{Rename: true}.AttributeBatch())
}

func TestUpdatePlanProperties(t *testing.T) {
	t.Parallel()

	require.True(t, UpdatePlan{Rename: true}.Properties())
	require.True(t, UpdatePlan{Note: true}.Properties())
	require.False(t, UpdatePlan{Address: true, Group: true}.Properties())
}
