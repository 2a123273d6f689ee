package netbox

import (
	"fmt"
	"slices"
)

// objectKind is an object type the client lists and writes: devices and
// virtual machines share paging, filters, custom field writes and stamps.
type objectKind struct {
	// objectType is NetBox's "app_label.model", e.g. "dcim.device".
	objectType string
	// path is the list endpoint relative to the base URL.
	path string
	// noun names the objects in error messages.
	noun string
	// fields is the fields= whitelist for list calls.
	fields string
	// clusterNames is set when NetBox filters the type by cluster name
	// ("cluster="); devices only have cluster_id.
	clusterNames bool
}

var (
	deviceKind = objectKind{objectType: ObjectTypeDevice, path: devicesPath, noun: "devices", fields: deviceFields}
	vmKind     = objectKind{objectType: ObjectTypeVirtualMachine, path: vmsPath, noun: "virtual machines", fields: vmFields, clusterNames: true}
)

// kindOf returns the kind of an exportable object type.
func kindOf(objectType string) (objectKind, error) {
	switch objectType {
	case ObjectTypeDevice:
		return deviceKind, nil
	case ObjectTypeVirtualMachine:
		return vmKind, nil
	}
	return objectKind{}, fmt.Errorf("netbox: object type %q: want %q or %q: %w", objectType, ObjectTypeDevice, ObjectTypeVirtualMachine, ErrConfig)
}

// ExportableObjectTypes are the object types wugsync exports, writes custom
// fields to and subscribes webhooks for.
var ExportableObjectTypes = []string{ObjectTypeDevice, ObjectTypeVirtualMachine}

// sortedUnique returns ids sorted without duplicates.
func sortedUnique(ids []int64) []int64 {
	out := slices.Clone(ids)
	slices.Sort(out)
	return slices.Compact(out)
}
