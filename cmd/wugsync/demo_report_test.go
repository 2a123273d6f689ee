package main

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/wugsync/wugsync/models"
	"github.com/wugsync/wugsync/sim/wugsim"
)

func TestSkipsAreCountedByCategoryAndConflictsListedByAddress(t *testing.T) {
	t.Parallel()
	skip := func(id int64, name, ip, reason string) models.PlanEntry {
		return models.PlanEntry{NetBoxDeviceID: id, DeviceName: name, IPAddress: ip, Action: models.PlanSkip, Reason: reason}
	}
	entries := []models.PlanEntry{
		{NetBoxDeviceID: 1, Action: models.PlanCreate, Reason: "new device"},
		skip(2, "a", "", "map device 2: device has no primary ip address"),
		skip(3, "b", "", "map device 3: device has no primary ip address"),
		skip(4, "c", "127.0.0.1", `map device 4: primary_ip4 "127.0.0.1" rejected: loopback`),
		skip(5, "d", "10.0.0.9", "IP conflict: 10.0.0.9 is also the primary IP of NetBox device 6 (e)"),
		skip(6, "e", "10.0.0.9", "IP conflict: 10.0.0.9 is also the primary IP of NetBox device 5 (d)"),
		skip(7, "f", "", `not selected: status "planned" not in [active]`),
	}
	excluded := func(id int64, status string) models.PlanEntry {
		e := skip(id, "x", "", `not selected: status "`+status+`" not in [active]`)
		e.Excluded = true
		return e
	}
	entries = append(entries, excluded(8, "planned"), excluded(9, "offline"), excluded(10, "planned"))
	skipped, conflicts := summarizeSkips(entries)
	require.Equal(t, []reasonCount{
		{"IP conflict", 2}, {"no primary IP", 2}, {"IP rejected: loopback", 1}, {"not selected: status", 1},
	}, skipped, "status exclusions are not among the skips")
	require.Equal(t, []ipConflict{{IP: "10.0.0.9", Devices: []string{"d (#5)", "e (#6)"}}}, conflicts)
	require.Equal(t, []reasonCount{{"planned", 2}, {"offline", 1}}, excludedByStatus(entries))
}

func TestGroupTreeIsIndentedBelowItsParents(t *testing.T) {
	t.Parallel()
	var b strings.Builder
	writeGroupTree(&b, []wugsim.Group{
		{ID: "2", Name: "Europe", ParentID: "0"},
		{ID: "0", Name: "My Network"},
		{ID: "3", Name: "FRA1", ParentID: "2", DeviceIDs: []string{"a", "b"}},
		{ID: "1", Name: "Americas", ParentID: "0", DeviceIDs: []string{"c"}},
	})
	require.Equal(t, "  My Network (0)\n    Americas (1)\n    Europe (0)\n      FRA1 (2)\n", b.String())
}

func TestAccountLineAccountsForEveryDevice(t *testing.T) {
	t.Parallel()
	run := models.WUGSyncLog{DevicesCreated: 416, DevicesSkipped: 34, DevicesTotal: 450}
	require.Equal(t, "500 devices: 416 created, 34 skipped, 50 not active (not exported)",
		accountLine(500, run, 50, []string{"active"}))

	run = models.WUGSyncLog{DevicesCreated: 10, DevicesUpdated: 2, DevicesUnchanged: 3, DevicesSkipped: 0, DevicesFailed: 1}
	require.Equal(t, "30 devices: 10 created, 2 updated, 3 unchanged, 0 skipped, 1 failed, 4 with another status than active, staged (not exported), 10 not reached by the run",
		accountLine(30, run, 4, []string{"active", "staged"}))
}
