package export

import (
	"encoding/json"
	"errors"
	"net/netip"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/wugsync/wugsync/wug"
)

func TestDecide(t *testing.T) {
	t.Parallel()

	exported := Fields{DisplayName: "sw1", IPAddress: "10.0.0.1", GroupPath: []string{"FRA1"},
		Attributes: map[string]string{"NetBox_Site": "fra1"}}
	renamed := exported
	renamed.DisplayName = "sw1-new"
	linked := func(status ExportStatus, hash string) *Previous {
		return &Previous{WUGDeviceID: "7", Status: status, PayloadHash: hash, Exported: exported,
			IPAddress: "10.0.0.1", ScanID: "s1", ErrorMessage: "WUG said no"}
	}
	tests := []struct {
		name    string
		prev    *Previous
		mapped  Fields
		action  PlanAction
		reason  string
		changes []string
	}{
		{name: "never seen", prev: nil, mapped: exported, action: PlanCreate, reason: "new device"},
		{name: "row without link", prev: &Previous{Status: ExportSkipped}, mapped: exported,
			action: PlanCreate, reason: "new device"},
		{name: "create may have reached WUG", prev: &Previous{CreateAttempted: true}, mapped: exported,
			action: PlanCreate, reason: "new device (an earlier create may have reached WUG; it is looked up first)"},
		{name: "waiting for a scan", prev: linked(ExportScanTriggered, ""), mapped: renamed,
			action: PlanUnchanged, reason: "waiting for discovery scan s1"},
		{name: "back from decommission", prev: linked(ExportDecommissioned, exported.Hash()), mapped: renamed,
			action: PlanUpdate, reason: "back in the selection: leaves maintenance", changes: []string{FieldDisplayName}},
		{name: "unchanged", prev: linked(ExportExported, exported.Hash()), mapped: exported,
			action: PlanUnchanged, reason: "no change since the last export"},
		{name: "unchanged after a scan", prev: linked(ExportScanCompleted, exported.Hash()), mapped: exported,
			action: PlanUnchanged, reason: "no change since the last export"},
		{name: "same hash but pending is re-applied", prev: linked(ExportPending, exported.Hash()), mapped: exported,
			action: PlanUpdate, reason: "re-apply: the last export did not finish"},
		{name: "error is retried", prev: linked(ExportError, exported.Hash()), mapped: exported,
			action: PlanUpdate, reason: "retry after error: WUG said no"},
		{name: "changed", prev: linked(ExportExported, exported.Hash()), mapped: renamed,
			action: PlanUpdate, reason: "changed: display_name", changes: []string{FieldDisplayName}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			d := Decide(tt.prev, tt.mapped)
			require.Equal(t, tt.action, d.Action)
			require.Equal(t, tt.reason, d.Reason)
			if tt.changes == nil {
				require.Empty(t, d.Changes)
			} else {
				require.Equal(t, tt.changes, d.Changes.Fields())
			}
		})
	}
}

func TestDecideNamesEveryChangedFieldOnceAndAttributesTogether(t *testing.T) {
	t.Parallel()

	old := Fields{DisplayName: "a", Note: "n", Attributes: map[string]string{"X": "1", "Y": "2"}}
	now := Fields{DisplayName: "b", Note: "m", Attributes: map[string]string{"X": "9"}}
	d := Decide(&Previous{WUGDeviceID: "1", Status: ExportExported, PayloadHash: old.Hash(), Exported: old}, now)
	require.Equal(t, "changed: attributes, display_name, note", d.Reason)
}

func TestDecideShortensALongError(t *testing.T) {
	t.Parallel()

	long := strings.Repeat("é", 150) + strings.Repeat("x", 100)
	d := Decide(&Previous{WUGDeviceID: "1", Status: ExportError, ErrorMessage: long}, Fields{})
	require.Equal(t, "retry after error: "+strings.Repeat("é", 150)+strings.Repeat("x", 50)+"…", d.Reason,
		"200 characters as WUG counts them, and the cut is marked")
	short := Decide(&Previous{WUGDeviceID: "1", Status: ExportError, ErrorMessage: "HTTP 500"}, Fields{})
	require.Equal(t, "retry after error: HTTP 500", short.Reason)
}

func TestDecideOutOfSelection(t *testing.T) {
	t.Parallel()

	tests := []struct {
		name   string
		prev   *Previous
		action PlanAction
		reason string
	}{
		{"never exported", nil, PlanSkip, "not selected: status \"planned\" not in [active]"},
		{"skipped before", &Previous{Status: ExportSkipped}, PlanSkip, "not selected: status \"planned\" not in [active]"},
		{"linked", &Previous{WUGDeviceID: "4", Status: ExportExported}, PlanDecommission,
			"left the selection: status \"planned\" not in [active]"},
		{"already decommissioned", &Previous{WUGDeviceID: "4", Status: ExportDecommissioned}, PlanSkip,
			"not selected: status \"planned\" not in [active]"},
	}
	for _, tt := range tests {
		d := DecideOutOfSelection(tt.prev, `status "planned" not in [active]`)
		require.Equal(t, Decision{Action: tt.action, Reason: tt.reason}, d, tt.name)
	}
	require.Equal(t, Decision{Action: PlanDecommission, Reason: "deleted in NetBox or left the selection"}, DecideGone())
	require.Equal(t, Decision{Action: PlanSkip, Reason: "bad address"}, DecideUnmappable(errors.New("bad address")))
}

func TestClassify(t *testing.T) {
	t.Parallel()

	tests := []struct {
		action         PlanAction
		target, linked string
		step           Step
	}{
		{PlanCreate, "", "", StepCreate},
		{PlanCreate, "", "5", StepCreate},
		{PlanCreate, "9", "", StepRelink},  // an earlier attempt or another task made it
		{PlanCreate, "9", "9", StepUpdate}, // the row links it already
		{PlanUpdate, "9", "9", StepUpdate},
		{PlanUpdate, "9", "", StepAdopt},  // planned adoption
		{PlanUpdate, "9", "3", StepAdopt}, // relinked to another device
		{PlanDecommission, "9", "9", StepDecommission},
		{PlanUnchanged, "9", "9", StepNone},
		{PlanSkip, "", "", StepNone},
	}
	for _, tt := range tests {
		got := Classify(tt.action, tt.target, tt.linked)
		require.Equal(t, tt.step, got, "%s target %q linked %q", tt.action, tt.target, tt.linked)
		require.Equal(t, got == StepAdopt || got == StepRelink, got.Rewrites())
	}
}

func TestRowReason(t *testing.T) {
	t.Parallel()

	exported := &Previous{WUGDeviceID: "1", IPAddress: "10.0.0.1", PayloadHash: "h"}
	tests := []struct {
		name    string
		trigger Trigger
		action  PlanAction
		prev    *Previous
		address string
		want    ExportReason
	}{
		{"create", TriggerScheduled, PlanCreate, nil, "10.0.0.1", ReasonNewDevice},
		{"create over a pending row", TriggerManual, PlanCreate, &Previous{}, "10.0.0.1", ReasonNewDevice},
		{"address moved", TriggerScheduled, PlanUpdate, exported, "10.0.0.2", ReasonIPChange},
		{"address moved on a create", TriggerWebhook, PlanCreate, &Previous{IPAddress: "10.0.0.9"}, "10.0.0.1", ReasonIPChange},
		{"update of an exported row", TriggerScheduled, PlanUpdate, exported, "10.0.0.1", ReasonChanged},
		{"adoption, scheduled", TriggerScheduled, PlanUpdate, nil, "10.0.0.1", ReasonScheduled},
		{"adoption, webhook", TriggerWebhook, PlanUpdate, &Previous{}, "10.0.0.1", ReasonWebhook},
		{"adoption, manual", TriggerManual, PlanUpdate, nil, "10.0.0.1", ReasonManual},
		{"adoption, api", TriggerAPI, PlanUpdate, nil, "10.0.0.1", ReasonManual},
	}
	for _, tt := range tests {
		require.Equal(t, tt.want, RowReason(tt.trigger, tt.action, tt.prev, tt.address), tt.name)
	}
}

func TestAdoptionMatching(t *testing.T) {
	t.Parallel()

	found := []wug.DeviceOverview{
		{ID: "12", Name: "sw1", NetworkAddress: "10.0.0.1"},
		{ID: "9", Name: "other", NetworkAddress: "10.0.0.1"},
		{ID: "100", Name: "sw1", NetworkAddress: " 10.0.0.1 "},
	}
	require.Equal(t, "9", OldestUnlinked(found, nil), "the oldest, numerically")
	require.Equal(t, "12", OldestUnlinked(found, map[string]bool{"9": true}), "never one linked elsewhere")
	require.Empty(t, OldestUnlinked(found, map[string]bool{"9": true, "12": true, "100": true}))
	require.Equal(t, "12", OldestNamed(found, "sw1"), "our name only")
	require.Empty(t, OldestNamed(found, "sw2"))

	index := OldestByAddress(append(found,
		wug.DeviceOverview{ID: "3", NetworkAddress: "::ffff:10.0.0.2"},
		wug.DeviceOverview{ID: "4", NetworkAddress: "not an address"},
	), map[string]bool{"9": true})
	require.Equal(t, map[netip.Addr]string{
		netip.MustParseAddr("10.0.0.1"): "12",
		netip.MustParseAddr("10.0.0.2"): "3",
	}, index)

	require.True(t, LessID("9", "10"))
	require.False(t, LessID("10", "9"))
	require.True(t, LessID("a", "b"), "non-numeric ids compare as text")
}

func TestPlannedDiffGivesTheUpdateEvenReadBackFromJSON(t *testing.T) {
	t.Parallel()

	old := Fields{DisplayName: "a", IPAddress: "10.0.0.1", GroupPath: []string{"A"},
		Attributes: map[string]string{"Gone": "x", "Kept": "1", "Same": "s"}}
	now := Fields{DisplayName: "a", IPAddress: "10.0.0.2", GroupPath: []string{"B"}, Brand: "Cisco",
		Attributes: map[string]string{"Kept": "2", "New": "n", "Same": "s"}}
	want := UpdatePlan{Address: true, Group: true, RoleBrandOS: true,
		SetAttributes:    []wug.NameValue{{Name: "Kept", Value: "2"}, {Name: "New", Value: "n"}},
		DeleteAttributes: []string{"Gone"}}
	require.Equal(t, want, Diff(old, now).Update())

	var stored Changes
	require.NoError(t, jsonRoundTrip(Diff(old, now), &stored))
	require.Equal(t, want, stored.Update(), "a stored plan applies the same calls")

	full := Rewrite(now)
	require.True(t, full.Rename && full.Note && full.Group && full.Address)
	require.Len(t, full.SetAttributes, 3)
	require.Empty(t, full.DeleteAttributes)
}

func jsonRoundTrip(in, out any) error {
	b, err := json.Marshal(in)
	if err != nil {
		return err
	}
	return json.Unmarshal(b, out)
}

func TestDecommissionedNoteAndLink(t *testing.T) {
	t.Parallel()

	note, unlink := DecommissionMaintenance.Decommissioned("7")
	require.Equal(t, "decommissioned: WUG device 7 put in maintenance (decommission action: maintenance)", note)
	require.False(t, unlink, "a device in maintenance is still ours")
	note, unlink = DecommissionDelete.Decommissioned("7")
	require.Equal(t, "decommissioned: deleted WUG device 7", note)
	require.True(t, unlink, "a deleted device is gone for good")
	note, unlink = DecommissionNone.Decommissioned("7")
	require.Equal(t, "left in WUG (decommission action: none)", note)
	require.False(t, unlink)
}
