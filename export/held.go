package export

import (
	"encoding/json"
	"net/netip"
	"strings"

	"github.com/wugsync/wugsync/wug"
)

// FieldHeld names the one Change a plan stores for a device it adopts:
// Old is the Held facts WUG showed when the plan found the device, New
// says when they are compared (HeldPending). The entry keeps it, so a
// retried batch compares again with the same facts; the entry's reason
// says what the comparison found.
const FieldHeld = "wug_holds"

// HeldPending is the New side of a FieldHeld change, as a plan shows it.
const HeldPending = "compared with NetBox when the batch writes the device"

// Held is what WUG's device overview (a search, the paged device listing)
// shows of a device: the facts wugsync has in hand when it adopts a device
// or finds an earlier create, with no further call. The overview carries no
// device type, attributes or group membership, so those stay unknown.
type Held struct {
	Name     string `json:"name"`
	Address  string `json:"address"`
	HostName string `json:"host_name"`
	Role     string `json:"role"`
	Brand    string `json:"brand"`
	OS       string `json:"os"`
	Note     string `json:"note"`
}

// HeldBy is the Held facts of a WUG device overview.
func HeldBy(d wug.DeviceOverview) Held {
	return Held{Name: d.Name, Address: d.NetworkAddress, HostName: d.HostName,
		Role: d.Role, Brand: d.Brand, OS: d.OS, Note: d.Notes}
}

// Changes is the plan's record of h: one FieldHeld change, kept on the
// plan entry until the batch compares it with NetBox.
func (h Held) Changes() Changes {
	return Changes{{Field: FieldHeld, Old: h, New: HeldPending}}
}

// HeldIn reads the Held facts a plan recorded on an entry's diff (see
// FieldHeld); false when the diff holds none (an older plan, or a device
// found without its overview).
func HeldIn(diff json.RawMessage) (Held, bool) {
	var stored []struct {
		Field string          `json:"field"`
		Old   json.RawMessage `json:"old"`
	}
	if len(diff) == 0 || json.Unmarshal(diff, &stored) != nil || len(stored) != 1 || stored[0].Field != FieldHeld {
		return Held{}, false
	}
	var h Held
	if json.Unmarshal(stored[0].Old, &h) != nil {
		return Held{}, false
	}
	return h, true
}

// Diff compares what WUG holds with the Fields NetBox maps now, for a
// device wugsync adopts or finds after a lost answer: only what differs is
// written. Two things cannot be known from the overview and are always in
// the diff: every attribute (Old null; one PATCH upserts them all, which
// also stamps NetBox_ID on the device), and the group (Old null; the batch
// adds the device to its group with one call per group for the whole
// batch, keeping any group a person gave it). The device type is not in
// the overview either; it is not compared, and reaches WUG in the
// NetBox_DeviceType attribute like every attribute.
//
// WUG shows defaults for what a template left empty: role "Device", brand
// and OS "Not Set" (any case); those read as equal to an empty field.
func (h Held) Diff(current Fields) Changes {
	var cs Changes
	add := func(field string, same bool, old, new string) {
		if !same {
			cs = append(cs, Change{Field: field, Old: old, New: new})
		}
	}
	add(FieldDisplayName, h.Name == current.DisplayName, h.Name, current.DisplayName)
	add(FieldIPAddress, sameAddress(h.Address, current.IPAddress), h.Address, current.IPAddress)
	add(FieldNetworkName, strings.EqualFold(strings.TrimSpace(h.HostName), current.NetworkName), h.HostName, current.NetworkName)
	add(FieldPrimaryRole, strings.EqualFold(orDefault(h.Role, wugDefaultRole), orDefault(current.PrimaryRole, wugDefaultRole)), h.Role, current.PrimaryRole)
	add(FieldBrand, strings.EqualFold(notSet(h.Brand), notSet(current.Brand)), h.Brand, current.Brand)
	add(FieldOS, strings.EqualFold(notSet(h.OS), notSet(current.OS)), h.OS, current.OS)
	add(FieldNote, normalizeNote(h.Note) == normalizeNote(current.Note), h.Note, current.Note)
	cs = append(cs, Change{Field: FieldGroupPath, Old: nil, New: pathValue(current.GroupPath)})
	for name, value := range current.Attributes {
		cs = append(cs, Change{Field: FieldAttributePrefix + name, Old: nil, New: value})
	}
	sortChanges(cs)
	return cs
}

// wugDefaultRole is the role WUG gives a device whose template named none
// (or one it does not know).
const wugDefaultRole = "Device"

func orDefault(s, def string) string {
	if s = strings.TrimSpace(s); s == "" {
		return def
	}
	return s
}

// notSet folds WUG's "Not Set" (any case) and an empty value together.
func notSet(s string) string {
	s = strings.TrimSpace(s)
	if strings.EqualFold(s, "not set") {
		return ""
	}
	return s
}

// normalizeNote ignores the line endings a Windows server may store.
func normalizeNote(s string) string {
	return strings.TrimSpace(strings.ReplaceAll(s, "\r\n", "\n"))
}

// sameAddress compares two IP addresses as addresses (10.0.0.1 and
// ::ffff:10.0.0.1 are one), and as text when either does not parse.
func sameAddress(a, b string) bool {
	x, errA := netip.ParseAddr(strings.TrimSpace(a))
	y, errB := netip.ParseAddr(strings.TrimSpace(b))
	if errA != nil || errB != nil {
		return strings.TrimSpace(a) == strings.TrimSpace(b)
	}
	return x.Unmap() == y.Unmap()
}

// KeepHeld adds to held (by WUG device id) the Held facts of the devices of
// a page whose address want names: a plan keeps the overview of the
// devices it may adopt, and nothing of the rest of WUG.
func KeepHeld(held map[string]Held, page []wug.DeviceOverview, want func(netip.Addr) bool) {
	for _, d := range page {
		addr, err := netip.ParseAddr(strings.TrimSpace(d.NetworkAddress))
		if err == nil && want(addr.Unmap()) {
			held[d.ID] = HeldBy(d)
		}
	}
}
