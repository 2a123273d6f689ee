package wugsim

import (
	"fmt"
	"math/rand/v2"
	"sort"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestSearchIndexAgreesWithAFullScan checks the n-gram index against the plain substring
// predicate on random inventories, renames and deletions included.
func TestSearchIndexAgreesWithAFullScan(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(1, 2))
	st := newState()
	for i := range 500 {
		d := &device{name: fmt.Sprintf("sw-%d-%c", rng.IntN(50), 'a'+rune(rng.IntN(26))), hostName: fmt.Sprintf("h%d.Example.net", rng.IntN(80)), groups: map[int]bool{}}
		d.interfaces = []*netInterface{{address: fmt.Sprintf("10.%d.%d.%d", rng.IntN(3), rng.IntN(5), rng.IntN(120)), isDefault: true}}
		st.insertDevice(d)
		if i%7 == 0 {
			d.name = fmt.Sprintf("renamed-%d", i)
			st.reindex(d)
		}
		if i%11 == 0 {
			st.deleteDevice(d.id)
		}
	}
	queries := []string{"10.1.2.1", "10.0.0.10", "sw-1", "SW-4", "example.NET", "h7", "renamed-1", "0.1", "nothing-like-this", ".2.1"}
	for _, q := range queries {
		var want []int
		for _, id := range st.sortedDeviceIDs() {
			if matchesSearch(q, st.devices[id].searchText()) {
				want = append(want, id)
			}
		}
		got := []int{}
		for _, id := range st.searchDevices(q) {
			if st.devices[id] != nil {
				got = append(got, id)
			}
		}
		require.True(t, sort.IntsAreSorted(got), q)
		if want == nil {
			want = []int{}
		}
		require.Equal(t, want, got, "query %q", q)
	}
}

func TestFiresSpreadsFaultsEvenly(t *testing.T) {
	t.Parallel()
	for _, rate := range []float64{0, 0.1, 0.25, 1.0 / 3, 0.5, 0.9, 1} {
		n := 0
		for i := 1; i <= 300; i++ {
			if fires(i, rate) {
				n++
			}
		}
		require.Equal(t, int(300*rate+1e-9), n, "rate %v", rate)
	}
}

func TestRouterPrefersLiteralSegments(t *testing.T) {
	t.Parallel()
	rr := &router{}
	rr.add("GET", "/a/{id}/x", nil)
	rr.add("GET", "/a/-/x", nil)
	rr.add("PATCH", "/a/-/y", nil)
	rt, params, _ := rr.match("GET", "/a/-/x")
	require.Equal(t, "/a/-/x", rt.pattern)
	require.Empty(t, params)
	rt, params, _ = rr.match("GET", "/a/7/x")
	require.Equal(t, "/a/{id}/x", rt.pattern)
	require.Equal(t, map[string]string{"id": "7"}, params)
	rt, _, allowed := rr.match("GET", "/a/-/y")
	require.Nil(t, rt)
	require.Equal(t, []string{"PATCH"}, allowed)
	rt, _, allowed = rr.match("GET", "/a//x")
	require.Nil(t, rt, "empty segments match nothing")
	require.Nil(t, allowed)
}
