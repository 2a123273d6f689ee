package netbox

import (
	"context"
	"iter"
)

// primaryFields is the fields= whitelist of the primary-address listings:
// what the IP-conflict check reads and nothing else (the name only names
// the other object in a conflict's reason).
const primaryFields = "id,name,status,primary_ip,primary_ip4,primary_ip6"

// DevicePrimaries streams the id, name, status and primary addresses of
// every device with a primary IP whose status is one of statuses, across
// the whole NetBox (no other filter), a page at a time, in id order. IP
// address objects do not say whether they are an object's primary, so
// this one trimmed listing is the cheap way to find every primary address
// an export must not duplicate.
func (c *Client) DevicePrimaries(ctx context.Context, statuses []string) iter.Seq2[Device, error] {
	yes := true
	f := DeviceFilter{Statuses: statuses, HasPrimaryIP: &yes}
	return listKind(ctx, c, deviceKind, f, primaryFields, func(d Device) int64 { return d.ID })
}

// VirtualMachinePrimaries is DevicePrimaries for virtual machines.
func (c *Client) VirtualMachinePrimaries(ctx context.Context, statuses []string) iter.Seq2[VirtualMachine, error] {
	yes := true
	f := DeviceFilter{Statuses: statuses, HasPrimaryIP: &yes}
	return listKind(ctx, c, vmKind, f, primaryFields, func(vm VirtualMachine) int64 { return vm.ID })
}
