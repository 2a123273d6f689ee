package netboxsim_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/wugsync/wugsync/sim/netboxsim"
)

// frozenClock makes the simulator's clock stand still, to show that
// last_updated still strictly increases.
func frozenClock() time.Time { return time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC) }

func TestUpdateDeviceBumpsLastUpdated(t *testing.T) {
	t.Parallel()
	b := setup(t, netboxsim.Options{Devices: 20, Now: frozenClock})
	before, _ := b.sim.Device(3)
	first, err := b.sim.UpdateDevice(3, func(d *netboxsim.Device) {})
	require.NoError(t, err)
	second, err := b.sim.UpdateDevice(3, func(d *netboxsim.Device) { d.ID = 99 })
	require.NoError(t, err)
	require.True(t, first.LastUpdated.After(before.LastUpdated))
	require.True(t, second.LastUpdated.After(first.LastUpdated), "strictly increasing even with a frozen clock")
	require.Equal(t, 3, second.ID, "the id cannot be changed")
	require.Equal(t, before.Created, second.Created)

	a := b.get(t, "/api/dcim/devices/?last_updated__gte="+second.LastUpdated.Format(time.RFC3339Nano))
	require.Equal(t, []int{3}, a.ids(t))
}

func TestRelatedChangesDoNotTouchDevice(t *testing.T) {
	t.Parallel()
	b := setup(t, netboxsim.Options{Devices: 20})
	d, _ := b.sim.Device(2)
	require.NotZero(t, d.PrimaryIP4ID)

	ip, err := b.sim.ChangeIPAddress(d.PrimaryIP4ID, "10.50.0.2/24")
	require.NoError(t, err)
	after, _ := b.sim.Device(2)
	require.Equal(t, d.LastUpdated, after.LastUpdated, "an address edit does not save the device")
	a := b.get(t, "/api/dcim/devices/2/")
	require.Equal(t, "10.50.0.2/24", a.body["primary_ip4"].(map[string]any)["address"])
	require.True(t, ip.LastUpdated.After(d.LastUpdated))

	site, err := b.sim.RenameSite(d.SiteID, "Renamed Site")
	require.NoError(t, err)
	after, _ = b.sim.Device(2)
	require.Equal(t, d.LastUpdated, after.LastUpdated, "a site rename does not save the device")
	require.Equal(t, "Renamed Site", b.get(t, "/api/dcim/devices/2/").body["site"].(map[string]any)["name"])
	require.Equal(t, "Renamed Site", site.Name)

	require.NoError(t, b.sim.DeleteIPAddress(d.PrimaryIP4ID))
	after, _ = b.sim.Device(2)
	require.Zero(t, after.PrimaryIP4ID)
	require.True(t, after.LastUpdated.After(d.LastUpdated), "deleting the primary IP saves the device")
}

func TestSetPrimaryIP(t *testing.T) {
	t.Parallel()
	b := setup(t, netboxsim.Options{Devices: 20})
	ip, err := b.sim.SetPrimaryIP(4, "2001:db8:99::4")
	require.NoError(t, err)
	require.Equal(t, "2001:db8:99::4/128", ip.Address)
	d, _ := b.sim.Device(4)
	require.Equal(t, ip.ID, d.PrimaryIP6ID)
	a := b.get(t, "/api/ipam/ip-addresses/?device_id=4")
	require.Contains(t, a.ids(t), ip.ID)

	again, err := b.sim.SetPrimaryIP(4, "2001:db8:99::4/128")
	require.NoError(t, err)
	require.Equal(t, ip.ID, again.ID, "an address already on the device is reused")

	require.NoError(t, b.sim.ClearPrimaryIP(4))
	d, _ = b.sim.Device(4)
	require.Zero(t, d.PrimaryIP4ID+d.PrimaryIP6ID)

	_, err = b.sim.SetPrimaryIP(4, "300.1.1.1")
	require.ErrorIs(t, err, netboxsim.ErrInvalid)
	_, err = b.sim.SetPrimaryIP(9999, "10.0.0.1")
	require.ErrorIs(t, err, netboxsim.ErrNotFound)
}

func TestMutationValidation(t *testing.T) {
	t.Parallel()
	b := setup(t, netboxsim.Options{Devices: 30})
	d1, _ := b.sim.Device(1)
	d2, _ := b.sim.Device(2)
	cases := []struct {
		name  string
		fn    func(*netboxsim.Device)
		field string
	}{
		{"bad status", func(d *netboxsim.Device) { d.Status = "bogus" }, "status"},
		{"unknown site", func(d *netboxsim.Device) { d.SiteID = 999 }, "site"},
		{"missing role", func(d *netboxsim.Device) { d.RoleID = 0 }, "role"},
		{"unknown tag", func(d *netboxsim.Device) { d.Tags = append(d.Tags, "nosuch") }, "tags"},
		{"foreign primary ip", func(d *netboxsim.Device) { d.PrimaryIP4ID = d2.PrimaryIP4ID }, "primary_ip4"},
		{"v4 as primary_ip6", func(d *netboxsim.Device) { d.PrimaryIP6ID = d1.PrimaryIP4ID }, "primary_ip6"},
		{"unknown custom field", func(d *netboxsim.Device) { d.CustomFields = map[string]any{"nope": 1} }, "__all__"},
		{"wrong custom field type", func(d *netboxsim.Device) { d.CustomFields = map[string]any{"wug_device_id": 812} }, "__all__"},
		{"duplicate name", func(d *netboxsim.Device) {
			d.Name, d.SiteID, d.TenantID = d2.Name, d2.SiteID, d2.TenantID
			d.LocationID, d.RackID, d.Position = 0, 0, nil
		}, "__all__"},
		{"position without rack", func(d *netboxsim.Device) { d.RackID = 0 }, "position"},
	}
	for _, tc := range cases {
		_, err := b.sim.UpdateDevice(1, tc.fn)
		require.ErrorIs(t, err, netboxsim.ErrInvalid, tc.name)
		require.Contains(t, err.Error(), tc.field+":", tc.name)
	}
	after, _ := b.sim.Device(1)
	require.Equal(t, d1.LastUpdated, after.LastUpdated, "failed updates change nothing")

	_, err := b.sim.UpdateDevice(999, func(*netboxsim.Device) {})
	require.ErrorIs(t, err, netboxsim.ErrNotFound)
	require.ErrorIs(t, b.sim.DeleteDevice(999), netboxsim.ErrNotFound)
	_, err = b.sim.RenameSite(1, "")
	require.ErrorIs(t, err, netboxsim.ErrInvalid)
}

func TestCreateAndDeleteDevice(t *testing.T) {
	t.Parallel()
	b := setup(t, netboxsim.Options{Devices: 10})
	created, err := b.sim.CreateDevice(netboxsim.Device{
		Name: netboxsim.StrPtr("lab1-test-sw01"), SiteID: 1, RoleID: 1, DeviceTypeID: 1, Status: "planned",
	})
	require.NoError(t, err)
	require.Equal(t, 11, created.ID)
	require.False(t, created.Created.IsZero())
	a := b.get(t, "/api/dcim/devices/11/")
	require.Equal(t, "lab1-test-sw01", a.body["name"])
	require.Len(t, a.body["custom_fields"], 7, "every custom field renders, null when unset")

	ifaces := len(b.sim.Inventory().Interfaces)
	require.NoError(t, b.sim.DeleteDevice(1))
	require.Equal(t, 404, b.get(t, "/api/dcim/devices/1/").status)
	require.Less(t, len(b.sim.Inventory().Interfaces), ifaces, "interfaces go with the device")
	require.Equal(t, 10, b.sim.DeviceCount())
}

func TestChangeLogShowsDeletions(t *testing.T) {
	t.Parallel()
	b := setup(t, netboxsim.Options{Devices: 10})
	require.NoError(t, b.sim.DeleteDevice(5))
	_, err := b.sim.UpdateDevice(6, func(d *netboxsim.Device) { d.Serial = "NEW" })
	require.NoError(t, err)
	a := b.get(t, "/api/core/object-changes/?changed_object_type=dcim.device&action=delete")
	require.Equal(t, 1, a.count())
	row := a.body["results"].([]any)[0].(map[string]any)
	require.Equal(t, float64(5), row["changed_object_id"])
	require.Nil(t, row["changed_object"])
	require.Nil(t, row["postchange_data"])
	require.NotNil(t, row["prechange_data"])
	require.Equal(t, map[string]any{"value": "delete", "label": "Deleted"}, row["action"])

	require.Equal(t, 1, b.get(t, "/api/core/object-changes/?changed_object_type=dcim.device&changed_object_id=6").count())
	all := b.get(t, "/api/core/object-changes/?changed_object_type=dcim.device")
	require.Equal(t, float64(6), all.body["results"].([]any)[0].(map[string]any)["changed_object_id"], "newest first")
}
