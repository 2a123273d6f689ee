package export

import (
	"fmt"
	"net/netip"
	"strings"
)

// IPRejection says why an address cannot be monitored. The export records
// it as the device's skip reason, so Reason is short, stable text an
// operator can filter on ("loopback", "link-local",
// "reserved (documentation 192.0.2.0/24)").
type IPRejection struct {
	// Field is the NetBox field the address came from ("primary_ip4"…);
	// empty when the address was validated on its own.
	Field string
	// Address is the text as NetBox gave it, prefix length included.
	Address string
	// Reason is the rule the address broke.
	Reason string
}

// Error names the field, the address and the reason.
func (e *IPRejection) Error() string {
	if e.Field != "" {
		return fmt.Sprintf("%s %q rejected: %s", e.Field, e.Address, e.Reason)
	}
	return fmt.Sprintf("ip address %q rejected: %s", e.Address, e.Reason)
}

// Reasons for rejecting an address that carry no variable part.
const (
	ReasonUnparseable = "unparseable"
	ReasonZoned       = "scoped address (zone) not monitorable"
	ReasonUnspecified = "unspecified"
	ReasonLoopback    = "loopback"
	ReasonMulticast   = "multicast"
	ReasonLinkLocal   = "link-local"
	ReasonBroadcast   = "broadcast"
)

// reservedRange is a block no monitored device can sit in, with the reason
// recorded for it.
type reservedRange struct {
	prefix netip.Prefix
	reason string
}

// reservedRanges lists the special-purpose blocks (IANA IPv4 and IPv6
// Special-Purpose Address Registries) that are not reachable device
// addresses. Private space (RFC 1918, CGNAT 100.64.0.0/10, ULA fc00::/7) is
// deliberately absent: monitored devices usually live there.
var reservedRanges = []reservedRange{
	{netip.PrefixFrom(limitedBroadcast, 32), ReasonBroadcast}, // before 240/4, which holds it
	{netip.MustParsePrefix("0.0.0.0/8"), "reserved (this network 0.0.0.0/8)"},
	{netip.MustParsePrefix("192.0.0.0/24"), "reserved (IETF protocol assignments 192.0.0.0/24)"},
	{netip.MustParsePrefix("192.0.2.0/24"), "reserved (documentation 192.0.2.0/24)"},
	{netip.MustParsePrefix("198.51.100.0/24"), "reserved (documentation 198.51.100.0/24)"},
	{netip.MustParsePrefix("203.0.113.0/24"), "reserved (documentation 203.0.113.0/24)"},
	{netip.MustParsePrefix("198.18.0.0/15"), "reserved (benchmarking 198.18.0.0/15)"},
	{netip.MustParsePrefix("240.0.0.0/4"), "reserved (future use 240.0.0.0/4)"},
	{netip.MustParsePrefix("2001:db8::/32"), "reserved (documentation 2001:db8::/32)"},
	{netip.MustParsePrefix("3fff::/20"), "reserved (documentation 3fff::/20)"},
	{netip.MustParsePrefix("100::/64"), "reserved (discard-only 100::/64)"},
}

// limitedBroadcast is 255.255.255.255.
var limitedBroadcast = netip.AddrFrom4([4]byte{255, 255, 255, 255})

// ValidateAddress parses an address as NetBox writes it ("10.20.0.11/24",
// "2001:db8::1/64" or a bare address) and returns the host address when WUG
// can monitor it. Otherwise it returns an *IPRejection naming the reason.
//
// The prefix length is used, not only stripped: for IPv4 prefixes shorter
// than /31 the network and broadcast addresses of the subnet are rejected,
// since NetBox happily stores "10.0.0.255/24" as a device's primary IP.
// IPv4-mapped IPv6 addresses (::ffff:a.b.c.d) are unmapped and judged as
// IPv4, so the loopback cannot sneak in as ::ffff:127.0.0.1.
func ValidateAddress(cidrOrAddr string) (netip.Addr, error) {
	text := strings.TrimSpace(cidrOrAddr)
	reject := func(reason string) (netip.Addr, error) {
		return netip.Addr{}, &IPRejection{Address: text, Reason: reason}
	}
	addr, prefix, err := parseAddress(text)
	if err != nil {
		return reject(ReasonUnparseable)
	}
	if reason := addressProblem(addr.WithZone("")); reason != "" {
		return reject(reason)
	}
	if addr.Zone() != "" {
		// A zone only means something on the host that wrote it.
		return reject(ReasonZoned)
	}
	if reason := subnetProblem(addr, prefix); reason != "" {
		return reject(reason)
	}
	return addr, nil
}

// parseAddress splits NetBox's CIDR text into the host address and, when a
// prefix length was given, the prefix, both unmapped to IPv4 when the
// address is IPv4-mapped IPv6.
func parseAddress(text string) (netip.Addr, netip.Prefix, error) {
	if !strings.Contains(text, "/") {
		addr, err := netip.ParseAddr(text)
		if err != nil {
			return netip.Addr{}, netip.Prefix{}, err
		}
		return addr.Unmap(), netip.Prefix{}, nil
	}
	prefix, err := netip.ParsePrefix(text)
	if err != nil {
		return netip.Addr{}, netip.Prefix{}, err
	}
	addr := prefix.Addr()
	if !addr.Is4In6() {
		return addr, prefix, nil
	}
	addr = addr.Unmap()
	// A mask shorter than /96 reaches above the mapped IPv4 part and says
	// nothing about the IPv4 subnet: PrefixFrom then returns an invalid
	// prefix (negative length), which subnetProblem ignores.
	return addr, netip.PrefixFrom(addr, prefix.Bits()-96), nil
}

// addressProblem returns why addr alone is not a monitorable unicast
// address, or "" when it is. Order matters only for addresses in two
// categories (0.0.0.0 is both unspecified and in 0/8): the most specific
// reason wins.
func addressProblem(addr netip.Addr) string {
	switch {
	case addr.IsUnspecified():
		return ReasonUnspecified
	case addr.IsLoopback():
		return ReasonLoopback
	case addr.IsMulticast():
		return ReasonMulticast
	case addr.IsLinkLocalUnicast():
		return ReasonLinkLocal
	}
	for _, r := range reservedRanges {
		if r.prefix.Contains(addr) {
			return r.reason
		}
	}
	return ""
}

// subnetProblem rejects the network and broadcast address of an IPv4 subnet
// that has them (/30 and shorter; /31 point-to-point links and /32 hosts
// use every address, RFC 3021).
func subnetProblem(addr netip.Addr, prefix netip.Prefix) string {
	if !prefix.IsValid() || !addr.Is4() || prefix.Bits() >= 31 {
		return ""
	}
	network := prefix.Masked()
	if addr == network.Addr() {
		return fmt.Sprintf("subnet network address (%s)", network)
	}
	if addr == lastAddr(network) {
		return fmt.Sprintf("subnet broadcast (%s)", network)
	}
	return ""
}

// lastAddr is the highest address of an IPv4 prefix.
func lastAddr(p netip.Prefix) netip.Addr {
	b := p.Addr().As4()
	host := uint32(1)<<(32-p.Bits()) - 1
	v := (uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])) | host
	return netip.AddrFrom4([4]byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)})
}
