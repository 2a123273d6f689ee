package export

import (
	"maps"
	"slices"
	"strings"
)

// Field names a Change can carry: the JSON names of Fields, and
// "attributes.<name>" for one attribute.
const (
	FieldDisplayName     = "display_name"
	FieldIPAddress       = "ip_address"
	FieldNetworkName     = "network_name"
	FieldGroupPath       = "group_path"
	FieldPrimaryRole     = "primary_role"
	FieldDeviceType      = "device_type"
	FieldBrand           = "brand"
	FieldOS              = "os"
	FieldNote            = "note"
	FieldAttributePrefix = "attributes."
)

// Change is one field that differs between what was exported and what
// would be exported now. For an attribute that appears Old is nil, for one
// that disappears New is nil; a group path is a []string.
type Change struct {
	Field string `json:"field"`
	Old   any    `json:"old"`
	New   any    `json:"new"`
}

// Changes is a diff, sorted by field name.
type Changes []Change

// Has reports whether the field changed. An attribute is named
// "attributes.<name>"; "attributes" alone asks whether any attribute
// changed.
func (cs Changes) Has(field string) bool {
	for _, c := range cs {
		if c.Field == field || (field == "attributes" && strings.HasPrefix(c.Field, FieldAttributePrefix)) {
			return true
		}
	}
	return false
}

// Fields lists the changed field names, in order.
func (cs Changes) Fields() []string {
	out := make([]string, len(cs))
	for i, c := range cs {
		out[i] = c.Field
	}
	return out
}

// Diff compares the Fields last exported with the Fields mapped now. The
// result is sorted by field name, so the same pair always gives the same
// diff (plans are stored and shown), and is empty exactly when both hash
// alike: a nil group path or attribute map equals an empty one.
func Diff(old, current Fields) Changes {
	var cs Changes
	scalar := func(field, o, n string) {
		if o != n {
			cs = append(cs, Change{Field: field, Old: o, New: n})
		}
	}
	scalar(FieldDisplayName, old.DisplayName, current.DisplayName)
	scalar(FieldIPAddress, old.IPAddress, current.IPAddress)
	scalar(FieldNetworkName, old.NetworkName, current.NetworkName)
	scalar(FieldPrimaryRole, old.PrimaryRole, current.PrimaryRole)
	scalar(FieldDeviceType, old.DeviceType, current.DeviceType)
	scalar(FieldBrand, old.Brand, current.Brand)
	scalar(FieldOS, old.OS, current.OS)
	scalar(FieldNote, old.Note, current.Note)
	if !slices.Equal(old.GroupPath, current.GroupPath) {
		cs = append(cs, Change{Field: FieldGroupPath, Old: pathValue(old.GroupPath), New: pathValue(current.GroupPath)})
	}
	names := slices.Collect(maps.Keys(old.Attributes))
	for name := range current.Attributes {
		if _, ok := old.Attributes[name]; !ok {
			names = append(names, name)
		}
	}
	for _, name := range names {
		o, hadOld := old.Attributes[name]
		n, hasNew := current.Attributes[name]
		if hadOld && hasNew && o == n {
			continue
		}
		cs = append(cs, Change{Field: FieldAttributePrefix + name, Old: attributeValue(o, hadOld), New: attributeValue(n, hasNew)})
	}
	sortChanges(cs)
	return cs
}

// sortChanges orders a diff by field name, so the same pair of Fields
// always gives the same diff.
func sortChanges(cs Changes) {
	slices.SortFunc(cs, func(a, b Change) int { return strings.Compare(a.Field, b.Field) })
}

// attributeName is the attribute a change field names, if it names one.
func attributeName(field string) (string, bool) {
	return strings.CutPrefix(field, FieldAttributePrefix)
}

// attributeValue is an attribute's value for a Change: null on the side
// that lacks the attribute, so an absent attribute and an empty one read
// apart.
func attributeValue(v string, present bool) any {
	if !present {
		return nil
	}
	return v
}

// pathValue copies a path for a Change, so the diff does not alias the
// caller's slice, and makes a missing path show as [] rather than null.
func pathValue(s []string) []string {
	return append([]string{}, s...)
}
