package export

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/wugsync/wugsync/models"
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
		filters models.DeviceFilters
		reason  string // "" means eligible
	}{
		{name: "no filters: active is the default status", filters: models.DeviceFilters{}},
		{name: "default status excludes planned", edit: func(d *netbox.Device) { d.Status = netbox.Choice{Value: "planned", Label: "Planned"} },
			reason: `status "planned" not in [active]`},
		{name: "listed statuses are ORed", edit: func(d *netbox.Device) { d.Status = netbox.Choice{Value: "staged"} },
			filters: models.DeviceFilters{Statuses: []string{"active", "staged"}}},
		{name: "status outside explicit list", filters: models.DeviceFilters{Statuses: []string{"offline"}},
			reason: `status "active" not in [offline]`},
		{name: "site matches by slug", filters: models.DeviceFilters{Sites: []string{"ber1", "fra1"}}},
		{name: "site name is not a slug", filters: models.DeviceFilters{Sites: []string{"FRA1 Frankfurt"}},
			reason: `site "fra1" not in [FRA1 Frankfurt]`},
		{name: "site differs", filters: models.DeviceFilters{Sites: []string{"ber1"}}, reason: `site "fra1" not in [ber1]`},
		{name: "site known only by id", edit: func(d *netbox.Device) { d.Site = netbox.Ref{ID: 1} },
			filters: models.DeviceFilters{Sites: []string{"fra1"}}, reason: `site id 1 (slug unknown) not in [fra1]`},
		{name: "role matches", filters: models.DeviceFilters{Roles: []string{"core-switch"}}},
		{name: "role differs", filters: models.DeviceFilters{Roles: []string{"router"}}, reason: `role "core-switch" not in [router]`},
		{name: "platform matches", filters: models.DeviceFilters{Platforms: []string{"cisco-ios-xe"}}},
		{name: "platform missing", edit: func(d *netbox.Device) { d.Platform = nil },
			filters: models.DeviceFilters{Platforms: []string{"cisco-ios-xe"}}, reason: `platform none not in [cisco-ios-xe]`},
		{name: "tenant matches case-insensitively", filters: models.DeviceFilters{Tenants: []string{"ACME"}}},
		{name: "tenant missing", edit: func(d *netbox.Device) { d.Tenant = nil },
			filters: models.DeviceFilters{Tenants: []string{"acme"}}, reason: `tenant none not in [acme]`},
		{name: "one required tag present", filters: models.DeviceFilters{Tags: []string{"monitored"}}},
		{name: "all required tags present", edit: withTags("monitored", "prod", "extra"),
			filters: models.DeviceFilters{Tags: []string{"monitored", "prod"}}},
		{name: "tags are ANDed, not ORed", edit: withTags("monitored"),
			filters: models.DeviceFilters{Tags: []string{"monitored", "prod"}},
			reason:  `tags [prod] missing (the device must carry all of [monitored prod])`},
		{name: "no tags at all", edit: withTags(), filters: models.DeviceFilters{Tags: []string{"monitored"}},
			reason: `tags [monitored] missing (the device must carry all of [monitored])`},
		{name: "site by NetBox id", filters: models.DeviceFilters{Sites: models.FilterValues{models.FilterID(1)}}},
		{name: "site id differs", filters: models.DeviceFilters{Sites: models.FilterValues{models.FilterID(2), models.FilterID(9)}},
			reason: `site "fra1" (id 1) not in [id=2 id=9]`},
		{name: "role by NetBox id, as the seed's device_roles: [3]", filters: models.DeviceFilters{Roles: models.FilterValues{models.FilterID(2)}}},
		{name: "role id differs", filters: models.DeviceFilters{Roles: models.FilterValues{models.FilterID(3)}},
			reason: `role "core-switch" (id 2) not in [id=3]`},
		{name: "platform and tenant by id", filters: models.DeviceFilters{
			Platforms: models.FilterValues{models.FilterID(4)}, Tenants: models.FilterValues{models.FilterID(5)}}},
		{name: "tenant id on a device without tenant", edit: func(d *netbox.Device) { d.Tenant = nil },
			filters: models.DeviceFilters{Tenants: models.FilterValues{models.FilterID(5)}}, reason: `tenant none not in [id=5]`},
		{name: "tag by id", filters: models.DeviceFilters{Tags: models.FilterValues{models.FilterID(3)}}},
		{name: "tag ids and slugs are all required", filters: models.DeviceFilters{Tags: models.FilterValues{models.FilterID(3), models.FilterID(8), "prod"}},
			reason: `tags [id=8 prod] missing (the device must carry all of [id=3 id=8 prod])`},
		{name: "status is checked before other filters", edit: func(d *netbox.Device) { d.Status = netbox.Choice{Value: "offline"} },
			filters: models.DeviceFilters{Sites: []string{"ber1"}}, reason: `status "offline" not in [active]`},
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
