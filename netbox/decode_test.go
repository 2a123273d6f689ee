package netbox_test

import (
	"context"
	"encoding/json"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/wugsync/wugsync/netbox"
	"github.com/wugsync/wugsync/sim/netboxsim"
)

// TestDecodeEveryVersionProfile reads the whole inventory of each version
// profile and checks every device against the simulator's own record.
func TestDecodeEveryVersionProfile(t *testing.T) {
	t.Parallel()
	for _, version := range []string{netboxsim.Version42, netboxsim.Version44, netboxsim.Version45} {
		t.Run(version, func(t *testing.T) {
			t.Parallel()
			b := setup(t, netboxsim.Options{Version: version, Devices: 400, Seed: 5}, nil)
			inv := b.sim.Inventory()
			ips := map[int]netboxsim.IPAddress{}
			for _, ip := range inv.IPAddresses {
				ips[ip.ID] = ip
			}
			got := collect(t, b.client.Devices(context.Background(), netbox.DeviceFilter{}))
			require.Len(t, got, len(inv.Devices))
			for i, d := range got {
				want := inv.Devices[i]
				require.Equal(t, int64(want.ID), d.ID)
				require.Equal(t, want.Name, d.Name)
				require.Equal(t, want.Status, d.Status.Value)
				require.NotEmpty(t, d.Status.Label)
				require.Equal(t, int64(want.SiteID), d.Site.ID)
				require.Equal(t, inv.Sites[want.SiteID-1].Slug, d.Site.Slug)
				require.Equal(t, inv.Roles[want.RoleID-1].Slug, d.Role.Slug)
				require.Equal(t, int64(want.DeviceTypeID), d.DeviceType.ID)
				require.NotEmpty(t, d.DeviceType.Manufacturer.Name)
				require.Equal(t, want.Serial, d.Serial)
				require.Equal(t, want.AssetTag, d.AssetTag)
				require.Equal(t, want.Position, d.Position)
				require.True(t, want.LastUpdated.Equal(d.LastUpdated), "last_updated of %d", d.ID)
				require.True(t, want.Created.Equal(d.Created))
				require.Len(t, d.Tags, len(want.Tags))
				require.Len(t, d.CustomFields, len(inv.CustomFields), "every custom field is present")
				require.Equal(t, b.srv.URL+"/dcim/devices/"+itoa(d.ID)+"/", d.DisplayURL)
				requireIP(t, ips, want.PrimaryIP4ID, d.PrimaryIP4, 4)
				requireIP(t, ips, want.PrimaryIP6ID, d.PrimaryIP6, 6)
				if want.PlatformID == 0 {
					require.Nil(t, d.Platform)
				} else {
					require.Equal(t, inv.Platforms[want.PlatformID-1].Slug, d.Platform.Slug)
				}
				if want.Name == nil {
					require.Equal(t, d.Display, d.DisplayName())
					require.Contains(t, d.DisplayName(), itoa(d.ID))
				} else {
					require.Equal(t, *want.Name, d.DisplayName())
				}
			}
		})
	}
}

func requireIP(t *testing.T, ips map[int]netboxsim.IPAddress, id int, got *netbox.IPRef, family int) {
	t.Helper()
	if id == 0 {
		require.Nil(t, got)
		return
	}
	require.NotNil(t, got)
	require.Equal(t, int64(id), got.ID)
	require.Equal(t, ips[id].Address, got.Address)
	require.Equal(t, family, got.Family)
	addr, err := got.Addr()
	require.NoError(t, err)
	require.Equal(t, got.Host(), addr.String())
}

func itoa(id int64) string { return strconv.FormatInt(id, 10) }

// TestDecodeDrift feeds shapes from the versions the simulator does not
// imitate: pre-3.6 device_role, flat family, string decimals, missing
// display_url, timestamps without fractions, nulls where 4.x has objects.
func TestDecodeDrift(t *testing.T) {
	t.Parallel()
	raw, err := os.ReadFile("testdata/device_drift.json")
	require.NoError(t, err)
	var d netbox.Device
	require.NoError(t, json.Unmarshal(raw, &d))
	require.Nil(t, d.Name)
	require.Equal(t, "Cisco C9300 (7)", d.DisplayName())
	require.Equal(t, "core-switch", d.Role.Slug)
	require.Equal(t, "https://nb.example.com/netbox/dcim/devices/7/", d.DisplayURL)
	require.NotNil(t, d.Position)
	require.InDelta(t, 40.5, *d.Position, 1e-9)
	require.Equal(t, 4, d.PrimaryIP4.Family)
	require.Equal(t, "10.0.0.1", d.PrimaryIP4.Host())
	require.Equal(t, "sw.example.net", d.PrimaryIP4.DNSName)
	require.Equal(t, 6, d.PrimaryIP6.Family, "no family: derived from the address")
	require.Equal(t, 4, d.OOBIP.Family, "family as a choice")
	require.Equal(t, time.Date(2024, 11, 2, 0, 0, 0, 0, time.UTC), d.Created)
	require.Equal(t, time.Date(2025, 6, 12, 14, 3, 27, 0, time.UTC), d.LastUpdated)
	require.Equal(t, map[string]any{"n": 3.0, "b": true, "s": "x", "l": []any{"a"}, "o": map[string]any{"k": 1.0}, "z": nil}, d.CustomFields)
	require.True(t, d.HasTag("monitored"))
	require.Equal(t, "R1", d.Rack.Name)
}

func TestDecodeRejectsWrongTypes(t *testing.T) {
	t.Parallel()
	for name, raw := range map[string]string{
		"status object with array": `{"id": 1, "status": [1]}`,
		"bad timestamp":            `{"id": 1, "last_updated": "yesterday"}`,
		"family not a number":      `{"id": 1, "primary_ip4": {"id": 1, "family": "four", "address": "10.0.0.1/24"}}`,
	} {
		var d netbox.Device
		require.Error(t, json.Unmarshal([]byte(raw), &d), name)
	}
}

func TestIPRefAddrRejectsGarbage(t *testing.T) {
	t.Parallel()
	_, err := netbox.IPRef{Address: "10.0.0.300/24"}.Addr()
	require.Error(t, err)
	_, err = netbox.IPRef{}.Addr()
	require.Error(t, err)
	a, err := netbox.IPRef{Address: "2001:db8::1/64"}.Addr()
	require.NoError(t, err)
	require.True(t, a.Is6())
}
