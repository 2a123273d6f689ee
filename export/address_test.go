package export

import (
	"errors"
	"net/netip"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestValidateAddressAccepts(t *testing.T) {
	t.Parallel()

	tests := []struct {
		name, in, want string
	}{
		{"rfc1918 10/8 with prefix", "10.20.0.11/24", "10.20.0.11"},
		{"rfc1918 172.16/12", "172.16.5.4/16", "172.16.5.4"},
		{"rfc1918 192.168/16 bare", "192.168.1.10", "192.168.1.10"},
		{"cgnat 100.64/10", "100.64.0.1/10", "100.64.0.1"},
		{"public", "8.8.8.8/32", "8.8.8.8"},
		{"surrounding whitespace", "  10.0.0.5/24 ", "10.0.0.5"},
		{"point-to-point /31 low", "10.0.0.0/31", "10.0.0.0"},
		{"point-to-point /31 high", "10.0.0.1/31", "10.0.0.1"},
		{"host route /32", "10.0.0.255/32", "10.0.0.255"},
		{"non-canonical prefix host", "10.1.2.3/8", "10.1.2.3"},
		{"ipv6 global", "2a00:1450:4001:82a::200e/64", "2a00:1450:4001:82a::200e"},
		{"ipv6 ula fc00::/7", "fd12:3456:789a::1/48", "fd12:3456:789a::1"},
		{"ipv6 bare", "2600::1", "2600::1"},
		{"ipv6 subnet-router anycast is not broadcast", "2a00:1::/64", "2a00:1::"},
		{"ipv4-mapped is unmapped", "::ffff:10.1.1.1", "10.1.1.1"},
		{"ipv4-mapped with prefix", "::ffff:10.1.1.1/120", "10.1.1.1"},
		// The mask ends above the IPv4 part, so 10.0.0.0 is not a network
		// address here.
		{"ipv4-mapped with a mask above the ipv4 part", "::ffff:10.0.0.0/95", "10.0.0.0"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			addr, err := ValidateAddress(tt.in)
			require.NoError(t, err)
			require.Equal(t, netip.MustParseAddr(tt.want), addr)
		})
	}
}

func TestValidateAddressRejects(t *testing.T) {
	t.Parallel()

	tests := []struct {
		name, in, reason string
	}{
		{"empty", "", ReasonUnparseable},
		{"garbage", "not-an-ip", ReasonUnparseable},
		{"hostname", "router1.example.com", ReasonUnparseable},
		{"octet out of range", "10.0.0.256", ReasonUnparseable},
		{"leading zeros are ambiguous", "010.0.0.1", ReasonUnparseable},
		{"bad prefix length", "10.0.0.1/33", ReasonUnparseable},
		{"prefix not a number", "10.0.0.1/abc", ReasonUnparseable},
		{"two slashes", "10.0.0.1/24/8", ReasonUnparseable},
		{"range", "10.0.0.1-10.0.0.5", ReasonUnparseable},
		{"ipv4 unspecified", "0.0.0.0/0", ReasonUnspecified},
		{"ipv6 unspecified", "::", ReasonUnspecified},
		{"ipv4 loopback", "127.0.0.1/8", ReasonLoopback},
		{"ipv4 loopback other", "127.8.9.10", ReasonLoopback},
		{"ipv6 loopback", "::1/128", ReasonLoopback},
		{"ipv4-mapped loopback", "::ffff:127.0.0.1", ReasonLoopback},
		{"ipv4 multicast", "224.0.0.5", ReasonMulticast},
		{"ipv4 multicast high", "239.255.255.250/32", ReasonMulticast},
		{"ipv6 multicast", "ff02::1", ReasonMulticast},
		{"ipv4 link-local", "169.254.10.20/16", ReasonLinkLocal},
		{"ipv6 link-local", "fe80::1/64", ReasonLinkLocal},
		{"ipv6 link-local upper fe80::/10", "febf::1", ReasonLinkLocal},
		{"ipv6 link-local with zone", "fe80::1%eth0", ReasonLinkLocal},
		{"global with zone", "2a00:1::1%eth0", ReasonZoned},
		{"limited broadcast", "255.255.255.255", ReasonBroadcast},
		{"subnet broadcast /24", "10.0.0.255/24", "subnet broadcast (10.0.0.0/24)"},
		{"subnet broadcast /30", "192.168.1.3/30", "subnet broadcast (192.168.1.0/30)"},
		{"subnet network /24", "10.0.0.0/24", "subnet network address (10.0.0.0/24)"},
		{"subnet network /16 non-aligned text", "172.16.0.0/12", "subnet network address (172.16.0.0/12)"},
		{"mapped subnet broadcast", "::ffff:10.0.0.255/120", "subnet broadcast (10.0.0.0/24)"},
		{"this network 0/8", "0.1.2.3", "reserved (this network 0.0.0.0/8)"},
		{"future use 240/4", "240.0.0.1/4", "reserved (future use 240.0.0.0/4)"},
		{"ietf 192.0.0/24", "192.0.0.8", "reserved (IETF protocol assignments 192.0.0.0/24)"},
		{"documentation 192.0.2/24", "192.0.2.10/24", "reserved (documentation 192.0.2.0/24)"},
		{"documentation 198.51.100/24", "198.51.100.7", "reserved (documentation 198.51.100.0/24)"},
		{"documentation 203.0.113/24", "203.0.113.1", "reserved (documentation 203.0.113.0/24)"},
		{"benchmarking 198.18/15", "198.19.255.1", "reserved (benchmarking 198.18.0.0/15)"},
		{"ipv6 documentation", "2001:db8::1/64", "reserved (documentation 2001:db8::/32)"},
		{"ipv6 documentation 3fff::/20", "3fff:0::1", "reserved (documentation 3fff::/20)"},
		{"ipv6 discard", "100::1", "reserved (discard-only 100::/64)"},
		{"ipv4-mapped documentation", "::ffff:192.0.2.1", "reserved (documentation 192.0.2.0/24)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			addr, err := ValidateAddress(tt.in)
			require.False(t, addr.IsValid(), "a rejected address must not be returned")
			var rej *IPRejection
			require.ErrorAs(t, err, &rej)
			require.Equal(t, tt.reason, rej.Reason)
			require.Contains(t, err.Error(), tt.reason)
		})
	}
}

func TestIPRejectionErrorNamesFieldAndAddress(t *testing.T) {
	t.Parallel()

	err := error(&IPRejection{Field: "primary_ip4", Address: "127.0.0.1/8", Reason: ReasonLoopback})
	require.EqualError(t, err, `primary_ip4 "127.0.0.1/8" rejected: loopback`)

	_, err = ValidateAddress(" 127.0.0.1/8 ")
	require.EqualError(t, err, `ip address "127.0.0.1/8" rejected: loopback`)
}

// FuzzValidateAddress checks that no input panics and that whatever is
// accepted is a monitorable unicast address that validates again on its own.
func FuzzValidateAddress(f *testing.F) {
	for _, seed := range []string{
		"10.20.0.11/24", "10.0.0.255/24", "10.0.0.0/24", "10.0.0.1/31", "0.0.0.0/0", "255.255.255.255",
		"127.0.0.1/8", "169.254.1.1", "224.0.0.1", "192.0.2.1", "198.18.0.1", "240.0.0.1", "100.64.0.1",
		"2001:db8::1/64", "fe80::1%eth0", "::ffff:127.0.0.1", "::ffff:10.0.0.255/120", "::ffff:0.0.0.0/90",
		"fd00::1/8", "2a00:1450::1", "ff02::1", "::", "::1", "100::1", "", "/", "1/", "abc", "10.0.0.1/-1",
		"1.2.3.4/0", "::/0", "\x00", "1.2.3.4 /24", "10.0.0.1/24\n",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, in string) {
		addr, err := ValidateAddress(in)
		if err != nil {
			var rej *IPRejection
			if !errors.As(err, &rej) || rej.Reason == "" {
				t.Fatalf("ValidateAddress(%q) error %v is not an *IPRejection with a reason", in, err)
			}
			if addr.IsValid() {
				t.Fatalf("ValidateAddress(%q) returned %v with an error", in, addr)
			}
			return
		}
		switch {
		case !addr.IsValid(), addr.Zone() != "", addr.Is4In6(),
			addr.IsUnspecified(), addr.IsLoopback(), addr.IsMulticast(),
			addr.IsLinkLocalUnicast(), addr == limitedBroadcast:
			t.Fatalf("ValidateAddress(%q) accepted unmonitorable %v", in, addr)
		}
		again, err := ValidateAddress(addr.String())
		if err != nil || again != addr {
			t.Fatalf("accepted %v from %q does not validate again: %v, %v", addr, in, again, err)
		}
	})
}
