package export

import (
	"fmt"
	"strings"

	"github.com/wugsync/wugsync/wug"
)

// UpdatePlan is what an existing WUG device needs so that it matches NetBox
// again, one flag per WUG call that makes the change.
type UpdatePlan struct {
	// Rename: PUT /devices/{id}/properties with the new display name.
	Rename bool `json:"rename"`
	// Note: the same properties call, with the new note.
	Note bool `json:"note"`
	// Address: PUT /devices/{id}/interfaces/{interfaceId} with the new
	// address and network name.
	Address bool `json:"address"`
	// Group: add the device to the new group, then remove it from the old
	// one (WUG refuses to leave a device in no static group).
	Group bool `json:"group"`
	// SetAttributes are attributes to add or change, sorted by name.
	SetAttributes []wug.NameValue `json:"set_attributes,omitempty"`
	// DeleteAttributes are attribute names NetBox no longer has a value
	// for, sorted.
	DeleteAttributes []string `json:"delete_attributes,omitempty"`
	// RoleBrandOS is set when the primary role, device type, brand or OS
	// changed. WUG has no API to change them on an existing device, so it
	// makes no call: the new values reach WUG through the NetBox_Role,
	// NetBox_DeviceType and NetBox_Platform attributes, and the batch
	// reports the entry as export.OutcomeRecorded, its reason naming the
	// fields (UnchangeableNote), never as a plain update.
	RoleBrandOS bool `json:"role_brand_os"`
}

// Update turns a diff into the WUG updates that apply it. A plan stores
// its diff, so the batch that applies the plan needs nothing else; a diff
// read back from JSON works the same (attribute values are strings).
func (cs Changes) Update() UpdatePlan {
	p := UpdatePlan{
		Rename:      cs.Has(FieldDisplayName),
		Note:        cs.Has(FieldNote),
		Address:     cs.Has(FieldIPAddress) || cs.Has(FieldNetworkName),
		Group:       cs.Has(FieldGroupPath),
		RoleBrandOS: cs.Has(FieldPrimaryRole) || cs.Has(FieldDeviceType) || cs.Has(FieldBrand) || cs.Has(FieldOS),
	}
	// Changes are sorted by field, so attributes come out sorted by name.
	for _, c := range cs {
		name, ok := attributeName(c.Field)
		if !ok {
			continue
		}
		if c.New == nil {
			p.DeleteAttributes = append(p.DeleteAttributes, name)
			continue
		}
		value, _ := c.New.(string)
		p.SetAttributes = append(p.SetAttributes, wug.NameValue{Name: name, Value: value})
	}
	return p
}

// Rewrite is the update of a WUG device whose state wugsync does not know
// at all: one it adopts, or one an earlier create of ours made before its
// answer was lost, when no overview of it is in hand (a plan stored before
// Held existed). Everything ours is written: properties, address, every
// attribute, and the group (the device keeps any group a person gave it).
// With the overview, Held.Diff writes only what differs.
func Rewrite(current Fields) UpdatePlan {
	p := Diff(Fields{}, current).Update()
	p.Rename, p.Note, p.Group = true, true, true
	return p
}

// Properties reports whether the device's properties (name, note) need the
// properties call.
func (p UpdatePlan) Properties() bool { return p.Rename || p.Note }

// DeviceCalls is how many WUG calls the plan makes for this device alone:
// one properties PUT for a name and a note together, the interface list and
// the interface PUT for an address (WUG's interface id is in no answer
// wugsync keeps, and the PUT must repeat the interface's other settings),
// one attribute PATCH for every attribute change. A role, type, brand or
// OS change makes none of its own. The group move is batched per group
// and not counted here.
func (p UpdatePlan) DeviceCalls() int {
	n := 0
	if p.Properties() {
		n++
	}
	if p.Address {
		n += 2
	}
	if len(p.SetAttributes) > 0 || len(p.DeleteAttributes) > 0 {
		n++
	}
	return n
}

// unchangeable are the fields WUG cannot change on an existing device.
var unchangeable = []string{FieldPrimaryRole, FieldDeviceType, FieldBrand, FieldOS}

// Unchangeable lists the changes WUG cannot make in place (role, device
// type, brand, OS), in field order.
func (cs Changes) Unchangeable() Changes {
	var out Changes
	for _, c := range cs {
		for _, f := range unchangeable {
			if c.Field == f {
				out = append(out, c)
			}
		}
	}
	return out
}

// UnchangeableNote is what a reason says of the role, device type, brand
// or OS that differ between WUG and NetBox: WUG cannot change them in
// place, so they are recorded in the NetBox_* attributes. Empty when none
// differs.
func (cs Changes) UnchangeableNote() string {
	diffs := cs.Unchangeable()
	if len(diffs) == 0 {
		return ""
	}
	parts := make([]string, len(diffs))
	for i, c := range diffs {
		parts[i] = fmt.Sprintf("%s %q in WUG, %q in NetBox", c.Field, c.Old, c.New)
	}
	return "WUG cannot change the role, device type, brand or OS in place (" + strings.Join(parts, "; ") +
		"): recorded in the NetBox_* attributes only"
}

// AttributeBatch is the single PATCH /devices/{id}/attributes/- request
// that applies the attribute changes without knowing attribute ids: WUG
// deletes by name before it adds, so naming each set attribute in
// DeleteNames as well turns the add into an upsert and leaves no duplicate.
// Empty when no attribute changed.
func (p UpdatePlan) AttributeBatch() wug.AttributeBatch {
	var b wug.AttributeBatch
	for _, a := range p.SetAttributes {
		b.DeleteNames = append(b.DeleteNames, a.Name)
		b.Add = append(b.Add, a)
	}
	b.DeleteNames = append(b.DeleteNames, p.DeleteAttributes...)
	return b
}
