package netbox

import (
	"context"
	"iter"
	"net/url"
)

// primaryFields is the fields= whitelist of the primary-address listings:
// what the IP-conflict check reads and nothing else (the name only names
// the other object in a conflict's reason).
const primaryFields = "id,name,status,primary_ip,primary_ip4,primary_ip6"

// DevicePrimaries streams the id, name, status and primary addresses of
// every device with a primary IP whose status is one of statuses, across
// the whole NetBox (no other filter), in id order. IP address objects do
// not say whether they are an object's primary, so this one trimmed
// listing is the cheap way to find every primary address an export must
// not duplicate.
//
// An export decides nothing before the listing is complete, so its pages
// after the first are read concurrently (listParallel): on a slow NetBox
// the first write waits for about two pages instead of all of them.
func (c *Client) DevicePrimaries(ctx context.Context, statuses []string) iter.Seq2[Device, error] {
	return listPrimaries(ctx, c, deviceKind, statuses, func(d Device) int64 { return d.ID }, listParallel[Device])
}

// DevicePrimariesInSequence is DevicePrimaries reading one page after
// another. The bench's floor uses it: the floor is defined as one plain
// loop making only the necessary calls, and stays what it was when the
// export's listing became parallel.
func (c *Client) DevicePrimariesInSequence(ctx context.Context, statuses []string) iter.Seq2[Device, error] {
	return listPrimaries(ctx, c, deviceKind, statuses, func(d Device) int64 { return d.ID }, list[Device])
}

// VirtualMachinePrimaries is DevicePrimaries for virtual machines.
func (c *Client) VirtualMachinePrimaries(ctx context.Context, statuses []string) iter.Seq2[VirtualMachine, error] {
	return listPrimaries(ctx, c, vmKind, statuses, func(vm VirtualMachine) int64 { return vm.ID }, listParallel[VirtualMachine])
}

// pageLister is how a listing reads its pages: list or listParallel.
type pageLister[T any] func(ctx context.Context, c *Client, path string, query url.Values, idOf func(T) int64) iter.Seq2[T, error]

func listPrimaries[T any](ctx context.Context, c *Client, k objectKind, statuses []string, idOf func(T) int64, read pageLister[T]) iter.Seq2[T, error] {
	yes := true
	q, err := kindQuery(k, DeviceFilter{Statuses: statuses, HasPrimaryIP: &yes}, primaryFields)
	if err != nil {
		return failed[T](err)
	}
	return read(ctx, c, k.path, q, idOf)
}
