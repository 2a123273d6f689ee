package export

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/wugsync/wugsync/netbox"
)

func TestNetBoxQuery(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		filters string // as the API receives them
		want    netbox.DeviceFilter
	}{
		{name: "no filters: active devices", filters: `{}`, want: netbox.DeviceFilter{Statuses: []string{"active"}}},
		{name: "the seed's example: site ids", filters: `{"sites": [1, 2]}`,
			want: netbox.DeviceFilter{Statuses: []string{"active"}, SiteIDs: []int64{1, 2}}},
		{name: "the seed's device_roles ids", filters: `{"sites": [1, 2], "roles": [3]}`,
			want: netbox.DeviceFilter{Statuses: []string{"active"}, SiteIDs: []int64{1, 2}, RoleIDs: []int64{3}}},
		{name: "slugs everywhere", filters: `{"sites": ["fra1"], "roles": ["core-switch"], "tags": ["monitored"],
			"statuses": ["active", "custom:retired"], "platforms": ["ios"], "tenants": ["acme"]}`,
			want: netbox.DeviceFilter{Statuses: []string{"active", "retired"}, Sites: []string{"fra1"}, Roles: []string{"core-switch"},
				Tags: []string{"monitored"}, Platforms: []string{"ios"}, Tenants: []string{"acme"}}},
		{name: "ids everywhere", filters: `{"sites": [1], "roles": [2], "tags": [3], "platforms": [4], "tenants": [5]}`,
			want: netbox.DeviceFilter{Statuses: []string{"active"}, SiteIDs: []int64{1}, RoleIDs: []int64{2}, TagIDs: []int64{3},
				PlatformIDs: []int64{4}, TenantIDs: []int64{5}}},
		{name: "tags may mix: all are required", filters: `{"tags": [3, "prod"]}`,
			want: netbox.DeviceFilter{Statuses: []string{"active"}, Tags: []string{"prod"}, TagIDs: []int64{3}}},
		{name: "a slug of digits stays a slug", filters: `{"sites": ["42"]}`,
			want: netbox.DeviceFilter{Statuses: []string{"active"}, Sites: []string{"42"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var f DeviceFilters
			require.NoError(t, json.Unmarshal([]byte(tt.filters), &f))
			require.Equal(t, tt.want, NetBoxQuery(f))
		})
	}
}
