package export

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/require"

	"github.com/wugsync/wugsync/netbox"
	"github.com/wugsync/wugsync/wug"
)

func TestGroupPathPlaceholders(t *testing.T) {
	t.Parallel()

	site := SiteInfo{Region: "Europe"}
	tests := []struct {
		template string
		want     []string
	}{
		{"{site}", []string{"FRA1 Frankfurt"}},
		{"{region}", []string{"Europe"}},
		{"{tenant}", []string{"Acme Corp"}},
		{"{role}", []string{"Core Switch"}},
		{"{platform}", []string{"Cisco IOS-XE"}},
		{"{location}", []string{"Hall A"}},
		{"{status}", []string{"Active"}},
		{"{manufacturer}", []string{"Cisco"}},
		{"{region}/{site}", []string{"Europe", "FRA1 Frankfurt"}},
		{"{tenant}/{site}/{role}", []string{"Acme Corp", "FRA1 Frankfurt", "Core Switch"}},
		{"Datacenters/{site} - {role}", []string{"Datacenters", "FRA1 Frankfurt - Core Switch"}},
		{"My Network/{site}", []string{"FRA1 Frankfurt"}},
		{"{ Site }", []string{"FRA1 Frankfurt"}},
	}
	for _, tt := range tests {
		t.Run(tt.template, func(t *testing.T) {
			t.Parallel()
			got, err := GroupPath(tt.template, realisticDevice(t), site)
			require.NoError(t, err)
			require.Equal(t, tt.want, got)
		})
	}
}

func TestGroupPathStandInsForMissingValues(t *testing.T) {
	t.Parallel()

	d := deviceWith(t, func(d *netbox.Device) {
		d.Tenant, d.Platform, d.Location = nil, nil, nil
		d.Role = netbox.Ref{}
		d.Status = netbox.Choice{}
		d.DeviceType.Manufacturer = netbox.Ref{}
		d.Site = netbox.Ref{Name: "   "}
	})
	got, err := GroupPath("{region}/{tenant}/{site}/{role}/{platform}/{location}/{status}/{manufacturer}", d, SiteInfo{})
	require.NoError(t, err)
	require.Equal(t, []string{"No Region", "No Tenant", "No Site", "No Role", "No Platform", "No Location", "No Status", "No Manufacturer"}, got)
}

func TestGroupPathStatusFallsBackToValue(t *testing.T) {
	t.Parallel()

	d := deviceWith(t, func(d *netbox.Device) { d.Status = netbox.Choice{Value: "burn-in"} })
	got, err := GroupPath("{status}", d, SiteInfo{})
	require.NoError(t, err)
	require.Equal(t, []string{"burn-in"}, got)
}

func TestGroupPathCleansValues(t *testing.T) {
	t.Parallel()

	tests := []struct {
		name, site string
		want       string
	}{
		{"slash does not add a level", "DC 1/2", "DC 1-2"},
		{"whitespace collapsed and trimmed", "  Main \t  Campus\n", "Main Campus"},
		{"non-ascii kept", "Zürich Ост 東京", "Zürich Ост 東京"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			d := deviceWith(t, func(d *netbox.Device) { d.Site.Name = tt.site })
			got, err := GroupPath("{region}/{site}", d, SiteInfo{Region: "EU/West"})
			require.NoError(t, err)
			require.Equal(t, []string{"EU-West", tt.want}, got)
		})
	}
}

func TestGroupPathCapsLevelLength(t *testing.T) {
	t.Parallel()

	d := deviceWith(t, func(d *netbox.Device) { d.Site.Name = strings.Repeat("ß", 300) })
	got, err := GroupPath("{site}", d, SiteInfo{})
	require.NoError(t, err)
	require.Len(t, got, 1)
	require.Equal(t, 100, utf8.RuneCountInString(got[0]))
	require.True(t, utf8.ValidString(got[0]))
}

func TestGroupPathRefusesIDOnlyObjects(t *testing.T) {
	t.Parallel()

	d := deviceWith(t, func(d *netbox.Device) { d.Site = netbox.Ref{ID: 1} })
	_, err := GroupPath("{site}", d, SiteInfo{})
	require.ErrorContains(t, err, "site 1 is known only by id")
}

func TestValidateGroupTemplate(t *testing.T) {
	t.Parallel()

	tests := []struct {
		template string
		level    int
		problem  string // "" means valid
	}{
		{"{site}", 0, ""},
		{"{region}/{site}", 0, ""},
		{"NetBox/{tenant}/{site}/{role}", 0, ""},
		{"{sitee}", 1, `unknown placeholder "{sitee}"`},
		{"{region}/{rack}", 2, `unknown placeholder "{rack}"`},
		{"", 0, "is empty"},
		{"   ", 0, "is empty"},
		{"{region}//{site}", 2, "is empty"},
		{"/{site}", 1, "is empty"},
		{"{site}/", 2, "is empty"},
		{"{site}/ ", 2, "is empty"},
		{"{site", 1, `without a closing "}"`},
		{"site}", 1, `"}" without a "{"`},
		{"{si{te}", 1, "inside a placeholder"},
		{"{site}}", 1, `"}" without a "{"`},
		{"}{site}", 1, `"}" without a "{"`},
		{"My Network", 0, "add at least one level"},
		// The limits are inclusive: MaxGroupDepth levels and
		// maxGroupTemplateLength characters are accepted, one more is not.
		{strings.Repeat("{site}/", MaxGroupDepth-1) + "{site}", 0, ""},
		{"My Network/" + strings.Repeat("{site}/", MaxGroupDepth-1) + "{site}", 0, ""},
		{strings.Repeat("{site}/", MaxGroupDepth) + "{site}", 0, "has 9 levels; at most 8"},
		{"{site}" + strings.Repeat("x", maxGroupTemplateLength-6), 0, ""},
		{"{site}" + strings.Repeat("x", maxGroupTemplateLength-5), 0, "is longer than 500 characters"},
	}
	for _, tt := range tests {
		t.Run(tt.template, func(t *testing.T) {
			t.Parallel()
			err := ValidateGroupTemplate(tt.template)
			if tt.problem == "" {
				require.NoError(t, err)
				return
			}
			var gte *GroupTemplateError
			require.ErrorAs(t, err, &gte)
			require.Equal(t, tt.level, gte.Level)
			require.Contains(t, gte.Problem, tt.problem)
			require.Contains(t, err.Error(), tt.template)

			apiLimit := strings.Contains(gte.Problem, "at most") || strings.Contains(gte.Problem, "longer than")
			_, err = GroupPath(tt.template, realisticDevice(t), SiteInfo{})
			if apiLimit {
				require.NoError(t, err, "a stored template is parsed without the API's limits, so an upgrade does not stop an export")
				return
			}
			require.ErrorAs(t, err, &gte, "GroupPath must refuse what ValidateGroupTemplate refuses")
		})
	}
}

func TestWUGGroup(t *testing.T) {
	t.Parallel()

	require.Equal(t, wug.GroupRef{Name: "FRA1", Parents: []string{"My Network"}}, WUGGroup([]string{"FRA1"}))
	require.Equal(t, wug.GroupRef{Name: "FRA1", Parents: []string{"My Network", "Europe"}}, WUGGroup([]string{"Europe", "FRA1"}))
	require.Equal(t, wug.GroupRef{Name: "Core", Parents: []string{"My Network", "Acme", "FRA1"}}, WUGGroup([]string{"Acme", "FRA1", "Core"}))
	require.Equal(t, wug.GroupRef{Name: "My Network"}, WUGGroup(nil))
}

func TestGroupTemplateNeedsRegion(t *testing.T) {
	t.Parallel()
	for template, want := range map[string]bool{
		"{site}":                    false,
		"{region}/{site}":           true,
		"{ Region }/{site}":         true,
		"Regions/{tenant} {region}": true,
		"region/{site}":             false,
	} {
		gt, err := ParseGroupTemplate(template)
		require.NoError(t, err, template)
		require.Equal(t, want, gt.NeedsRegion(), template)
	}
}
