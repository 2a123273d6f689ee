package netbox

import (
	"context"
	"iter"
	"net/url"
	"slices"
	"strconv"
)

const (
	devicesPath = "api/dcim/devices/"
	vmsPath     = "api/virtualization/virtual-machines/"
)

// deviceFields and vmFields are the fields= whitelist for list calls: the
// fields Device and VirtualMachine decode. NetBox trims its queries to them
// (reference §2.3), and unknown names are ignored by versions that lack one.
const (
	deviceFields = "id,url,display_url,display,name,device_type,role,device_role,tenant,platform,serial," +
		"asset_tag,site,location,rack,position,status,primary_ip,primary_ip4,primary_ip6,oob_ip,cluster," +
		"description,comments,tags,custom_fields,created,last_updated"
	vmFields = "id,url,display_url,display,name,status,site,cluster,device,role,tenant,platform,serial," +
		"primary_ip,primary_ip4,primary_ip6,vcpus,memory,disk,description,comments,tags,custom_fields,created,last_updated"
)

// Devices streams every device matching f, one page (at most 1000 devices)
// in memory at a time, in id order. Paging is by keyset, so devices created
// or deleted during the walk never cause another device to be skipped or
// repeated. On failure the iterator yields one error and stops; a filter
// value NetBox does not know yields a *FilterError (ErrConfig).
//
//	for d, err := range client.Devices(ctx, netbox.DeviceFilter{Statuses: []string{"active"}}) {
//		if err != nil { return err }
//		...
//	}
func (c *Client) Devices(ctx context.Context, f DeviceFilter) iter.Seq2[Device, error] {
	return listObjects(ctx, c, deviceKind, f, func(d Device) int64 { return d.ID })
}

// GetDevice reads one device. A device that was deleted, or that the token
// may not see, gives an error matching ErrNotFound.
func (c *Client) GetDevice(ctx context.Context, id int64) (Device, error) {
	var d Device
	if err := c.getObject(ctx, devicesPath, id, &d); err != nil {
		return Device{}, opError("get device "+strconv.FormatInt(id, 10), err)
	}
	return d, nil
}

// VirtualMachines streams every virtual machine matching f, like Devices:
// keyset paging, one page in memory, id order. The filter's fields apply to
// VMs as NetBox's VirtualMachineFilterSet defines them; Clusters (names)
// work for VMs only.
func (c *Client) VirtualMachines(ctx context.Context, f DeviceFilter) iter.Seq2[VirtualMachine, error] {
	return listObjects(ctx, c, vmKind, f, func(vm VirtualMachine) int64 { return vm.ID })
}

// listObjects lists one kind with its fields= whitelist and without
// config_context, which is rendered per object and costs seconds per page
// while the exporter never reads it. A long id list is split into several
// requests, since NetBox's front proxies limit the URL length (gunicorn's
// default request line is 4094 bytes); the chunks go in id order, so the
// result stays in id order.
func listObjects[T any](ctx context.Context, c *Client, k objectKind, f DeviceFilter, idOf func(T) int64) iter.Seq2[T, error] {
	if len(f.IDs) <= maxIDsPerRequest {
		return listKind(ctx, c, k, f, k.fields, idOf)
	}
	ids := sortedUnique(f.IDs)
	return func(yield func(T, error) bool) {
		for chunk := range slices.Chunk(ids, maxIDsPerRequest) {
			g := f
			g.IDs = chunk
			for item, err := range listKind(ctx, c, k, g, k.fields, idOf) {
				if !yield(item, err) || err != nil {
					return
				}
			}
		}
	}
}

// maxIDsPerRequest keeps "id=123456&" repeated well under 4 KB of URL.
const maxIDsPerRequest = 200

func listKind[T any](ctx context.Context, c *Client, k objectKind, f DeviceFilter, fields string, idOf func(T) int64) iter.Seq2[T, error] {
	q, err := kindQuery(k, f, fields)
	if err != nil {
		return failed[T](err)
	}
	return list(ctx, c, k.path, q, idOf)
}

// kindQuery is the query of a listing of kind k under f, trimmed to fields.
func kindQuery(k objectKind, f DeviceFilter, fields string) (url.Values, error) {
	q, err := f.values(k)
	if err != nil {
		return nil, opError("list "+k.noun, err)
	}
	q.Set("exclude", "config_context")
	q.Set("fields", fields)
	return q, nil
}

// GetVirtualMachine reads one VM; ErrNotFound when it is gone.
func (c *Client) GetVirtualMachine(ctx context.Context, id int64) (VirtualMachine, error) {
	var vm VirtualMachine
	if err := c.getObject(ctx, vmsPath, id, &vm); err != nil {
		return VirtualMachine{}, opError("get virtual machine "+strconv.FormatInt(id, 10), err)
	}
	return vm, nil
}

// getObject GETs <path><id>/ without config_context.
func (c *Client) getObject(ctx context.Context, path string, id int64, out any) error {
	if id <= 0 {
		return &FilterError{Filter: "id", Value: strconv.FormatInt(id, 10), Message: "ids are positive integers"}
	}
	q := url.Values{"exclude": {"config_context"}}
	_, err := c.getJSON(ctx, path+strconv.FormatInt(id, 10)+"/", q, out)
	return err
}

// failed is an iterator that yields err once.
func failed[T any](err error) iter.Seq2[T, error] {
	return func(yield func(T, error) bool) {
		var zero T
		yield(zero, err)
	}
}
