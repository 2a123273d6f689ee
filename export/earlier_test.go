package export

import (
	"net/netip"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/wugsync/wugsync/wug"
)

func TestAddressSearchTextCoversTheSubnet(t *testing.T) {
	t.Parallel()
	for addr, want := range map[string]string{
		"10.1.0.5":           "10.1.0.",
		"10.1.0.250":         "10.1.0.",
		"::ffff:10.1.0.5":    "10.1.0.",
		"2001:db8:1::5":      "2001:db8:1::",
		"2001:db8:1::1:5":    "2001:db8:1::1:",
		"fd00:1:2:3:4:5:6:7": "fd00:1:2:3:4:5:6:",
		"::1":                "::",
		"::a:1":              "::a:",
	} {
		got := AddressSearchText(netip.MustParseAddr(addr))
		require.Equal(t, want, got, addr)
		require.Contains(t, netip.MustParseAddr(addr).Unmap().String(), got, "the text is a substring of the address WUG holds")
	}
}

func TestDevicesAtIndexesAddressAndHostName(t *testing.T) {
	t.Parallel()
	at := DevicesAt([]wug.DeviceOverview{
		{ID: "1", NetworkAddress: "10.1.0.5", HostName: "10.1.0.5"},
		{ID: "2", NetworkAddress: "10.1.0.6", HostName: "10.1.0.50"},
		{ID: "3", NetworkAddress: "sw3.example.net"},
	})
	require.Len(t, at[netip.MustParseAddr("10.1.0.5")], 1, "a device is listed once per address")
	require.Equal(t, "2", at[netip.MustParseAddr("10.1.0.50")][0].ID)
	require.Equal(t, "2", at[netip.MustParseAddr("10.1.0.6")][0].ID)
	require.Len(t, at, 3, "a device without an address is left out")
}

func TestEarlierCreatePrefersOurOwnCreate(t *testing.T) {
	t.Parallel()
	found := []wug.DeviceOverview{
		{ID: "9", Name: "sw1"},
		{ID: "12", Name: "sw1-old"},
		{ID: "15", Name: "sw1"},
	}
	id, own := EarlierCreate(found, "sw1", nil)
	require.Equal(t, "9", id, "the oldest with the name sent")
	require.True(t, own)

	id, own = EarlierCreate(found, "sw1", map[string]bool{"9": true})
	require.Equal(t, "15", id, "a taken device is never linked twice")
	require.True(t, own)

	id, own = EarlierCreate(found, "sw2", map[string]bool{"9": true})
	require.Equal(t, "12", id, "no device with the name sent: the oldest free one differs")
	require.False(t, own)

	id, _ = EarlierCreate(found, "sw2", map[string]bool{"9": true, "12": true, "15": true})
	require.Empty(t, id, "nothing free: safe to create")
	id, _ = EarlierCreate(nil, "sw1", nil)
	require.Empty(t, id)
}
