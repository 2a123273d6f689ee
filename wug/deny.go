package wug

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"sync/atomic"
	"syscall"
	"time"
)

// ErrAddressDenied means the client refused to connect to an address on its
// deny list (link-local and cloud metadata by default), so a WUG
// connection cannot be pointed at the instance metadata service or used to
// scan internal addresses. Match it with errors.Is.
var ErrAddressDenied = errors.New("wug: address denied")

// DeniedAddressError names the address the client refused and the denied
// network it is in.
type DeniedAddressError struct {
	Addr    netip.Addr
	Network netip.Prefix
}

func (e *DeniedAddressError) Error() string {
	return fmt.Sprintf("address %s is in %s, which the connection deny list (WUGSYNC_CONNECTION_DENY) refuses", e.Addr, e.Network)
}

// Is lets errors.Is(err, ErrAddressDenied) match.
func (e *DeniedAddressError) Is(target error) bool { return target == ErrAddressDenied }

// DenyList is the set of networks a client must not connect to. The zero
// value denies nothing.
type DenyList struct {
	prefixes []netip.Prefix
}

// NewDenyList returns a list denying every address in prefixes.
func NewDenyList(prefixes []netip.Prefix) DenyList {
	return DenyList{prefixes: append([]netip.Prefix(nil), prefixes...)}
}

// DefaultDenyList denies link-local addresses (169.254.0.0/16, fe80::/10),
// where clouds serve instance metadata and credentials, and AWS's IPv6
// metadata address fd00:ec2::254.
func DefaultDenyList() DenyList {
	return NewDenyList([]netip.Prefix{
		netip.MustParsePrefix("169.254.0.0/16"),
		netip.MustParsePrefix("fe80::/10"),
		netip.MustParsePrefix("fd00:ec2::254/128"),
	})
}

// Prefixes returns the denied networks.
func (d DenyList) Prefixes() []netip.Prefix { return append([]netip.Prefix(nil), d.prefixes...) }

// Check returns a *DeniedAddressError when addr is in a denied network. An
// IPv4 address written as IPv6 (::ffff:169.254.169.254) is checked as IPv4.
func (d DenyList) Check(addr netip.Addr) error {
	addr = addr.Unmap().WithZone("")
	for _, p := range d.prefixes {
		if p.Contains(addr) {
			return &DeniedAddressError{Addr: addr, Network: p}
		}
	}
	return nil
}

// CheckHost checks a host that is a literal IP address; a name is checked
// only when it is dialled, after it resolves.
func (d DenyList) CheckHost(host string) error {
	addr, err := netip.ParseAddr(strings.Trim(host, "[]"))
	if err != nil {
		return nil
	}
	return d.Check(addr)
}

// control runs after a name resolved and before each connection attempt,
// so a host name that resolves to a denied address is refused too, and a
// name cannot switch to one between a check and the dial.
func (d DenyList) control(_, address string, _ syscall.RawConn) error {
	host, _, err := net.SplitHostPort(address)
	if err != nil {
		return fmt.Errorf("dial %q: %w", address, err)
	}
	addr, err := netip.ParseAddr(host)
	if err != nil {
		return fmt.Errorf("dial %q: not an IP address after resolution", address)
	}
	return d.Check(addr)
}

// guard makes transport refuse denied addresses: every dialled address is
// checked after resolution, and a literal IP in the URL is refused before
// a proxy (which resolves names itself) is asked.
func (d DenyList) guard(transport *http.Transport) {
	dialer := &net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second, Control: d.control}
	transport.DialContext = dialer.DialContext
	proxy := transport.Proxy
	transport.Proxy = func(r *http.Request) (*url.URL, error) {
		if err := d.CheckHost(r.URL.Hostname()); err != nil {
			return nil, err
		}
		if proxy == nil {
			return nil, nil
		}
		return proxy(r)
	}
}

// processDeny is the deny list of clients whose Config leaves Deny nil.
var processDeny atomic.Pointer[DenyList]

// SetDefaultDenyList sets the deny list of every client built afterwards
// whose Config leaves Deny nil. The process wiring (cmd) calls it once at
// start with WUGSYNC_CONNECTION_DENY, so every WUG client of the process,
// whoever builds it, obeys the setting.
func SetDefaultDenyList(d DenyList) { processDeny.Store(&d) }

// defaultDeny is the process's deny list: SetDefaultDenyList's, else
// DefaultDenyList.
func defaultDeny() DenyList {
	if d := processDeny.Load(); d != nil {
		return *d
	}
	return DefaultDenyList()
}
