package export

import (
	"net/netip"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/wugsync/wugsync/netbox"
)

func TestPrimaryIP(t *testing.T) {
	t.Parallel()

	tests := []struct {
		name          string
		ip4, ip6, ip  *netbox.IPRef
		want          string
		rejectedField string
		rejectReason  string
		noPrimary     bool
		incomplete    bool
	}{
		{name: "ipv4 preferred over ipv6 and primary_ip", ip4: ipRef("10.0.0.1/24"), ip6: ipRef("2a00:1::1/64"), ip: ipRef("2a00:1::1/64"), want: "10.0.0.1"},
		{name: "ipv6 when no ipv4", ip6: ipRef("2a00:1::1/64"), ip: ipRef("2a00:1::1/64"), want: "2a00:1::1"},
		{name: "primary_ip as last resort", ip: ipRef("10.9.9.9/24"), want: "10.9.9.9"},
		{name: "rejected ipv4 falls back to valid ipv6", ip4: ipRef("169.254.0.5/16"), ip6: ipRef("2a00:1::1/64"), want: "2a00:1::1"},
		{name: "all rejected reports the preferred one", ip4: ipRef("127.0.0.1/8"), ip6: ipRef("fe80::1/64"), rejectedField: "primary_ip4", rejectReason: ReasonLoopback},
		{name: "only ipv6 rejected", ip6: ipRef("2001:db8::1/64"), rejectedField: "primary_ip6", rejectReason: "reserved (documentation 2001:db8::/32)"},
		{name: "unparseable address", ip4: ipRef("bogus"), rejectedField: "primary_ip4", rejectReason: ReasonUnparseable},
		{name: "no primary ip", noPrimary: true},
		{name: "reference without id or address counts as none", ip4: &netbox.IPRef{}, noPrimary: true},
		{name: "snapshot id only is incomplete, not absent", ip4: &netbox.IPRef{ID: 101}, ip6: ipRef("2a00:1::1/64"), incomplete: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			d := netbox.Device{ID: 42, PrimaryIP4: tt.ip4, PrimaryIP6: tt.ip6, PrimaryIP: tt.ip}
			addr, _, err := primaryIP(DeviceObject(d))
			switch {
			case tt.noPrimary:
				require.ErrorIs(t, err, ErrNoPrimaryIP)
				require.False(t, addr.IsValid())
			case tt.incomplete:
				require.ErrorIs(t, err, ErrIncompleteDevice)
				require.NotErrorIs(t, err, ErrNoPrimaryIP)
				require.Contains(t, err.Error(), "primary_ip4 101")
			case tt.rejectReason != "":
				var rej *IPRejection
				require.ErrorAs(t, err, &rej)
				require.Equal(t, tt.rejectedField, rej.Field)
				require.Equal(t, tt.rejectReason, rej.Reason)
				require.False(t, addr.IsValid())
			default:
				require.NoError(t, err)
				require.Equal(t, netip.MustParseAddr(tt.want), addr)
			}
		})
	}
}
