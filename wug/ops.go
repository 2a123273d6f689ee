package wug

// Operation names identify each kind of WUG request. They are stable: the Limiter and the
// Observer receive them, error messages contain them, and metrics label by them. Methods
// that send several requests use the names of those requests: MoveDevice is
// add_devices_to_group then remove_devices_from_group, and the login or refresh before any
// call is token.
const (
	OpToken                  = "token"
	OpApplyTemplates         = "apply_templates"
	OpFindDevicesByIP        = "find_devices_by_ip"
	OpSearchDevices          = "search_devices"
	OpListDevices            = "list_devices"
	OpGetDevice              = "get_device"
	OpGetDeviceProperties    = "get_device_properties"
	OpGetDeviceTemplate      = "get_device_template"
	OpUpdateDeviceProperties = "update_device_properties"
	OpListInterfaces         = "list_interfaces"
	OpUpdateInterface        = "update_interface"
	OpListAttributes         = "list_attributes"
	OpPatchAttributes        = "patch_attributes"
	OpListGroups             = "list_groups"
	OpChildGroups            = "child_groups"
	OpCreateChildGroup       = "create_child_group"
	OpDeleteGroup            = "delete_group"
	OpAddDevicesToGroup      = "add_devices_to_group"
	OpRemoveDevicesFromGroup = "remove_devices_from_group"
	OpDeviceGroups           = "device_groups"
	OpDeleteDevice           = "delete_device"
	OpDeleteDevices          = "delete_devices"
	OpSetMaintenance         = "set_maintenance"
	OpStartScan              = "start_scan"
	OpScanStatus             = "scan_status"
	OpListScans              = "list_scans"
	OpScanDevices            = "scan_devices"
	OpProductVersion         = "product_version"
	OpDeviceCount            = "device_count"
)

// Operations lists every operation name, so metrics can start each series at zero.
func Operations() []string {
	return []string{
		OpToken, OpApplyTemplates, OpFindDevicesByIP, OpSearchDevices, OpListDevices, OpGetDevice, OpGetDeviceProperties,
		OpGetDeviceTemplate, OpUpdateDeviceProperties, OpListInterfaces, OpUpdateInterface, OpListAttributes,
		OpPatchAttributes, OpListGroups, OpChildGroups, OpCreateChildGroup, OpDeleteGroup, OpAddDevicesToGroup,
		OpRemoveDevicesFromGroup, OpDeviceGroups, OpDeleteDevice, OpDeleteDevices, OpSetMaintenance, OpStartScan,
		OpScanStatus, OpListScans, OpScanDevices, OpProductVersion, OpDeviceCount,
	}
}
