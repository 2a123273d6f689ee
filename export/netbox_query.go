package export

import (
	"slices"
	"strings"

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
		ClusterIDs:  f.Clusters.IDs(),
		// Cluster names: NetBox filters VMs by name but devices by id
		// only, so a caller listing devices resolves them to ids first
		// (ResolveClusters). exclude_tags is not sent: Eligible applies
		// it, so an excluded object is explained rather than unseen.
		Clusters: f.Clusters.Slugs(),
	}
}

// ResolveClusters turns the cluster names of q (NetBoxQuery's Clusters)
// into cluster ids, from NetBox's cluster list, so the same query selects
// devices (which NetBox filters by cluster id only) and VMs alike. Names
// match case-insensitively, as Eligible matches them. A name no cluster
// has is a *netbox.FilterError (netbox.ErrConfig): the filter must be
// fixed, and selecting nothing instead would decommission every object.
func ResolveClusters(q netbox.DeviceFilter, clusters []netbox.Cluster) (netbox.DeviceFilter, error) {
	if len(q.Clusters) == 0 {
		return q, nil
	}
	ids := slices.Clone(q.ClusterIDs)
	for _, name := range q.Clusters {
		found := false
		for _, c := range clusters {
			if strings.EqualFold(strings.TrimSpace(c.Name), strings.TrimSpace(name)) {
				ids = append(ids, c.ID)
				found = true
			}
		}
		if !found {
			return q, &netbox.FilterError{Filter: "clusters", Value: name, Message: "NetBox has no cluster of this name"}
		}
	}
	q.ClusterIDs, q.Clusters = ids, nil
	return q, nil
}
