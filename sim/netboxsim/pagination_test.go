package netboxsim_test

import (
	"net/url"
	"slices"
	"strconv"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/wugsync/wugsync/sim/netboxsim"
)

func TestLimitOffsetMaths(t *testing.T) {
	t.Parallel()
	b := setup(t, netboxsim.Options{Devices: 120})
	base := b.srv.URL + "/api/dcim/devices/"
	cases := []struct {
		name        string
		query       string
		results     int
		next, prev  any
		firstOffset int
	}{
		{"default limit is 50", "", 50, base + "?limit=50&offset=50", nil, 0},
		{"limit=0 means max page size", "?limit=0", 120, nil, nil, 0},
		{"limit above max is capped", "?limit=5000", 120, nil, nil, 0},
		{"non-integer limit falls back", "?limit=abc", 50, base + "?limit=50&offset=50", nil, 0},
		{"negative limit falls back", "?limit=-5", 50, base + "?limit=50&offset=50", nil, 0},
		{"negative offset is zero", "?limit=10&offset=-3", 10, base + "?limit=10&offset=10", nil, 0},
		{"offset beyond count is empty", "?offset=500", 0, nil, base + "?limit=50&offset=450", 500},
		{"previous keeps offset", "?limit=50&offset=60", 50, base + "?limit=50&offset=110", base + "?limit=50&offset=10", 60},
		{"previous drops offset at start", "?limit=50&offset=30", 50, base + "?limit=50&offset=80", base + "?limit=50", 30},
		{"last page has no next", "?limit=50&offset=100", 20, nil, base + "?limit=50&offset=50", 100},
		{"keys sorted, repeats kept", "?status=active&status=offline&limit=5&brief=1",
			5, nil, nil, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			a := b.get(t, "/api/dcim/devices/"+tc.query)
			require.Equal(t, 200, a.status, string(a.raw))
			require.Len(t, a.ids(t), tc.results)
			if tc.name == "keys sorted, repeats kept" {
				require.Equal(t, base+"?brief=1&limit=5&offset=5&status=active&status=offline", a.body["next"])
				return
			}
			require.Equal(t, 120, a.count())
			require.Equal(t, tc.next, a.body["next"])
			require.Equal(t, tc.prev, a.body["previous"])
		})
	}
}

func TestMaxPageSizeOption(t *testing.T) {
	t.Parallel()
	b := setup(t, netboxsim.Options{Devices: 80, MaxPageSize: 30, PaginateCount: 10})
	require.Len(t, b.get(t, "/api/dcim/devices/?limit=1000").ids(t), 30)
	require.Len(t, b.get(t, "/api/dcim/devices/").ids(t), 10)
}

func TestLinksFollowProxyHeaders(t *testing.T) {
	t.Parallel()
	b := setup(t, netboxsim.Options{Devices: 60})
	a := b.do(t, "GET", "/api/dcim/devices/", nil, map[string]string{
		"X-Forwarded-Host": "netbox.example.com", "X-Forwarded-Proto": "https",
	})
	require.Equal(t, "https://netbox.example.com/api/dcim/devices/?limit=50&offset=50", a.body["next"])
	first := a.body["results"].([]any)[0].(map[string]any)
	require.Regexp(t, `^https://netbox\.example\.com/api/dcim/devices/\d+/$`, first["url"])
}

// TestPagingBothMethods walks 2,500 devices by following next links and by
// keyset; each device must appear exactly once either way.
func TestPagingBothMethods(t *testing.T) {
	t.Parallel()
	b := setup(t, netboxsim.Options{Devices: 2500, Seed: 4})
	var want []int
	for _, d := range b.sim.Devices() {
		want = append(want, d.ID)
	}

	var offsetIDs []int
	path := "/api/dcim/devices/?limit=1000&exclude=config_context"
	for pages := 0; path != ""; pages++ {
		require.Less(t, pages, 10)
		a := b.get(t, path)
		require.Equal(t, 2500, a.count())
		offsetIDs = append(offsetIDs, a.ids(t)...)
		path = ""
		if next, ok := a.body["next"].(string); ok {
			u, err := url.Parse(next)
			require.NoError(t, err)
			path = u.RequestURI()
		}
	}

	var keysetIDs []int
	cursor := 0
	for pages := 0; ; pages++ {
		require.Less(t, pages, 10)
		a := b.get(t, "/api/dcim/devices/?ordering=id&limit=1000&exclude=config_context&id__gte="+strconv.Itoa(cursor))
		ids := a.ids(t)
		keysetIDs = append(keysetIDs, ids...)
		if a.body["next"] == nil {
			break
		}
		require.True(t, slices.IsSorted(ids))
		cursor = ids[len(ids)-1] + 1
	}

	for name, got := range map[string][]int{"offset": offsetIDs, "keyset": keysetIDs} {
		require.Len(t, got, 2500, name)
		sorted := slices.Clone(got)
		slices.Sort(sorted)
		require.Equal(t, want, slices.Compact(sorted), name)
	}
}

func TestDefaultOrderingIsNaturalNameNullsLast(t *testing.T) {
	t.Parallel()
	b := setup(t, netboxsim.Options{Devices: 300, Seed: 8})
	a := b.get(t, "/api/dcim/devices/?limit=0&fields=id,name")
	var names []string
	sawNull := false
	for _, r := range a.body["results"].([]any) {
		name, ok := r.(map[string]any)["name"].(string)
		if !ok {
			sawNull = true
			continue
		}
		require.False(t, sawNull, "named device %s after an unnamed one", name)
		names = append(names, name)
	}
	require.True(t, sawNull)
	idx := func(s string) int { return slices.Index(names, s) }
	require.NotEqual(t, -1, idx("nyc1-acc-sw02"))
	require.NotEqual(t, -1, idx("nyc1-acc-sw10"))
	require.Less(t, idx("nyc1-acc-sw02"), idx("nyc1-acc-sw10"), "digits compare by value")

	ordered := b.get(t, "/api/dcim/devices/?ordering=bogus,-id&limit=3").ids(t)
	require.Equal(t, []int{300, 299, 298}, ordered, "unknown ordering fields are dropped")
}
