package export

import (
	"net/netip"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/require"

	"github.com/wugsync/wugsync/netbox"
	"github.com/wugsync/wugsync/wug"
)

const fullNote = ManagedNoteLine + "\nNetBox: https://netbox.example.com/dcim/devices/42/"

func TestMapRealisticDevice(t *testing.T) {
	t.Parallel()

	m, err := Map(realisticDevice(t), MapOptions{GroupTemplate: "{region}/{site}", Site: SiteInfo{Region: "Europe"}})
	require.NoError(t, err)

	wantAttrs := []wug.NameValue{
		{Name: "NetBox_ID", Value: "42"},
		{Name: "NetBox_URL", Value: "https://netbox.example.com/dcim/devices/42/"},
		{Name: "NetBox_Site", Value: "FRA1 Frankfurt"},
		{Name: "NetBox_Location", Value: "Hall A"},
		{Name: "NetBox_Rack", Value: "R101 U40"},
		{Name: "NetBox_Role", Value: "Core Switch"},
		{Name: "NetBox_DeviceType", Value: "Cisco C9300-48P"},
		{Name: "NetBox_Platform", Value: "Cisco IOS-XE"},
		{Name: "NetBox_Serial", Value: "FOC2301X0AB"},
		{Name: "NetBox_Tenant", Value: "Acme Corp"},
		{Name: "NetBox_Status", Value: "active"},
		{Name: "NetBox_ObjectType", Value: "device"},
		{Name: "NetBox_Tags", Value: "monitored"},
	}
	require.Equal(t, wug.DeviceTemplate{
		TemplateID:  "nb-42",
		DisplayName: "fra1-core-sw-01",
		DeviceType:  "Switch",
		PrimaryRole: "Switch",
		OS:          "Cisco IOS-XE",
		Brand:       "Cisco",
		Note:        fullNote,
		Interfaces: []wug.TemplateInterface{{
			Default: true, PollUsingNetworkName: false, NetworkAddress: "10.20.0.11", NetworkName: "10.20.0.11",
		}},
		Attributes:     wantAttrs,
		ActiveMonitors: []wug.TemplateMonitor{{Name: "Ping"}},
		Groups:         []wug.GroupRef{{Name: "FRA1 Frankfurt", Parents: []string{"My Network", "Europe"}}},
	}, m.Template)

	wantFields := Fields{
		DisplayName: "fra1-core-sw-01",
		IPAddress:   "10.20.0.11",
		NetworkName: "10.20.0.11",
		GroupPath:   []string{"Europe", "FRA1 Frankfurt"},
		PrimaryRole: "Switch",
		DeviceType:  "Switch",
		Brand:       "Cisco",
		OS:          "Cisco IOS-XE",
		Note:        fullNote,
		Attributes:  map[string]string{},
	}
	for _, a := range wantAttrs {
		wantFields.Attributes[a.Name] = a.Value
	}
	require.Equal(t, wantFields, m.Fields)
	require.Equal(t, netip.MustParseAddr("10.20.0.11"), m.Address)
}

func TestMapSparseDevice(t *testing.T) {
	t.Parallel()

	d := deviceWith(t, func(d *netbox.Device) {
		d.Name = nil
		d.Display = "Cisco C9300-48P (42)"
		d.Platform, d.Tenant, d.Rack, d.Location, d.Position = nil, nil, nil, nil, nil
		d.Serial = ""
		d.AssetTag = nil
		d.PrimaryIP4 = nil
		d.PrimaryIP6 = &netbox.IPRef{ID: 7, Family: 6, Address: "2a00:1450:4001::11/64", DNSName: "fra1-core-sw-01.example.net"}
	})
	m, err := Map(d, MapOptions{})
	require.NoError(t, err)

	require.Equal(t, "Cisco C9300-48P (42)", m.Template.DisplayName, "an unnamed device uses NetBox's display string")
	require.Equal(t, "", m.Template.OS)
	require.Equal(t, []wug.TemplateInterface{{
		Default: true, NetworkAddress: "2a00:1450:4001::11", NetworkName: "fra1-core-sw-01.example.net",
	}}, m.Template.Interfaces)
	require.Equal(t, []wug.GroupRef{{Name: "FRA1 Frankfurt", Parents: []string{"My Network"}}}, m.Template.Groups,
		"an empty template means {site}")
	for _, name := range []string{AttributeNetBoxPlatform, AttributeNetBoxTenant, AttributeNetBoxRack, AttributeNetBoxLocation, AttributeNetBoxSerial, AttributeNetBoxAssetTag} {
		require.NotContains(t, m.Fields.Attributes, name, "empty attributes are omitted")
	}
	require.Len(t, m.Template.Attributes, len(m.Fields.Attributes))
}

func TestMapAssetTagAndHalfUnit(t *testing.T) {
	t.Parallel()

	d := deviceWith(t, func(d *netbox.Device) {
		d.AssetTag = ptr("INV-0042")
		d.Position = ptr(12.5)
		d.Description = "Uplink\tswitch\nfor hall A"
	})
	m, err := Map(d, MapOptions{})
	require.NoError(t, err)
	require.Equal(t, "INV-0042", m.Fields.Attributes[AttributeNetBoxAssetTag])
	require.Equal(t, "R101 U12.5", m.Fields.Attributes[AttributeNetBoxRack])
	require.Equal(t, fullNote+"\nDescription: Uplink switch for hall A", m.Template.Note)
}

func TestMapNames(t *testing.T) {
	t.Parallel()

	tests := []struct {
		name, in, want string
	}{
		{"non-ascii kept as is", "zürich-北京-коммутатор", "zürich-北京-коммутатор"},
		{"control characters flattened", "sw01\n\tcore", "sw01 core"},
		{"blank name falls back to display", "   ", "fra1-core-sw-01"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			d := deviceWith(t, func(d *netbox.Device) { d.Name = ptr(tt.in) })
			m, err := Map(d, MapOptions{})
			require.NoError(t, err)
			require.Equal(t, tt.want, m.Template.DisplayName)
			require.Equal(t, tt.want, m.Fields.DisplayName)
		})
	}
}

func TestMapTruncatesToWUGLimits(t *testing.T) {
	t.Parallel()

	tests := []struct {
		name, in string
	}{
		{"ascii", strings.Repeat("a", 400)},
		{"two-byte runes", strings.Repeat("é", 400)},
		{"three-byte runes", strings.Repeat("東", 400)},
		// Emoji count twice in WUG's UTF-16 lengths.
		{"astral runes", strings.Repeat("🛰", 400)},
		{"mixed at the boundary", strings.Repeat("a", 149) + "🛰🛰"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			long := tt.in
			d := deviceWith(t, func(d *netbox.Device) {
				d.Name = ptr(long)
				d.DeviceType.Manufacturer.Name = long
				d.Serial = strings.Repeat(long, 10)
			})
			m, err := Map(d, MapOptions{})
			require.NoError(t, err)

			for field, c := range map[string]struct {
				got, source string
				max         int
			}{
				"displayName": {m.Template.DisplayName, long, 150},
				"brand":       {m.Template.Brand, long, 256},
				"serial":      {m.Fields.Attributes[AttributeNetBoxSerial], strings.Repeat(long, 10), 3000},
			} {
				require.True(t, utf8.ValidString(c.got), "%s is not valid UTF-8", field)
				require.True(t, strings.HasPrefix(c.source, c.got), "%s is not a prefix of its source", field)
				if utf16Len(c.source) <= c.max {
					require.Equal(t, c.source, c.got, "%s fits and must not be cut", field)
					continue
				}
				require.LessOrEqual(t, utf16Len(c.got), c.max, field)
				require.Greater(t, utf16Len(c.got), c.max-2, "%s was cut more than needed", field)
			}
			require.LessOrEqual(t, utf8.RuneCountInString(m.Template.DisplayName), 150)
		})
	}
}

func TestMapNetBoxURL(t *testing.T) {
	t.Parallel()

	webhook := deviceWith(t, func(d *netbox.Device) {
		d.URL = "/api/dcim/devices/42/"
		d.DisplayURL = "/dcim/devices/42/"
	})
	rest := realisticDevice(t)

	fromWebhook, err := Map(webhook, MapOptions{NetBoxURL: "https://netbox.example.com"})
	require.NoError(t, err)
	fromREST, err := Map(rest, MapOptions{NetBoxURL: "https://netbox.example.com/"})
	require.NoError(t, err)
	require.Equal(t, "https://netbox.example.com/dcim/devices/42/", fromWebhook.Fields.Attributes[AttributeNetBoxURL])
	require.Equal(t, fromREST.Fields.Hash(), fromWebhook.Fields.Hash(), "a webhook must not cause a spurious update")

	prefixed, err := Map(rest, MapOptions{NetBoxURL: "https://example.com/netbox"})
	require.NoError(t, err)
	require.Equal(t, "https://example.com/netbox/dcim/devices/42/", prefixed.Fields.Attributes[AttributeNetBoxURL])
	require.Contains(t, prefixed.Template.Note, "NetBox: https://example.com/netbox/dcim/devices/42/")
}

func TestMapErrors(t *testing.T) {
	t.Parallel()

	t.Run("no primary ip", func(t *testing.T) {
		t.Parallel()
		d := deviceWith(t, func(d *netbox.Device) { d.PrimaryIP, d.PrimaryIP4, d.PrimaryIP6 = nil, nil, nil })
		_, err := Map(d, MapOptions{})
		require.ErrorIs(t, err, ErrNoPrimaryIP)
	})
	t.Run("rejected ip", func(t *testing.T) {
		t.Parallel()
		d := deviceWith(t, func(d *netbox.Device) { d.PrimaryIP4 = ipRef("10.20.0.255/24"); d.PrimaryIP = nil })
		_, err := Map(d, MapOptions{})
		var rej *IPRejection
		require.ErrorAs(t, err, &rej)
		require.Equal(t, "primary_ip4", rej.Field)
		require.Equal(t, "subnet broadcast (10.20.0.0/24)", rej.Reason)
	})
	t.Run("bad template", func(t *testing.T) {
		t.Parallel()
		_, err := Map(realisticDevice(t), MapOptions{GroupTemplate: "{region}/{building}"})
		var gte *GroupTemplateError
		require.ErrorAs(t, err, &gte)
		require.Equal(t, 2, gte.Level)
	})
	t.Run("snapshot data", func(t *testing.T) {
		t.Parallel()
		d := deviceWith(t, func(d *netbox.Device) { d.Tenant = &netbox.Ref{ID: 5} })
		_, err := Map(d, MapOptions{})
		require.ErrorIs(t, err, ErrIncompleteDevice)
		require.ErrorContains(t, err, "tenant 5 is known only by id")
	})
	t.Run("no device id", func(t *testing.T) {
		t.Parallel()
		d := deviceWith(t, func(d *netbox.Device) { d.ID = 0 })
		_, err := Map(d, MapOptions{})
		require.ErrorIs(t, err, ErrIncompleteDevice)
	})
}

func TestMapIsDeterministic(t *testing.T) {
	t.Parallel()

	a, err := Map(realisticDevice(t), MapOptions{})
	require.NoError(t, err)
	b, err := Map(realisticDevice(t), MapOptions{})
	require.NoError(t, err)
	require.Equal(t, a, b)
	require.Equal(t, a.Fields.Hash(), b.Fields.Hash())
}

func TestMapRoleRulesOption(t *testing.T) {
	t.Parallel()

	m, err := Map(realisticDevice(t), MapOptions{RoleRules: []RoleRule{{Match: []string{"core"}, PrimaryRole: "Core", DeviceType: "Cisco Switch"}}})
	require.NoError(t, err)
	require.Equal(t, "Core", m.Template.PrimaryRole)
	require.Equal(t, "Cisco Switch", m.Template.DeviceType)
}
