package wug

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/wugsync/wugsync/sim/wugsim"
)

const routeTemplates = "PATCH /api/v1/devices/-/config/template"

func TestApplyTemplatesCreatesDevicesWithEveryMappedField(t *testing.T) {
	t.Parallel()
	b := setup(t, wugsim.Options{Groups: []string{"DATA_CENTERS/CH_DC"}})
	autoRefresh := false
	tmpl := DeviceTemplate{
		TemplateID: "nb-42", DisplayName: "ch-dc-sw01", DeviceType: "Cisco Switch", PrimaryRole: "Switch",
		OS: "Cisco IOS", Brand: "Cisco", Note: "https://netbox/dcim/devices/42/", PollInterval: 2 * time.Minute,
		AutoRefresh:    &autoRefresh,
		Interfaces:     []TemplateInterface{{Default: true, NetworkAddress: "10.1.2.3", NetworkName: "ch-dc-sw01.example.net"}},
		Attributes:     []NameValue{{"NetBox_ID", "42"}, {"NetBox_Site", "CH_DC"}},
		ActiveMonitors: []TemplateMonitor{{Name: "Ping"}},
		Groups:         []GroupRef{{Name: "CH_DC", Parents: []string{"My Network", "DATA_CENTERS"}}},
	}
	res, err := b.client.ApplyTemplates(b.ctx(t), []DeviceTemplate{tmpl})
	require.NoError(t, err)
	require.True(t, res["nb-42"].OK)
	require.Empty(t, res["nb-42"].Errors)

	d, ok := b.sim.Device(res["nb-42"].DeviceID)
	require.True(t, ok)
	require.Equal(t, "ch-dc-sw01", d.Name)
	require.Equal(t, "10.1.2.3", d.NetworkAddress)
	require.Equal(t, "ch-dc-sw01.example.net", d.HostName)
	require.Equal(t, "Cisco Switch", d.DeviceType)
	require.Equal(t, "Switch", d.Role)
	require.Equal(t, "Cisco IOS", d.OS)
	require.Equal(t, "Cisco", d.Brand)
	require.Equal(t, "https://netbox/dcim/devices/42/", d.Note)
	require.Equal(t, 120, d.PollInterval)
	require.Equal(t, []string{"Ping"}, d.ActiveMonitors)
	require.Equal(t, []string{"My Network/DATA_CENTERS/CH_DC"}, d.Groups)
	require.Equal(t, "nb-42", d.TemplateID)
	require.Len(t, d.Attributes, 2)
	require.Equal(t, "NetBox_Site", d.Attributes[1].Name)
	require.Equal(t, "CH_DC", d.Attributes[1].Value)
}

func TestApplyTemplatesReportsSuccessWarningsAndFailures(t *testing.T) {
	t.Parallel()
	b := setup(t, wugsim.Options{})
	warned := template("warn", "sw-warn", "10.0.0.2")
	warned.Groups = []GroupRef{{Name: "NoSuchSite", Parents: []string{"My Network"}}}
	serverRefused := template("bad-ip", "sw-bad", "10.0.0.3")
	serverRefused.Interfaces = append(serverRefused.Interfaces, TemplateInterface{Default: true, NetworkAddress: "10.0.0.4"})
	clientRefused := template("no-ip", "sw-noip", "")

	res, err := b.client.ApplyTemplates(b.ctx(t), []DeviceTemplate{template("ok", "sw-ok", "10.0.0.1"), warned, serverRefused, clientRefused})
	require.NoError(t, err)

	require.True(t, res["ok"].OK)
	require.True(t, res["warn"].OK, "an errors entry next to an idMap entry is a warning")
	require.NotEmpty(t, res["warn"].DeviceID)
	require.Equal(t, []string{`Group "My Network/NoSuchSite" was not found.`}, res["warn"].Errors)
	require.False(t, res["bad-ip"].OK, "an errors entry without an idMap entry is a failure")
	require.Empty(t, res["bad-ip"].DeviceID)
	require.Equal(t, []string{"Only one interface may be the default interface."}, res["bad-ip"].Errors)
	require.False(t, res["no-ip"].OK)
	require.Contains(t, res["no-ip"].Errors[0], "is not an IP address")
	require.Equal(t, 2, b.sim.DeviceCount())
	require.Equal(t, 1, b.sim.CountRequests(routeTemplates))
}

func TestApplyTemplatesNeverDeduplicates(t *testing.T) {
	t.Parallel()
	b := setup(t, wugsim.Options{})
	for range 2 {
		res, err := b.client.ApplyTemplates(b.ctx(t), []DeviceTemplate{template("nb-1", "sw1", "10.0.0.1")})
		require.NoError(t, err)
		require.True(t, res["nb-1"].OK)
	}
	found, err := b.client.FindDevicesByIP(b.ctx(t), "10.0.0.1")
	require.NoError(t, err)
	require.Len(t, found, 2, "WUG creates a new device every time; finding first is the caller's job")
}

func TestApplyTemplatesSplitsLargeBatches(t *testing.T) {
	t.Parallel()
	b := setup(t, wugsim.Options{})
	templates := make([]DeviceTemplate, 0, MaxBatchSize+101)
	for i := range cap(templates) {
		templates = append(templates, template(fmt.Sprintf("nb-%d", i), fmt.Sprintf("dev-%d", i), fmt.Sprintf("10.%d.%d.1", i/250, i%250)))
	}
	res, err := b.client.ApplyTemplates(b.ctx(t), templates)
	require.NoError(t, err)
	require.Len(t, res, len(templates))
	for _, r := range res {
		require.True(t, r.OK, r.TemplateID)
	}
	require.Equal(t, 2, b.sim.CountRequests(routeTemplates))
	require.Equal(t, len(templates), b.sim.DeviceCount())
}

func TestApplyTemplatesKeepsEarlierBatchResultsOnFailure(t *testing.T) {
	t.Parallel()
	b := setup(t, wugsim.Options{})
	require.NoError(t, b.sim.SetFaults(routeTemplates, wugsim.Fault{ErrorRate: 0.5}))
	templates := make([]DeviceTemplate, 0, MaxBatchSize+1)
	for i := range cap(templates) {
		templates = append(templates, template(fmt.Sprintf("nb-%d", i), fmt.Sprintf("dev-%d", i), fmt.Sprintf("10.%d.%d.1", i/250, i%250)))
	}
	res, err := b.client.ApplyTemplates(b.ctx(t), templates)
	require.ErrorIs(t, err, ErrServerError)
	require.Len(t, res, MaxBatchSize, "the first batch's devices exist and are reported")
}

func TestFindDevicesByIPFollowsPagesAndKeepsExactMatches(t *testing.T) {
	t.Parallel()
	b := setup(t, wugsim.Options{PageLimit: 2})
	want := b.seed(t, "core", "10.0.0.1")
	for _, ip := range []string{"10.0.0.10", "10.0.0.100", "110.0.0.1", "10.0.0.11", "10.0.0.12"} {
		b.seed(t, "other-"+ip, ip)
	}
	b.seed(t, "10.0.0.1-named", "192.168.0.9") // the IP appears in a name only

	found, err := b.client.FindDevicesByIP(b.ctx(t), "10.0.0.1")
	require.NoError(t, err)
	require.Len(t, found, 1)
	require.Equal(t, want, found[0].ID)
	require.Equal(t, "core", found[0].Name)
	require.Equal(t, 4, b.sim.CountRequests("GET /api/v1/device-groups/{groupId}/devices/-"), "7 substring matches, pages of 2")

	none, err := b.client.FindDevicesByIP(b.ctx(t), "10.9.9.9")
	require.NoError(t, err)
	require.Empty(t, none)
}

func TestListDevicesStreamsPages(t *testing.T) {
	t.Parallel()
	b := setup(t, wugsim.Options{PageLimit: 3, Groups: []string{"Sites/A", "Sites/B"}})
	var inA []string
	for i := range 10 {
		group := "Sites/B"
		if i%2 == 0 {
			group = "Sites/A"
		}
		id := b.seed(t, fmt.Sprintf("dev-%d", i), fmt.Sprintf("10.0.1.%d", i+1), group)
		if group == "Sites/A" {
			inA = append(inA, id)
		}
	}
	var sizes []int
	var all []string
	require.NoError(t, b.client.ListDevices(b.ctx(t), RootGroupID, func(page []DeviceOverview) error {
		sizes = append(sizes, len(page))
		for _, d := range page {
			all = append(all, d.ID)
			require.Equal(t, "Up", d.BestState)
		}
		return nil
	}))
	require.Equal(t, []int{3, 3, 3, 1}, sizes)
	require.Len(t, all, 10)

	groups, err := b.client.ListGroups(b.ctx(t))
	require.NoError(t, err)
	var sitesID string
	for _, g := range groups {
		if g.Name == "Sites" {
			sitesID = g.ID
		}
	}
	var underSites, onlyA []string
	require.NoError(t, b.client.ListDevices(b.ctx(t), sitesID, func(page []DeviceOverview) error {
		for _, d := range page {
			underSites = append(underSites, d.ID)
		}
		return nil
	}))
	require.Len(t, underSites, 10, "descendant groups are included")
	aID := b.sim.Groups()[3].ID // My Network, Discovered Devices, Sites, A
	require.NoError(t, b.client.ListDevices(b.ctx(t), aID, func(page []DeviceOverview) error {
		for _, d := range page {
			onlyA = append(onlyA, d.ID)
		}
		return nil
	}))
	require.Equal(t, inA, onlyA)

	stop := errors.New("enough")
	calls := 0
	err = b.client.ListDevices(b.ctx(t), RootGroupID, func([]DeviceOverview) error { calls++; return stop })
	require.ErrorIs(t, err, stop)
	require.Equal(t, 1, calls)
}

func TestGetDeviceAndProperties(t *testing.T) {
	t.Parallel()
	b := setup(t, wugsim.Options{})
	id := b.seed(t, "edge-fw", "172.16.0.1")
	d, err := b.client.GetDevice(b.ctx(t), id)
	require.NoError(t, err)
	require.Equal(t, DeviceOverview{ID: id, Name: "edge-fw", HostName: "172.16.0.1", NetworkAddress: "172.16.0.1", Role: "Device",
		Brand: "Not Set", OS: "Not Set", BestState: "Up", WorstState: "Up"}, d)

	name, note := "edge-fw-01", "moved to rack 4"
	require.NoError(t, b.client.UpdateDeviceProperties(b.ctx(t), id, DevicePropertiesUpdate{DisplayName: &name, Note: &note}))
	props, err := b.client.GetDeviceProperties(b.ctx(t), id)
	require.NoError(t, err)
	require.Equal(t, "edge-fw-01", props.DisplayName)
	require.Equal(t, "moved to rack 4", props.Note)
	require.True(t, props.KeepDetailsCurrent)

	keep := false
	require.NoError(t, b.client.UpdateDeviceProperties(b.ctx(t), id, DevicePropertiesUpdate{KeepDetailsCurrent: &keep}))
	props, err = b.client.GetDeviceProperties(b.ctx(t), id)
	require.NoError(t, err)
	require.False(t, props.KeepDetailsCurrent)
	require.Equal(t, "moved to rack 4", props.Note, "fields not sent are left alone")

	require.ErrorIs(t, b.client.UpdateDeviceProperties(b.ctx(t), "9999", DevicePropertiesUpdate{Note: &note}), ErrNotFound)
}

func TestInterfacesCanBeListedAndReaddressed(t *testing.T) {
	t.Parallel()
	b := setup(t, wugsim.Options{})
	id := b.seed(t, "sw", "10.0.0.5")
	ifaces, err := b.client.ListInterfaces(b.ctx(t), id)
	require.NoError(t, err)
	require.Len(t, ifaces, 1)
	require.True(t, ifaces[0].Default)
	require.Equal(t, "10.0.0.5", ifaces[0].Address)

	iface := ifaces[0]
	iface.Address = "10.0.9.5"
	iface.HostName = "sw.example.net"
	updated, err := b.client.UpdateInterface(b.ctx(t), id, iface)
	require.NoError(t, err)
	require.Equal(t, iface, updated)

	found, err := b.client.FindDevicesByIP(b.ctx(t), "10.0.9.5")
	require.NoError(t, err)
	require.Len(t, found, 1)
	require.Equal(t, id, found[0].ID)
	stale, err := b.client.FindDevicesByIP(b.ctx(t), "10.0.0.5")
	require.NoError(t, err)
	require.Empty(t, stale)
}

func TestAttributesListSetAndPatch(t *testing.T) {
	t.Parallel()
	b := setup(t, wugsim.Options{})
	d, err := b.sim.AddDevice(wugsim.Device{Name: "sw", NetworkAddress: "10.0.0.5", Attributes: []wugsim.Attribute{
		{Name: "NetBox_Site", Value: "old"}, {Name: "netbox_site", Value: "dup"}, {Name: "Contact", Value: "noc"},
	}})
	require.NoError(t, err)

	res, err := b.client.SetAttributes(b.ctx(t), d.ID, []NameValue{{"NetBox_Site", "CH_DC"}, {"NetBox_ID", "42"}})
	require.NoError(t, err)
	require.Equal(t, 4, res.Successful, "two deleted by name (case-insensitive), two added")

	attrs, err := b.client.ListAttributes(b.ctx(t), d.ID)
	require.NoError(t, err)
	got := map[string]string{}
	for _, a := range attrs {
		require.NotEmpty(t, a.ID)
		got[a.Name] = a.Value
	}
	require.Equal(t, map[string]string{"Contact": "noc", "NetBox_Site": "CH_DC", "NetBox_ID": "42"}, got)
	require.Len(t, attrs, 3, "duplicates are gone")

	var contact Attribute
	for _, a := range attrs {
		if a.Name == "Contact" {
			contact = a
		}
	}
	_, err = b.client.PatchAttributes(b.ctx(t), d.ID, AttributeBatch{Modify: []Attribute{{ID: contact.ID, Name: "Contact", Value: "netops"}}})
	require.NoError(t, err)
	snap, _ := b.sim.Device(d.ID)
	require.Contains(t, snap.Attributes, wugsim.Attribute{ID: contact.ID, Name: "Contact", Value: "netops"})

	_, err = b.client.PatchAttributes(b.ctx(t), d.ID, AttributeBatch{DeleteAll: true})
	require.NoError(t, err)
	attrs, err = b.client.ListAttributes(b.ctx(t), d.ID)
	require.NoError(t, err)
	require.Empty(t, attrs)
}

func TestGroupsCreateMembershipAndMove(t *testing.T) {
	t.Parallel()
	b := setup(t, wugsim.Options{})
	ctx := b.ctx(t)
	dc, err := b.client.CreateChildGroup(ctx, RootGroupID, "DATA_CENTERS", "NetBox regions")
	require.NoError(t, err)
	require.Equal(t, Group{ID: dc.ID, Name: "DATA_CENTERS", Description: "NetBox regions", ParentID: RootGroupID}, dc)
	site, err := b.client.CreateChildGroup(ctx, dc.ID, "CH_DC", "")
	require.NoError(t, err)
	require.Equal(t, dc.ID, site.ParentID)

	groups, err := b.client.ListGroups(ctx)
	require.NoError(t, err)
	require.Contains(t, groups, Group{ID: RootGroupID, Name: "My Network"})
	require.Contains(t, groups, site)

	children, err := b.client.ChildGroups(ctx, dc.ID)
	require.NoError(t, err)
	require.Equal(t, []Group{site}, children)

	id := b.seed(t, "sw", "10.0.0.5") // lands in Discovered Devices
	before, err := b.client.DeviceGroups(ctx, id)
	require.NoError(t, err)
	require.Len(t, before, 1)
	discovered := before[0].ID

	_, err = b.client.RemoveDevicesFromGroup(ctx, discovered, []string{id})
	require.ErrorIs(t, err, ErrRejected, "a device keeps at least one static group")

	require.NoError(t, b.client.MoveDevice(ctx, id, discovered, site.ID))
	after, err := b.client.DeviceGroups(ctx, id)
	require.NoError(t, err)
	require.Equal(t, []Group{site}, after)
	require.Equal(t, []int{200}, routeLog(b.sim, "POST /api/v1/device-groups/{groupId}/devices/-"), "added first")
	require.Equal(t, []int{200, 200}, routeLog(b.sim, "DELETE /api/v1/device-groups/{groupId}/devices/-"), "then removed")

	res, err := b.client.AddDevicesToGroup(ctx, dc.ID, []string{id})
	require.NoError(t, err)
	require.Equal(t, BatchResult{Successful: 1, Success: true}, res)
	res, err = b.client.RemoveDevicesFromGroup(ctx, dc.ID, []string{id})
	require.NoError(t, err)
	require.Equal(t, 1, res.Successful)

	n, err := b.client.DeviceCount(ctx)
	require.NoError(t, err)
	require.Equal(t, 1, n)
}

func TestDeleteGroupOnlyWhenEmpty(t *testing.T) {
	t.Parallel()
	b := setup(t, wugsim.Options{})
	ctx := b.ctx(t)
	parent, err := b.client.CreateChildGroup(ctx, RootGroupID, "wugsync-sandbox", "")
	require.NoError(t, err)
	child, err := b.client.CreateChildGroup(ctx, parent.ID, "child", "")
	require.NoError(t, err)

	require.ErrorIs(t, b.client.DeleteGroup(ctx, parent.ID), ErrRejected, "a group with children stays")
	require.NoError(t, b.client.DeleteGroup(ctx, child.ID))
	require.NoError(t, b.client.DeleteGroup(ctx, parent.ID))
	require.ErrorIs(t, b.client.DeleteGroup(ctx, parent.ID), ErrNotFound)
	require.ErrorIs(t, b.client.DeleteGroup(ctx, RootGroupID), ErrInvalidInput)
	require.ErrorIs(t, b.client.DeleteGroup(ctx, " "), ErrInvalidInput)

	groups, err := b.client.ListGroups(ctx)
	require.NoError(t, err)
	for _, g := range groups {
		require.NotContains(t, []string{parent.ID, child.ID}, g.ID)
	}
	require.Equal(t, []int{400, 200, 200, 404}, routeLog(b.sim, "DELETE /api/v1/device-groups/{groupId}"))
}

func TestDeleteOneAndMany(t *testing.T) {
	t.Parallel()
	b := setup(t, wugsim.Options{})
	var ids []string
	for i := range MaxBatchSize + 2 {
		ids = append(ids, b.seed(t, fmt.Sprintf("d%d", i), fmt.Sprintf("10.1.%d.%d", i/250, i%250+1)))
	}
	require.NoError(t, b.client.DeleteDevice(b.ctx(t), ids[0]))
	require.ErrorIs(t, b.client.DeleteDevice(b.ctx(t), ids[0]), ErrNotFound)

	res, err := b.client.DeleteDevices(b.ctx(t), ids[1:])
	require.NoError(t, err)
	require.Equal(t, MaxBatchSize+1, res.Successful)
	require.True(t, res.Success)
	require.Equal(t, 2, b.sim.CountRequests("PATCH /api/v1/devices/-"), "split at MaxBatchSize")
	require.Zero(t, b.sim.DeviceCount())
}

func TestMaintenanceOnAndOff(t *testing.T) {
	t.Parallel()
	b := setup(t, wugsim.Options{})
	a, c := b.seed(t, "a", "10.0.0.1"), b.seed(t, "c", "10.0.0.3")

	res, err := b.client.SetMaintenance(b.ctx(t), []string{a}, true, "decommissioned in NetBox")
	require.NoError(t, err)
	require.Equal(t, 1, res.Successful)
	require.Equal(t, 1, b.sim.CountRequests("PUT /api/v1/devices/{deviceId}/config/maintenance"))
	d, err := b.client.GetDevice(b.ctx(t), a)
	require.NoError(t, err)
	require.True(t, d.InMaintenance())
	snap, _ := b.sim.Device(a)
	require.Equal(t, "decommissioned in NetBox", snap.MaintenanceReason)

	end := time.Now().Add(time.Hour).UTC().Truncate(time.Second)
	res, err = b.client.SetMaintenanceUntil(b.ctx(t), []string{a, c}, "window", end)
	require.NoError(t, err)
	require.Equal(t, 2, res.Successful)
	require.Equal(t, 1, b.sim.CountRequests("PATCH /api/v1/devices/-/config/maintenance"))
	snap, _ = b.sim.Device(c)
	require.True(t, snap.Maintenance)
	require.True(t, end.Equal(snap.MaintenanceEnd))

	_, err = b.client.SetMaintenance(b.ctx(t), []string{a, c}, false, "")
	require.NoError(t, err)
	for _, id := range []string{a, c} {
		d, err := b.client.GetDevice(b.ctx(t), id)
		require.NoError(t, err)
		require.False(t, d.InMaintenance())
		require.Equal(t, "Up", d.BestState)
	}
}

func TestNewDeviceScanProgressesThenExposesDevices(t *testing.T) {
	t.Parallel()
	b := setup(t, wugsim.Options{ScanPolls: 3, Unreachable: []string{"10.0.0.99"}})
	existing := b.seed(t, "known", "10.0.0.7")
	scanID, err := b.client.StartNewDeviceScan(b.ctx(t), RootGroupID, []string{"10.0.0.8", "10.0.0.7", "10.0.0.99"}, ScanOptions{})
	require.NoError(t, err)

	active, err := b.client.ListScans(b.ctx(t), true) // first status read
	require.NoError(t, err)
	require.Len(t, active, 1)
	require.Equal(t, scanID, active[0].ID)
	require.False(t, active[0].Done())

	devices, err := b.client.ScanDevices(b.ctx(t), scanID)
	require.NoError(t, err)
	require.Empty(t, devices, "nothing until the scan is done")

	s, err := b.client.ScanStatus(b.ctx(t), scanID) // second read
	require.NoError(t, err)
	require.False(t, s.Done())
	s, err = b.client.ScanStatus(b.ctx(t), scanID) // third read completes it
	require.NoError(t, err)
	require.True(t, s.Done())
	require.Equal(t, 2, s.DevicesFound)
	require.Equal(t, "newDevice", s.Model)

	devices, err = b.client.ScanDevices(b.ctx(t), scanID)
	require.NoError(t, err)
	require.Len(t, devices, 2)
	require.Equal(t, existing, devices[0].ID, "a known address matches the existing device")
	require.Equal(t, "10.0.0.8", devices[1].NetworkAddress)

	active, err = b.client.ListScans(b.ctx(t), true)
	require.NoError(t, err)
	require.Empty(t, active, "a finished scan leaves the active list")
	require.ErrorIs(t, func() error { _, err := b.client.ScanStatus(b.ctx(t), "no-such-scan"); return err }(), ErrNotFound)
}

func TestProductVersion(t *testing.T) {
	t.Parallel()
	b := setup(t, wugsim.Options{Version: "2024.0.2"})
	info, err := b.client.ProductVersion(b.ctx(t))
	require.NoError(t, err)
	require.Equal(t, "2024.0.2", info.Version)
	require.Contains(t, info.Values, NameValue{Name: "Version", Value: "2024.0.2"})
}

func TestGetDeviceTemplateRoundTrip(t *testing.T) {
	t.Parallel()
	b := setup(t, wugsim.Options{Groups: []string{"DATA_CENTERS/CH_DC"}})
	in := template("nb-7", "rtr1", "10.7.0.1")
	in.PrimaryRole, in.Brand, in.OS = "Router", "Juniper", "Junos"
	in.Attributes = []NameValue{{"NetBox_ID", "7"}}
	in.Groups = []GroupRef{{Name: "CH_DC", Parents: []string{"My Network", "DATA_CENTERS"}}}
	res, err := b.client.ApplyTemplates(b.ctx(t), []DeviceTemplate{in})
	require.NoError(t, err)

	out, err := b.client.GetDeviceTemplate(b.ctx(t), res["nb-7"].DeviceID)
	require.NoError(t, err)
	require.Equal(t, "rtr1", out.DisplayName)
	require.Equal(t, "Router", out.PrimaryRole)
	require.Equal(t, "Juniper", out.Brand)
	require.Equal(t, "Junos", out.OS)
	require.Equal(t, in.Attributes, out.Attributes)
	require.Equal(t, in.Groups, out.Groups)
	require.Equal(t, []TemplateInterface{{Default: true, NetworkAddress: "10.7.0.1", NetworkName: "rtr1"}}, out.Interfaces)
}
