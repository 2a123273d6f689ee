package export

import (
	"github.com/wugsync/wugsync/netbox"
)

// NetBoxQuery is the NetBox device query that selects what the filters f
// select: statuses (default active), and for sites, roles, tags, platforms
// and tenants the slugs as site=, role=… and the ids as site_id=, role_id=….
// NetBox ANDs site= with site_id= (two filters), so a list should hold ids
// or slugs, not both (the API refuses a mix, tags aside: NetBox ANDs tags
// anyway). Eligible applies the same rules on its side.
//
// It is the one translation of filters into a NetBox query: the export's
// planner and `wugsync doctor` both use it, so doctor checks exactly the
// query an export sends.
func NetBoxQuery(f DeviceFilters) netbox.DeviceFilter {
	return netbox.DeviceFilter{
		Statuses:    f.EffectiveStatuses(),
		Sites:       f.Sites.Slugs(),
		SiteIDs:     f.Sites.IDs(),
		Roles:       f.Roles.Slugs(),
		RoleIDs:     f.Roles.IDs(),
		Tags:        f.Tags.Slugs(),
		TagIDs:      f.Tags.IDs(),
		Platforms:   f.Platforms.Slugs(),
		PlatformIDs: f.Platforms.IDs(),
		Tenants:     f.Tenants.Slugs(),
		TenantIDs:   f.Tenants.IDs(),
	}
}
