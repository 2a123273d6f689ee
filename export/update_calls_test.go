package export

import (
	"encoding/json"
	"net/netip"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/wugsync/wugsync/netbox"
	"github.com/wugsync/wugsync/wug"
)

// TestUpdateMakesOnlyTheCallsItsDiffNeeds is the rule behind the batch's
// update: each kind of NetBox change costs the WUG calls that make it and
// no other. workers' TestAnUpdateSendsOnlyTheCallsItsDiffNeeds counts the
// same at the simulator.
func TestUpdateMakesOnlyTheCallsItsDiffNeeds(t *testing.T) {
	t.Parallel()

	tests := []struct {
		name     string
		edit     func(d *netbox.Device)
		calls    int
		group    bool
		recorded bool
	}{
		{name: "unchanged", edit: func(*netbox.Device) {}, calls: 0},
		{name: "rename: one properties PUT", edit: func(d *netbox.Device) { d.Name = ptr("fra1-core-sw-02") }, calls: 1},
		{name: "note: the same properties PUT", edit: func(d *netbox.Device) { d.Description = "spare" }, calls: 1},
		{name: "rename and note: still one PUT", edit: func(d *netbox.Device) { d.Name, d.Description = ptr("x"), "spare" }, calls: 1},
		{name: "address: interface list and PUT", edit: func(d *netbox.Device) { d.PrimaryIP4 = ipRef("10.20.0.12/24") }, calls: 2},
		{name: "one attribute: one PATCH", edit: func(d *netbox.Device) { d.Serial = "FOC999" }, calls: 1},
		{name: "three attributes: still one PATCH", edit: func(d *netbox.Device) { d.Serial, d.AssetTag, d.Tenant = "FOC999", ptr("INV-1"), nil }, calls: 1},
		{
			name: "role change: the attribute PATCH only, recorded",
			edit: func(d *netbox.Device) { d.Role = netbox.Ref{ID: 3, Name: "Edge Router", Slug: "edge-router"} }, calls: 1, recorded: true,
		},
		{
			name: "platform change: the attribute PATCH only, recorded",
			edit: func(d *netbox.Device) { d.Platform = &netbox.Ref{ID: 9, Name: "Cisco NX-OS", Slug: "nxos"} }, calls: 1, recorded: true,
		},
		{
			name: "site move: the group move (batched) and the NetBox_Site PATCH",
			edit: func(d *netbox.Device) { d.Site = netbox.Ref{ID: 2, Name: "BER1 Berlin", Slug: "ber1"} }, calls: 1, group: true,
		},
	}
	old := remap(t, func(*netbox.Device) {})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			changes := Diff(old, remap(t, tt.edit))
			plan := changes.Update()
			require.Equal(t, tt.calls, plan.DeviceCalls())
			require.Equal(t, tt.group, plan.Group)
			require.Equal(t, tt.recorded, plan.RoleBrandOS)
			require.Equal(t, tt.recorded, changes.UnchangeableNote() != "")
		})
	}
}

// TestRoleChangeIsReportedAsRecorded: the plan's reason for a role change
// says that WUG cannot make it and where it went; a plain change does not.
func TestRoleChangeIsReportedAsRecorded(t *testing.T) {
	t.Parallel()

	old := remap(t, func(*netbox.Device) {})
	prev := &Previous{WUGDeviceID: "7", Status: ExportExported, PayloadHash: old.Hash(), Exported: old}

	role := Decide(prev, remap(t, func(d *netbox.Device) { d.Role = netbox.Ref{ID: 3, Name: "Edge Router", Slug: "edge-router"} }))
	require.Equal(t, PlanUpdate, role.Action)
	require.Equal(t, `changed: attributes, device_type, primary_role; WUG cannot change the role, device type, brand or OS in place `+
		`(device_type "Switch" in WUG, "Router" in NetBox; primary_role "Switch" in WUG, "Router" in NetBox): recorded in the NetBox_* attributes only`,
		role.Reason)

	rename := Decide(prev, remap(t, func(d *netbox.Device) { d.Name = ptr("fra1-core-sw-02") }))
	require.Equal(t, "changed: display_name", rename.Reason)
	require.Empty(t, rename.Changes.Unchangeable())
}

// heldAsCreated is what WUG shows of a device created from f's template.
func heldAsCreated(f Fields) Held {
	return Held{Name: f.DisplayName, Address: f.IPAddress, HostName: f.NetworkName,
		Role: f.PrimaryRole, Brand: f.Brand, OS: f.OS, Note: f.Note}
}

// TestAdoptionWritesOnlyWhatWUGHoldsDifferently: an adopted device (or one
// found after a lost answer) is compared with WUG's overview of it.
func TestAdoptionWritesOnlyWhatWUGHoldsDifferently(t *testing.T) {
	t.Parallel()

	current := remap(t, func(*netbox.Device) {})
	tests := []struct {
		name     string
		held     func(h *Held)
		calls    int
		rename   bool
		address  bool
		recorded bool
	}{
		// Attributes and groups are not in WUG's overview: one upsert PATCH
		// (which also stamps NetBox_ID) and the batched group add.
		{name: "identical: the attribute PATCH only", held: func(*Held) {}, calls: 1},
		{name: "host name with spaces around it", held: func(h *Held) { h.HostName = " " + h.HostName + " " }, calls: 1},
		{name: "the address as a mapped IPv4", held: func(h *Held) { h.Address = "::ffff:10.20.0.11" }, calls: 1},
		{name: "no address WUG could parse", held: func(h *Held) { h.Address = "" }, calls: 3, address: true},
		{name: "another name", held: func(h *Held) { h.Name = "added-by-hand" }, calls: 2, rename: true},
		{name: "another note", held: func(h *Held) { h.Note = "" }, calls: 2},
		{name: "another address", held: func(h *Held) { h.Address = "10.20.0.99" }, calls: 3, address: true},
		{name: "another role: recorded", held: func(h *Held) { h.Role = "Device" }, calls: 1, recorded: true},
		{name: "another brand: recorded", held: func(h *Held) { h.Brand = "Not Set" }, calls: 1, recorded: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h := heldAsCreated(current)
			tt.held(&h)
			changes := h.Diff(current)
			plan := changes.Update()
			require.Equal(t, tt.calls, plan.DeviceCalls())
			require.Equal(t, tt.rename, plan.Rename)
			require.Equal(t, tt.address, plan.Address)
			require.Equal(t, tt.recorded, plan.RoleBrandOS)
			require.True(t, plan.Group, "group membership is not in the overview: the device is added to its group")
			require.Len(t, plan.SetAttributes, len(current.Attributes), "every attribute is upserted")
			require.Empty(t, plan.DeleteAttributes)

			reason := HeldReason(AdoptReason("7"), changes)
			require.Equal(t, tt.recorded, changes.UnchangeableNote() != "")
			if tt.calls == 1 && !tt.recorded {
				require.Equal(t, AdoptReason("7")+"; WUG already holds its name, address, role, brand, OS and note: only the attributes and the group are written", reason)
			}
			if tt.recorded {
				require.Contains(t, reason, "WUG cannot change the role, device type, brand or OS in place")
			}
		})
	}

	bare := current
	bare.PrimaryRole, bare.Brand, bare.OS = "", "", ""
	defaults := heldAsCreated(bare)
	defaults.Role, defaults.Brand, defaults.OS = "Device", "Not Set", "not set"
	require.Empty(t, defaults.Diff(bare).Unchangeable(), "WUG's defaults read as the empty fields that made them")

	named := current
	named.NetworkName = "sw1.example.net"
	dns := heldAsCreated(named)
	dns.HostName = "SW1.Example.NET"
	require.False(t, dns.Diff(named).Has(FieldNetworkName), "DNS names compare without case")

	h := heldAsCreated(current)
	h.Role = "Device"
	require.Equal(t, AdoptReason("7")+`; differs in WUG: primary_role; WUG cannot change the role, device type, brand or OS in place `+
		`(primary_role "Device" in WUG, "Switch" in NetBox): recorded in the NetBox_* attributes only`, HeldReason(AdoptReason("7"), h.Diff(current)))
}

func TestHeldTravelsOnThePlanEntry(t *testing.T) {
	t.Parallel()

	h := HeldBy(wug.DeviceOverview{ID: "7", Name: "sw1", NetworkAddress: "10.0.0.1", HostName: "sw1.lab",
		Role: "Switch", Brand: "Cisco", OS: "IOS", Notes: "by hand"})
	require.Equal(t, Held{Name: "sw1", Address: "10.0.0.1", HostName: "sw1.lab", Role: "Switch", Brand: "Cisco", OS: "IOS", Note: "by hand"}, h)

	raw, err := json.Marshal(h.Changes())
	require.NoError(t, err)
	got, ok := HeldIn(raw)
	require.True(t, ok)
	require.Equal(t, h, got)

	diff, err := json.Marshal(Changes{{Field: FieldDisplayName, Old: "a", New: "b"}})
	require.NoError(t, err)
	_, ok = HeldIn(diff)
	require.False(t, ok, "an ordinary diff holds no facts")
	_, ok = HeldIn(nil)
	require.False(t, ok)
	_, ok = HeldIn(json.RawMessage(`[{"field":"wug_holds","old":"not an object","new":null}]`))
	require.False(t, ok, "facts of another shape are not trusted")
}

func TestKeepHeldKeepsOnlyWantedAddresses(t *testing.T) {
	t.Parallel()

	held := map[string]Held{}
	want := netip.MustParseAddr("10.0.0.1")
	KeepHeld(held, []wug.DeviceOverview{
		{ID: "1", Name: "a", NetworkAddress: "10.0.0.1"},
		{ID: "2", Name: "b", NetworkAddress: "10.0.0.2"},
		{ID: "3", Name: "c", NetworkAddress: "not an address"},
	}, func(a netip.Addr) bool { return a == want })
	require.Equal(t, map[string]Held{"1": {Name: "a", Address: "10.0.0.1"}}, held)
}

func TestTallyCountsRecordedUpdatesApart(t *testing.T) {
	t.Parallel()

	var tally Tally
	tally.Add(PlanUpdate, OutcomeDone, 2, false)
	tally.Add(PlanUpdate, OutcomeRecorded, 3, false)
	require.Equal(t, Tally{Updated: 5, Recorded: 3, Total: 5}, tally, "a recorded update is an update, and counted apart")

	require.Equal(t, "5 devices considered: 0 created, 5 updated (3 with a role, device type, brand or OS that WUG cannot change in place: "+
		"recorded in the NetBox_* attributes only), 0 unchanged, 0 skipped, 0 failed (see /api/v1/sync-logs/4/plan for reasons)",
		RunCounts{RunID: 4, Total: 5, Updated: 5, Recorded: 3}.Summary())
}
