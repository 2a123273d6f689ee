package export

import (
	"net/netip"
	"strings"

	"github.com/wugsync/wugsync/wug"
)

// AddressSearchText is the WUG search text that finds a whole group of
// addresses with one search: an IPv4 address up to its last octet
// ("10.1.0." for 10.1.0.0/24), an IPv6 address up to its last colon. WUG's
// search is a substring match, so the text finds every address of the
// group (at most 256 for IPv4, which fits one page of 250 or two) and a
// few others that merely contain it; callers keep the exact matches. A
// batch's addresses come from few subnets, so looking for a batch's
// earlier creates costs one or two searches instead of one per device.
func AddressSearchText(a netip.Addr) string {
	s := a.Unmap().String()
	sep := "."
	if a.Unmap().Is6() {
		sep = ":"
	}
	if i := strings.LastIndex(s, sep); i != -1 {
		return s[:i+1]
	}
	return s
}

// DevicesAt indexes WUG devices by the address they are monitored at: the
// network address, or the host name when it is an address and differs (WUG
// searches both). Devices without such an address are left out.
func DevicesAt(devices []wug.DeviceOverview) map[netip.Addr][]wug.DeviceOverview {
	out := map[netip.Addr][]wug.DeviceOverview{}
	for _, d := range devices {
		var seen netip.Addr
		for _, s := range []string{d.NetworkAddress, d.HostName} {
			a, err := netip.ParseAddr(strings.TrimSpace(s))
			if err != nil || a.Unmap() == seen {
				continue
			}
			seen = a.Unmap()
			out[seen] = append(out[seen], d)
		}
	}
	return out
}

// EarlierCreate picks, among the WUG devices found at the address of a
// create whose answer was lost, the device that create made. own is true
// for the oldest device with the display name that was sent: it holds what
// wugsync sent, so it is linked as it is, without a write. Otherwise the
// oldest device that no other object links (taken) is the one to link and
// bring in line (a device that differs from what was sent: renamed in
// NetBox since, or made by hand meanwhile). An empty id means nothing is
// there: the create is safe to send.
func EarlierCreate(found []wug.DeviceOverview, name string, taken map[string]bool) (id string, own bool) {
	var named []wug.DeviceOverview
	for _, d := range found {
		if d.Name == name {
			named = append(named, d)
		}
	}
	if id := OldestUnlinked(named, taken); id != "" {
		return id, true
	}
	return OldestUnlinked(found, taken), false
}
