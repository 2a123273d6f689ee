package workers

import (
	"net/netip"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/wugsync/wugsync/export"
	"github.com/wugsync/wugsync/models"
	"github.com/wugsync/wugsync/wug"
)

// These tests need no Redis, database or simulator: they pin the pure
// helpers the runners are built from.

func TestFindPathWalksTheTreeAndPicksTheOldestTwin(t *testing.T) {
	t.Parallel()

	groups := []wug.Group{
		{ID: "10", Name: "AMER", ParentID: wug.RootGroupID},
		{ID: "9", Name: " amer ", ParentID: wug.RootGroupID}, // a twin WUG would pick: older, same name
		{ID: "11", Name: "NYC1", ParentID: "9"},
		{ID: "12", Name: "NYC1", ParentID: "10"},
	}
	id, missing, _ := findPath(groups, []string{"AMER", "NYC1"})
	require.Equal(t, "11", id, "under the oldest AMER, names compared without case or padding")
	require.Equal(t, -1, missing)

	id, missing, parent := findPath(groups, []string{"AMER", "CHI1", "Floor 2"})
	require.Empty(t, id)
	require.Equal(t, 1, missing, "the first level that does not exist")
	require.Equal(t, "9", parent, "and the group to create it under")

	_, missing, parent = findPath(nil, []string{"EMEA"})
	require.Equal(t, 0, missing)
	require.Equal(t, wug.RootGroupID, parent)
}

func TestScanDelayDoublesUpToTheCap(t *testing.T) {
	t.Parallel()

	w := &Worker{p: Params{ScanPollBase: 10 * time.Second, ScanPollMax: 60 * time.Second}}
	var got []time.Duration
	for poll := range 5 {
		got = append(got, w.scanDelay(poll))
	}
	require.Equal(t, []time.Duration{10 * time.Second, 20 * time.Second, 40 * time.Second, 60 * time.Second, 60 * time.Second}, got)
}

func TestDropSkippedKeepsOnlyCreatesStillPlanned(t *testing.T) {
	t.Parallel()

	a, b := netip.MustParseAddr("10.0.0.1"), netip.MustParseAddr("10.0.0.2")
	dev := func(id int64) export.ObjectRef { return export.ObjectRef{Type: export.ObjectDevice, ID: id} }
	vm2 := export.ObjectRef{Type: export.ObjectVirtualMachine, ID: 2}
	creates := []plannedCreate{{ref: dev(1), addr: a}, {ref: dev(2), addr: b}, {ref: dev(3), addr: b}, {ref: vm2, addr: a}}
	byDevice := map[export.ObjectRef]*models.PlanEntry{
		dev(1): {Action: models.PlanCreate},
		dev(2): {Action: models.PlanSkip}, // turned into a conflict on this page
	}
	require.Equal(t, []plannedCreate{{ref: dev(1), addr: a}, {ref: dev(3), addr: b}, {ref: vm2, addr: a}}, dropSkipped(creates, byDevice),
		"a create of an earlier page is not this page's to drop")
}
