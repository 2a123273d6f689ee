package export

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/wugsync/wugsync/netbox"
)

// Eligible re-checks a device against a connection's filters, the same way
// NetBox's device filter would: status in f.EffectiveStatuses(), site, role,
// platform and tenant by id or slug (values of one filter are ORed), and
// every listed tag present (NetBox ANDs tag filters). An empty list does not
// filter.
//
// The export lists devices with these filters already applied, but webhooks
// and single-device syncs arrive unfiltered, and a device can change between
// listing and export; this keeps both paths to the same rule. When the device
// is not eligible, the reason names the failing filter, e.g.
// `status "planned" not in [active]`.
//
// The primary address is not a filter: primaryIP judges it, so that a
// device with a bad address is recorded as skipped rather than ignored.
//
// From NetBox 4.3 the role filter also matches child roles; a device whose
// role is a child of a listed role fails this local check. List the child
// roles too when filtering on a role tree.
func Eligible(d netbox.Device, f DeviceFilters) (bool, string) {
	return EligibleObject(DeviceObject(d), f)
}

// EligibleObject is Eligible for a device or a virtual machine. It also
// applies the clusters filter (by cluster id or name) and exclude_tags: an
// object carrying any excluded tag is not eligible, whatever else it
// matches.
func EligibleObject(d Object, f DeviceFilters) (bool, string) {
	if statuses := f.EffectiveStatuses(); !containsFold(statuses, d.Status.Value) {
		return false, fmt.Sprintf("status %q not in %v", d.Status.Value, statuses)
	}
	refs := []struct {
		filter string
		ref    *netbox.Ref
		want   FilterValues
	}{
		{"site", &d.Site, f.Sites},
		{"role", &d.Role, f.Roles},
		{"platform", d.Platform, f.Platforms},
		{"tenant", d.Tenant, f.Tenants},
	}
	for _, r := range refs {
		if len(r.want) == 0 {
			continue
		}
		if !refMatches(r.ref, r.want) {
			desc := describeRef(r.ref)
			if r.ref != nil && r.ref.ID != 0 && r.ref.Slug != "" && len(r.want.IDs()) > 0 {
				desc += " (id " + strconv.FormatInt(r.ref.ID, 10) + ")"
			}
			return false, fmt.Sprintf("%s %s not in %s", r.filter, desc, r.want.Display())
		}
	}
	if missing := missingTags(d, f.Tags); len(missing) > 0 {
		return false, fmt.Sprintf("tags %s missing (the %s must carry all of %s)", missing.Display(), d.objectType().Noun(), f.Tags.Display())
	}
	if len(f.Clusters) > 0 && !clusterMatches(d.Cluster, f.Clusters) {
		return false, fmt.Sprintf("cluster %s not in %s", describeCluster(d.Cluster), f.Clusters.Display())
	}
	if excluded := carriedTags(d, f.ExcludeTags); len(excluded) > 0 {
		return false, fmt.Sprintf("tag %s is excluded (exclude_tags %s)", excluded.Display(), f.ExcludeTags.Display())
	}
	return true, ""
}

// clusterMatches reports whether the cluster is one of want, by id or by
// name (clusters have no slug; names are unique in NetBox).
func clusterMatches(c *netbox.Ref, want FilterValues) bool {
	if c == nil {
		return false
	}
	if c.ID != 0 && slices.Contains(want.IDs(), c.ID) {
		return true
	}
	return c.Name != "" && containsFold(want.Slugs(), c.Name)
}

// describeCluster renders a cluster for a reason: its quoted name, else
// its id, else "none".
func describeCluster(c *netbox.Ref) string {
	switch {
	case c == nil || (c.ID == 0 && c.Name == ""):
		return "none"
	case c.Name == "":
		return "id " + strconv.FormatInt(c.ID, 10)
	default:
		return strconv.Quote(c.Name)
	}
}

// carriedTags returns the listed tags (ids and slugs) the object carries.
func carriedTags(d Object, listed FilterValues) FilterValues {
	var out FilterValues
	for _, id := range listed.IDs() {
		if slices.ContainsFunc(d.Tags, func(t netbox.Tag) bool { return t.ID == id }) {
			out = append(out, FilterID(id))
		}
	}
	for _, slug := range listed.Slugs() {
		if slices.ContainsFunc(d.Tags, func(t netbox.Tag) bool { return strings.EqualFold(t.Slug, slug) }) {
			out = append(out, slug)
		}
	}
	return out
}

// refMatches reports whether the related object is one of want, by id or
// by slug.
func refMatches(ref *netbox.Ref, want FilterValues) bool {
	if ref == nil {
		return false
	}
	if ref.ID != 0 && slices.Contains(want.IDs(), ref.ID) {
		return true
	}
	return ref.Slug != "" && containsFold(want.Slugs(), ref.Slug)
}

// missingTags returns the required tags (ids and slugs) the device does
// not carry.
func missingTags(d Object, required FilterValues) FilterValues {
	var missing FilterValues
	for _, id := range required.IDs() {
		if !slices.ContainsFunc(d.Tags, func(t netbox.Tag) bool { return t.ID == id }) {
			missing = append(missing, FilterID(id))
		}
	}
	for _, want := range required.Slugs() {
		if !slices.ContainsFunc(d.Tags, func(t netbox.Tag) bool { return strings.EqualFold(t.Slug, want) }) {
			missing = append(missing, want)
		}
	}
	return missing
}

// describeRef renders a related object for a reason: its quoted slug, its
// id when only the id is known (webhook snapshots), or "none".
func describeRef(r *netbox.Ref) string {
	if r != nil && r.Slug != "" {
		return strconv.Quote(r.Slug)
	}
	if r != nil && r.ID != 0 {
		return "id " + strconv.FormatInt(r.ID, 10) + " (slug unknown)"
	}
	return "none"
}

// containsFold reports whether list holds s, ignoring case: NetBox slugs
// and status values are lower case, people typing filters are not always.
func containsFold(list []string, s string) bool {
	for _, v := range list {
		if strings.EqualFold(strings.TrimSpace(v), s) {
			return true
		}
	}
	return false
}
