package export

import (
	"errors"
	"fmt"
	"net/netip"

	"github.com/wugsync/wugsync/netbox"
)

// ErrNoPrimaryIP means the device has no primary IP address in NetBox, so
// WUG has nothing to poll. It is a skip, not a failure: the device becomes
// exportable once someone assigns one.
var ErrNoPrimaryIP = errors.New("device has no primary ip address")

// ipCandidate is one primary-address field of a device.
type ipCandidate struct {
	field string
	ref   *netbox.IPRef
}

// candidates lists the device's primary addresses in order of preference.
// IPv4 comes first because WUG discovery, SNMP and most monitors are most at
// home with it; primary_ip is last because it only repeats one of the other
// two and is present alone only in trimmed (fields=) answers.
func candidates(d Object) []ipCandidate {
	return []ipCandidate{
		{"primary_ip4", d.PrimaryIP4},
		{"primary_ip6", d.PrimaryIP6},
		{"primary_ip", d.PrimaryIP},
	}
}

// primaryIP returns the address WUG should poll for the device: its
// primary IPv4 address, else its primary IPv6 address, else NetBox's
// primary_ip; and the chosen reference, whose DNS name becomes the WUG
// interface's network name.
//
// A rejected preferred address does not hide a good one: a device whose
// primary IPv4 is link-local but whose primary IPv6 is global is monitored on
// IPv6. When no candidate is acceptable the error is the *IPRejection of the
// most preferred address, or ErrNoPrimaryIP when the device has none. A
// primary address known only by id (webhook snapshot data) gives
// ErrIncompleteDevice: the full device must be fetched before judging it.
func PrimaryAddress(d netbox.Device) (netip.Addr, error) {
	addr, _, err := primaryIP(DeviceObject(d))
	return addr, err
}

// primaryIP is PrimaryAddress that also returns the chosen reference, whose
// DNS name becomes the WUG interface's network name.
func primaryIP(d Object) (netip.Addr, *netbox.IPRef, error) {
	cands := candidates(d)
	for _, c := range cands {
		if c.ref != nil && c.ref.Address == "" && c.ref.ID != 0 {
			// Webhook snapshots render related objects as bare ids; picking
			// another address would silently bypass the preference order.
			return netip.Addr{}, nil, fmt.Errorf("%w: %s %d is known only by id; fetch the full device", ErrIncompleteDevice, c.field, c.ref.ID)
		}
	}
	var first error
	for _, c := range cands {
		if c.ref == nil || c.ref.Address == "" {
			continue
		}
		addr, err := ValidateAddress(c.ref.Address)
		if err == nil {
			return addr, c.ref, nil
		}
		var rej *IPRejection
		if errors.As(err, &rej) {
			rej.Field = c.field
		}
		if first == nil {
			first = err
		}
	}
	if first != nil {
		return netip.Addr{}, nil, first
	}
	return netip.Addr{}, nil, ErrNoPrimaryIP
}
