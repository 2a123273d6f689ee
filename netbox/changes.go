package netbox

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"sync"
	"time"
)

// The listings of an incremental export (reference §2.2 "Caveat for
// incremental sync with last_updated__gte", §3.4): what a device's own
// last_updated does not show is asked for separately, each listing trimmed
// with fields= to the little it needs.

// ReferencedKinds are the list endpoints of the objects whose names and
// slugs a device or VM carries nested (site, role, tenant, platform, …) and
// the export maps into WUG fields, groups or filters. Renaming one does not
// touch the device's last_updated, so an incremental run that sees one of
// them changed plans everything again.
var ReferencedKinds = []string{
	"api/dcim/sites/", "api/dcim/regions/", "api/dcim/locations/", "api/dcim/racks/",
	"api/dcim/device-roles/", "api/dcim/device-types/", "api/dcim/manufacturers/",
	"api/dcim/platforms/", "api/tenancy/tenants/", "api/extras/tags/", "api/virtualization/clusters/",
}

// ChangedReferences returns the endpoints among paths (ReferencedKinds)
// with at least one object changed at or after since: one request of one
// row per endpoint (limit=1, fields=id; NetBox's count says whether any
// matched), made side by side.
func (c *Client) ChangedReferences(ctx context.Context, paths []string, since time.Time) ([]string, error) {
	if since.IsZero() {
		return nil, fmt.Errorf("netbox: changed references: no time given: %w", ErrConfig)
	}
	changed := make([]bool, len(paths))
	errs := make([]error, len(paths))
	var wg sync.WaitGroup
	for i, path := range paths {
		wg.Add(1)
		go func() {
			defer wg.Done()
			q := url.Values{"last_updated__gte": {formatTime(since)}, "limit": {"1"}, "fields": {"id"}, "ordering": {"id"}}
			var p page[struct {
				ID int64 `json:"id"`
			}]
			if _, err := c.getJSON(ctx, path, q, &p); err != nil {
				errs[i] = fmt.Errorf("list /%s changed since %s: %w", path, formatTime(since), listError(c, err, q))
				return
			}
			changed[i] = len(p.Results) > 0 || (p.Count != nil && *p.Count > 0)
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	var out []string
	for i, path := range paths {
		if changed[i] {
			out = append(out, path)
		}
	}
	return out, nil
}

// addressHolder is what an IP address listing needs to map an address
// back to its device or VM.
type addressHolder struct {
	ID             int64           `json:"id"`
	AssignedObject *AssignedObject `json:"assigned_object"`
}

// ChangedAddressHolders returns the devices and VMs holding an IP address
// changed at or after since (its address, status, assignment…): editing a
// primary IP does not touch the device's last_updated. Deleting a primary
// IP does (NetBox saves the device), so deleted addresses need no listing.
func (c *Client) ChangedAddressHolders(ctx context.Context, since time.Time) (devices, vms []int64, err error) {
	if since.IsZero() {
		return nil, nil, fmt.Errorf("netbox: changed addresses: no time given: %w", ErrConfig)
	}
	q := url.Values{"last_updated__gte": {formatTime(since)}, "fields": {"id,assigned_object"}}
	for ip, err := range list(ctx, c, ipAddressesPath, q, func(ip addressHolder) int64 { return ip.ID }) {
		if err != nil {
			return nil, nil, fmt.Errorf("ip addresses changed since %s: %w", formatTime(since), err)
		}
		switch a := ip.AssignedObject; {
		case a == nil:
		case a.Device != nil && a.Device.ID > 0:
			devices = append(devices, a.Device.ID)
		case a.VirtualMachine != nil && a.VirtualMachine.ID > 0:
			vms = append(vms, a.VirtualMachine.ID)
		}
	}
	return devices, vms, nil
}

// objectChangePaths are the change log endpoints: core from 4.1, extras in
// 4.0 (reference §3.4).
var objectChangePaths = []string{"api/core/object-changes/", "api/extras/object-changes/"}

type objectChange struct {
	ID              int64 `json:"id"`
	ChangedObjectID int64 `json:"changed_object_id"`
}

// DeletedSince returns the ids of the objects of objectType (e.g.
// "dcim.device") deleted at or after since, from NetBox's change log; a
// listing cannot show a deletion. A change log this token may not read, or
// that this NetBox lacks, gives an error matching ErrPermission or
// ErrNotFound: the caller then reads everything instead. The log keeps
// only CHANGELOG_RETENTION days and only changes made through a request,
// which is why full reconciles stay.
func (c *Client) DeletedSince(ctx context.Context, objectType string, since time.Time) ([]int64, error) {
	if since.IsZero() {
		return nil, fmt.Errorf("netbox: deleted since: no time given: %w", ErrConfig)
	}
	q := url.Values{
		"changed_object_type": {objectType}, "action": {"delete"},
		"time_after": {formatTime(since)}, "fields": {"id,changed_object_id"},
	}
	var lastErr error
	for _, path := range objectChangePaths {
		var ids []int64
		var err error
		for ch, lerr := range list(ctx, c, path, q, func(ch objectChange) int64 { return ch.ID }) {
			if lerr != nil {
				err = lerr
				break
			}
			ids = append(ids, ch.ChangedObjectID)
		}
		if err == nil {
			return ids, nil
		}
		lastErr = fmt.Errorf("%s deleted since %s: %w", objectType, formatTime(since), err)
		if !errors.Is(err, ErrNotFound) {
			return nil, lastErr
		}
	}
	return nil, lastErr
}
