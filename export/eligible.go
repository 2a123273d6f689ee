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
// The primary address is not a filter: PrimaryAddress judges it, so that a
// device with a bad address is recorded as skipped rather than ignored.
//
// From NetBox 4.3 the role filter also matches child roles; a device whose
// role is a child of a listed role fails this local check. List the child
// roles too when filtering on a role tree.
func Eligible(d netbox.Device, f DeviceFilters) (bool, string) {
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
				desc += " (id " + strconv.Itoa(r.ref.ID) + ")"
			}
			return false, fmt.Sprintf("%s %s not in %s", r.filter, desc, r.want.Display())
		}
	}
	if missing := missingTags(d, f.Tags); len(missing) > 0 {
		return false, fmt.Sprintf("tags %s missing (the device must carry all of %s)", missing.Display(), f.Tags.Display())
	}
	return true, ""
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
func missingTags(d netbox.Device, required FilterValues) FilterValues {
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
		return "id " + strconv.Itoa(r.ID) + " (slug unknown)"
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
