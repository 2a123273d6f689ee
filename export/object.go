package export

import (
	"strconv"
	"strings"

	"github.com/wugsync/wugsync/netbox"
)

// Object is a NetBox object the export rules work on: a device, or a
// virtual machine seen through the fields it shares with a device (name,
// status, site, role, tenant, platform, cluster, primary addresses, tags).
// A VM has no device type, location, rack or asset tag; those stay empty
// and the rules treat them as a device without them. Keeping one shape
// lets eligibility, IP checks, conflicts, groups, attributes and decisions
// stay one set of rules for both kinds (DESIGN.md §10).
type Object struct {
	Type ObjectType
	netbox.Device
}

// DeviceObject is the export view of a NetBox device.
func DeviceObject(d netbox.Device) Object { return Object{Type: ObjectDevice, Device: d} }

// VMObject is the export view of a NetBox virtual machine.
func VMObject(vm netbox.VirtualMachine) Object {
	d := netbox.Device{
		ID: vm.ID, URL: vm.URL, DisplayURL: vm.DisplayURL, Display: vm.Display,
		Tenant: vm.Tenant, Platform: vm.Platform, Serial: vm.Serial, Status: vm.Status,
		PrimaryIP: vm.PrimaryIP, PrimaryIP4: vm.PrimaryIP4, PrimaryIP6: vm.PrimaryIP6,
		Cluster: vm.Cluster, Description: vm.Description, Comments: vm.Comments,
		Tags: vm.Tags, CustomFields: vm.CustomFields, Created: vm.Created, LastUpdated: vm.LastUpdated,
	}
	if strings.TrimSpace(vm.Name) != "" {
		name := vm.Name
		d.Name = &name
	}
	if vm.Site != nil {
		d.Site = *vm.Site
	}
	if vm.Role != nil {
		d.Role = *vm.Role
	}
	return Object{Type: ObjectVirtualMachine, Device: d}
}

// IsVM reports whether the object is a virtual machine.
func (o Object) IsVM() bool { return o.Type == ObjectVirtualMachine }

// DisplayName is the object's name, else NetBox's display string, else
// "device-<id>" or "vm-<id>".
func (o Object) DisplayName() string {
	if !o.IsVM() {
		return o.Device.DisplayName()
	}
	if o.Name != nil && strings.TrimSpace(*o.Name) != "" {
		return *o.Name
	}
	if strings.TrimSpace(o.Display) != "" {
		return o.Display
	}
	return "vm-" + strconv.FormatInt(o.ID, 10)
}

// Noun names the object's kind for people: "device" or "virtual machine".
func (t ObjectType) Noun() string {
	if t == ObjectVirtualMachine {
		return "virtual machine"
	}
	return "device"
}

// ObjectRef names one NetBox object: its kind and id. A device and a VM
// may share an id; an ObjectRef never confuses them.
type ObjectRef struct {
	Type ObjectType
	ID   int64
}

// Ref is the object's ObjectRef.
func (o Object) Ref() ObjectRef { return ObjectRef{Type: o.objectType(), ID: int64(o.ID)} }

// objectType is the object's type, a device when unset.
func (o Object) objectType() ObjectType {
	if o.Type == "" {
		return ObjectDevice
	}
	return o.Type
}

// String is "device 12" or "virtual machine 12".
func (r ObjectRef) String() string {
	t := r.Type
	if t == "" {
		t = ObjectDevice
	}
	return t.Noun() + " " + strconv.FormatInt(r.ID, 10)
}
