package export

import "github.com/wugsync/wugsync/wug"

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
	// changed. WUG has no API to change them on an existing device, so
	// this is reported; the new values reach WUG through the NetBox_Role,
	// NetBox_DeviceType and NetBox_Platform attributes.
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

// Rewrite is the update of a WUG device whose state wugsync does not know:
// one it adopts, or one an earlier create of ours made before its answer
// was lost. Everything ours is written: properties, address, every
// attribute, and the group (the device keeps any group a person gave it).
func Rewrite(current Fields) UpdatePlan {
	p := Diff(Fields{}, current).Update()
	p.Rename, p.Note, p.Group = true, true, true
	return p
}

// Properties reports whether the device's properties (name, note) need the
// properties call.
func (p UpdatePlan) Properties() bool { return p.Rename || p.Note }

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
