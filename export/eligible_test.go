package export

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/wugsync/wugsync/netbox"
)

func TestEligible(t *testing.T) {
	t.Parallel()

	// The realistic device: status active, site fra1, role core-switch,
	// platform cisco-ios-xe, tenant acme, tag monitored.
	withTags := func(slugs ...string) func(d *netbox.Device) {
		return func(d *netbox.Device) {
			d.Tags = nil
			for _, s := range slugs {
				d.Tags = append(d.Tags, netbox.Tag{Name: s, Slug: s})
			}
		}
	}
	tests := []struct {
		name    string
		edit    func(d *netbox.Device)
		filters DeviceFilters
		reason  string // "" means eligible
	}{
		{name: "no filters: active is the default status", filters: DeviceFilters{}},
		{name: "default status excludes planned", edit: func(d *netbox.Device) { d.Status = netbox.Choice{Value: "planned", Label: "Planned"} },
			reason: `status "planned" not in [active]`},
		{name: "listed statuses are ORed", edit: func(d *netbox.Device) { d.Status = netbox.Choice{Value: "staged"} },
			filters: DeviceFilters{Statuses: []string{"active", "staged"}}},
		{name: "status outside explicit list", filters: DeviceFilters{Statuses: []string{"offline"}},
			reason: `status "active" not in [offline]`},
		{name: "site matches by slug", filters: DeviceFilters{Sites: []string{"ber1", "fra1"}}},
		{name: "site name is not a slug", filters: DeviceFilters{Sites: []string{"FRA1 Frankfurt"}},
			reason: `site "fra1" not in [FRA1 Frankfurt]`},
		{name: "site differs", filters: DeviceFilters{Sites: []string{"ber1"}}, reason: `site "fra1" not in [ber1]`},
		{name: "site known only by id", edit: func(d *netbox.Device) { d.Site = netbox.Ref{ID: 1} },
			filters: DeviceFilters{Sites: []string{"fra1"}}, reason: `site id 1 (slug unknown) not in [fra1]`},
		{name: "role matches", filters: DeviceFilters{Roles: []string{"core-switch"}}},
		{name: "role empty", edit: func(d *netbox.Device) { d.Role = netbox.Ref{} },
			filters: DeviceFilters{Roles: []string{"router"}}, reason: `role none not in [router]`},
		{name: "role differs", filters: DeviceFilters{Roles: []string{"router"}}, reason: `role "core-switch" not in [router]`},
		{name: "platform matches", filters: DeviceFilters{Platforms: []string{"cisco-ios-xe"}}},
		{name: "platform missing", edit: func(d *netbox.Device) { d.Platform = nil },
			filters: DeviceFilters{Platforms: []string{"cisco-ios-xe"}}, reason: `platform none not in [cisco-ios-xe]`},
		{name: "tenant matches case-insensitively", filters: DeviceFilters{Tenants: []string{"ACME"}}},
		{name: "tenant missing", edit: func(d *netbox.Device) { d.Tenant = nil },
			filters: DeviceFilters{Tenants: []string{"acme"}}, reason: `tenant none not in [acme]`},
		{name: "one required tag present", filters: DeviceFilters{Tags: []string{"monitored"}}},
		{name: "all required tags present", edit: withTags("monitored", "prod", "extra"),
			filters: DeviceFilters{Tags: []string{"monitored", "prod"}}},
		{name: "tags are ANDed, not ORed", edit: withTags("monitored"),
			filters: DeviceFilters{Tags: []string{"monitored", "prod"}},
			reason:  `tags [prod] missing (the device must carry all of [monitored prod])`},
		{name: "no tags at all", edit: withTags(), filters: DeviceFilters{Tags: []string{"monitored"}},
			reason: `tags [monitored] missing (the device must carry all of [monitored])`},
		{name: "site by NetBox id", filters: DeviceFilters{Sites: FilterValues{FilterID(1)}}},
		{name: "site id differs", filters: DeviceFilters{Sites: FilterValues{FilterID(2), FilterID(9)}},
			reason: `site "fra1" (id 1) not in [id=2 id=9]`},
		{name: "role by NetBox id, as the seed's device_roles: [3]", filters: DeviceFilters{Roles: FilterValues{FilterID(2)}}},
		{name: "role id differs", filters: DeviceFilters{Roles: FilterValues{FilterID(3)}},
			reason: `role "core-switch" (id 2) not in [id=3]`},
		{name: "platform and tenant by id", filters: DeviceFilters{
			Platforms: FilterValues{FilterID(4)}, Tenants: FilterValues{FilterID(5)}}},
		{name: "tenant id on a device without tenant", edit: func(d *netbox.Device) { d.Tenant = nil },
			filters: DeviceFilters{Tenants: FilterValues{FilterID(5)}}, reason: `tenant none not in [id=5]`},
		{name: "tag by id", filters: DeviceFilters{Tags: FilterValues{FilterID(3)}}},
		{name: "tag ids and slugs are all required", filters: DeviceFilters{Tags: FilterValues{FilterID(3), FilterID(8), "prod"}},
			reason: `tags [id=8 prod] missing (the device must carry all of [id=3 id=8 prod])`},
		{name: "status is checked before other filters", edit: func(d *netbox.Device) { d.Status = netbox.Choice{Value: "offline"} },
			filters: DeviceFilters{Sites: []string{"ber1"}}, reason: `status "offline" not in [active]`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			d := realisticDevice(t)
			if tt.edit != nil {
				tt.edit(&d)
			}
			ok, reason := Eligible(d, tt.filters)
			require.Equal(t, tt.reason, reason)
			require.Equal(t, tt.reason == "", ok)
		})
	}
}
