package netbox

// NetBox's built-in status choices (reference/netbox-api.md §3: dcim
// DeviceStatusChoices and virtualization VirtualMachineStatusChoices).
// Admins may add their own with FIELD_CHOICES, so a status seen on an
// object is an open string; these lists are what a filter may name without
// saying that it means a custom one.
var (
	// DeviceStatuses are the status values of a device.
	DeviceStatuses = []string{"offline", "active", "planned", "staged", "failed", "inventory", "decommissioning"}
	// VirtualMachineStatuses are the status values of a virtual machine.
	VirtualMachineStatuses = []string{"offline", "active", "planned", "staged", "failed", "decommissioning", "paused"}
)

// KnownStatus reports whether v is a built-in device or virtual machine
// status value.
func KnownStatus(v string) bool {
	for _, list := range [][]string{DeviceStatuses, VirtualMachineStatuses} {
		for _, s := range list {
			if s == v {
				return true
			}
		}
	}
	return false
}
