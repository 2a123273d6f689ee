package netbox

import (
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// DeviceFilter selects devices and, with the same fields, virtual machines.
// Slices hold several values, which NetBox ORs, except Tags, which NetBox
// ANDs: an object must carry every listed tag. Empty fields do not filter.
type DeviceFilter struct {
	IDs   []int64
	Names []string
	// Statuses, Sites, Roles, Tags, Platforms and Tenants are slugs (for
	// statuses, the choice value such as "active").
	Statuses  []string
	Sites     []string
	Roles     []string
	Tags      []string
	Platforms []string
	Tenants   []string
	// SiteIDs, RoleIDs, PlatformIDs and TenantIDs are NetBox ids. NetBox
	// applies site= and site_id= as two filters, ANDed, so a query that
	// gives both for one relation selects only objects matching both.
	SiteIDs     []int64
	RoleIDs     []int64
	PlatformIDs []int64
	TenantIDs   []int64
	// TagIDs are NetBox tag ids, ANDed with each other and with Tags as
	// NetBox does. NetBox reads tag_id from 4.3 only; older versions ignore
	// it, so callers re-check tags themselves (export.Eligible does).
	TagIDs []int64
	// ClusterIDs keeps objects in these clusters (devices and VMs).
	ClusterIDs []int64
	// Clusters keeps VMs in the clusters of these names. NetBox has no
	// cluster name filter for devices, so listing devices with it fails
	// with a *FilterError; resolve names with ListClusters instead.
	Clusters []string
	// ExcludeTags drops objects carrying any of these tag slugs (tag__n).
	ExcludeTags []string
	// HasPrimaryIP keeps only objects with (true) or without (false) a
	// primary IPv4 or IPv6 address.
	HasPrimaryIP *bool
	// Query is NetBox's fuzzy "q" search.
	Query string
	// LastUpdatedGTE keeps objects whose own row changed at or after this
	// time. Edits of related objects (the primary IP's address, a site
	// rename) do not count; see the reference §2.2.
	LastUpdatedGTE time.Time
}

// values encodes the filter as NetBox query parameters for kind k,
// repeating a parameter for several values (NetBox does not split commas).
// It rejects empty and non-positive values here, with the same FilterError
// NetBox's 400 would produce.
func (f DeviceFilter) values(k objectKind) (url.Values, error) {
	q := url.Values{}
	ints := []struct {
		param  string
		values []int64
	}{
		{"id", f.IDs},
		{"site_id", f.SiteIDs},
		{"role_id", f.RoleIDs},
		{"platform_id", f.PlatformIDs},
		{"tenant_id", f.TenantIDs},
		{"tag_id", f.TagIDs},
		{"cluster_id", f.ClusterIDs},
	}
	for _, l := range ints {
		for _, id := range l.values {
			if id <= 0 {
				return nil, &FilterError{Filter: l.param, Value: strconv.FormatInt(id, 10), Message: "ids are positive integers"}
			}
			q.Add(l.param, strconv.FormatInt(id, 10))
		}
	}
	if len(f.Clusters) > 0 && !k.clusterNames {
		return nil, &FilterError{Filter: "cluster", Value: strings.Join(f.Clusters, ","),
			Message: "NetBox filters " + k.noun + " by cluster id only"}
	}
	lists := []struct {
		param  string
		values []string
	}{
		{"name", f.Names},
		{"status", f.Statuses},
		{"site", f.Sites},
		{"role", f.Roles},
		{"tag", f.Tags},
		{"tag__n", f.ExcludeTags},
		{"platform", f.Platforms},
		{"tenant", f.Tenants},
		{"cluster", f.Clusters},
	}
	for _, l := range lists {
		for _, v := range l.values {
			if strings.TrimSpace(v) == "" {
				return nil, &FilterError{Filter: l.param, Value: v, Message: "empty value"}
			}
			q.Add(l.param, v)
		}
	}
	if f.HasPrimaryIP != nil {
		q.Set("has_primary_ip", strconv.FormatBool(*f.HasPrimaryIP))
	}
	if f.Query != "" {
		q.Set("q", f.Query)
	}
	if !f.LastUpdatedGTE.IsZero() {
		q.Set("last_updated__gte", formatTime(f.LastUpdatedGTE))
	}
	return q, nil
}

// IPFilter selects IP addresses.
type IPFilter struct {
	IDs []int64
	// DeviceIDs keeps addresses on any interface of these devices
	// (virtual-chassis members included).
	DeviceIDs []int64
	// VirtualMachineIDs keeps addresses on interfaces of these VMs.
	VirtualMachineIDs []int64
	// Addresses matches the host part ("10.0.0.1" matches "10.0.0.1/24").
	Addresses []string
	// Family is 4 or 6; 0 does not filter.
	Family int
	// LastUpdatedGTE keeps addresses changed at or after this time; with it
	// an incremental poll catches address edits that do not touch the device.
	LastUpdatedGTE time.Time
}

func (f IPFilter) values() (url.Values, error) {
	q := url.Values{}
	ints := []struct {
		param  string
		values []int64
	}{
		{"id", f.IDs},
		{"device_id", f.DeviceIDs},
		{"virtual_machine_id", f.VirtualMachineIDs},
	}
	for _, l := range ints {
		for _, id := range l.values {
			if id <= 0 {
				return nil, &FilterError{Filter: l.param, Value: strconv.FormatInt(id, 10), Message: "ids are positive integers"}
			}
			q.Add(l.param, strconv.FormatInt(id, 10))
		}
	}
	for _, a := range f.Addresses {
		if strings.TrimSpace(a) == "" {
			return nil, &FilterError{Filter: "address", Value: a, Message: "empty value"}
		}
		q.Add("address", a)
	}
	switch f.Family {
	case 0:
	case 4, 6:
		q.Set("family", strconv.Itoa(f.Family))
	default:
		return nil, &FilterError{Filter: "family", Value: strconv.Itoa(f.Family), Message: "family is 4 or 6"}
	}
	if !f.LastUpdatedGTE.IsZero() {
		q.Set("last_updated__gte", formatTime(f.LastUpdatedGTE))
	}
	return q, nil
}

// formatTime renders a filter time the way Django's parse_datetime reads it,
// in UTC so no "+" needs escaping.
func formatTime(t time.Time) string {
	return t.UTC().Format("2006-01-02T15:04:05.999999Z")
}

// opError prefixes err with the operation that failed.
func opError(op string, err error) error {
	return fmt.Errorf("%s: %w", op, err)
}
