package netbox_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wugsync/wugsync/netbox"
	"github.com/wugsync/wugsync/sim/netboxsim"
)

// primariesBundle is a simulated NetBox of 500 devices, read through
// pages of 100 so that the primaries listing takes five pages, behind a
// hook that runs before each offset page is served.
type primariesBundle struct {
	sim    *netboxsim.Server
	client *netbox.Client
	// beforeOffset, when set, runs before an offset page is served.
	beforeOffset func(r *http.Request)
}

func setupPrimaries(t *testing.T) *primariesBundle {
	t.Helper()
	sim, err := netboxsim.New(netboxsim.Options{Devices: 500, Seed: 11})
	require.NoError(t, err)
	t.Cleanup(sim.Close)
	b := &primariesBundle{sim: sim}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("offset") != "" && b.beforeOffset != nil {
			b.beforeOffset(r)
		}
		sim.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	b.client, err = netbox.New(netbox.Config{URL: srv.URL, Token: netboxsim.DefaultToken, PageSize: 100,
		RetryBackoff: time.Millisecond, Timeout: 30 * time.Second})
	require.NoError(t, err)
	return b
}

// activeWithPrimary is what DevicePrimaries(["active"]) must list.
func activeWithPrimary(sim *netboxsim.Server) []int64 {
	return simDeviceIDs(sim, func(d netboxsim.Device) bool {
		return d.Status == "active" && (d.PrimaryIP4ID != 0 || d.PrimaryIP6ID != 0)
	})
}

// listedIDs reads DevicePrimaries(["active"]) and checks it comes in
// strictly increasing id order, so each device once.
func (b *primariesBundle) listedIDs(t *testing.T) []int64 {
	t.Helper()
	ids := deviceIDs(collect(t, b.client.DevicePrimaries(context.Background(), []string{"active"})))
	require.True(t, slices.IsSorted(ids), "in id order")
	require.Equal(t, len(ids), len(slices.Compact(slices.Clone(ids))), "each device once")
	return ids
}

// offsetsAndRanges splits the requests into the offsets of offset pages
// and the id ranges ("gte-lt") of keyset re-reads.
func offsetsAndRanges(sim *netboxsim.Server) (offsets, ranges []string) {
	for _, r := range sim.Requests()[1:] {
		if off := r.Query.Get("offset"); off != "" {
			offsets = append(offsets, off)
			continue
		}
		ranges = append(ranges, r.Query.Get("id__gte")+"-"+r.Query.Get("id__lt"))
	}
	return offsets, ranges
}

// TestDevicePrimariesReadsPagesConcurrently: after the first page says
// how many devices there are, the other four pages are requested at once
// (each waits at the server until all four have arrived), each starting
// on the last device of the one before, and the listing is exactly the
// set of active devices with a primary address.
func TestDevicePrimariesReadsPagesConcurrently(t *testing.T) {
	t.Parallel()
	b := setupPrimaries(t)
	want := activeWithPrimary(b.sim)
	require.Greater(t, len(want), 400, "five pages of 100")
	require.LessOrEqual(t, len(want), 496)

	var mu sync.Mutex
	arrived, allThere, together := 0, make(chan struct{}), true
	b.beforeOffset = func(r *http.Request) {
		mu.Lock()
		arrived++
		if arrived == 4 {
			close(allThere)
		}
		mu.Unlock()
		select {
		case <-allThere:
		case <-r.Context().Done(): // only if the pages come one at a time: the client gave up
			mu.Lock()
			together = false
			mu.Unlock()
		}
	}
	got := b.listedIDs(t)
	require.True(t, together, "the four pages after the first are in flight together")
	require.Equal(t, want, got)

	offsets, ranges := offsetsAndRanges(b.sim)
	slices.SortFunc(offsets, func(a, b string) int { x, _ := strconv.Atoi(a); y, _ := strconv.Atoi(b); return x - y })
	require.Equal(t, []string{"99", "198", "297", "396"}, offsets, "pages of 100 overlapping by one device")
	require.Empty(t, ranges, "nothing changed, nothing read again")
	first := b.sim.Requests()[0].Query
	require.Empty(t, first.Get("offset"))
	require.Equal(t, "id", first.Get("ordering"))
	require.Equal(t, "true", first.Get("has_primary_ip"))
}

// TestDevicePrimariesSurvivesPagesShiftingLeft: devices of the first page,
// already read, are deleted before the other pages are served, so each
// later page starts five devices further than it would have; the five
// that slid between the first page and the second are read again by id
// range, and none is missed.
func TestDevicePrimariesSurvivesPagesShiftingLeft(t *testing.T) {
	t.Parallel()
	b := setupPrimaries(t)
	want := activeWithPrimary(b.sim)
	var once sync.Once
	b.beforeOffset = func(r *http.Request) {
		once.Do(func() {
			for _, id := range want[10:15] {
				assert.NoError(t, b.sim.DeleteDevice(int(id)))
			}
		})
	}
	require.Equal(t, want, b.listedIDs(t))
	_, ranges := offsetsAndRanges(b.sim)
	require.Len(t, ranges, 1, "the later pages all moved by five: one gap")
	require.Regexp(t, `^\d+-\d+$`, ranges[0], "a bounded id range")
}

// TestDevicePrimariesSurvivesPagesShiftingRight: devices created while the
// pages are read make the last page say there is more: that rest is read
// by keyset, and the listing holds the new devices once.
func TestDevicePrimariesSurvivesPagesShiftingRight(t *testing.T) {
	t.Parallel()
	b := setupPrimaries(t)
	before := activeWithPrimary(b.sim)
	var once sync.Once
	b.beforeOffset = func(r *http.Request) {
		once.Do(func() {
			for i := range 150 {
				d, err := b.sim.CreateDevice(netboxsim.Device{Name: ptr("new-" + strconv.Itoa(i)), Status: "active",
					SiteID: 1, RoleID: 1, DeviceTypeID: 1})
				if assert.NoError(t, err) {
					_, err = b.sim.SetPrimaryIP(d.ID, "10.250."+strconv.Itoa(i/200)+"."+strconv.Itoa(i%200+1)+"/24")
					assert.NoError(t, err)
				}
			}
		})
	}
	got := b.listedIDs(t)
	require.Equal(t, activeWithPrimary(b.sim), got)
	require.Len(t, got, len(before)+150)
	_, ranges := offsetsAndRanges(b.sim)
	require.NotEmpty(t, ranges, "the rest read by keyset")
	require.Regexp(t, `^\d+-$`, ranges[0], "from the last id read, unbounded")
}

// TestDevicePrimariesOnePageWhenItAllFits: a NetBox whose listing fits in
// one page costs one read.
func TestDevicePrimariesOnePageWhenItAllFits(t *testing.T) {
	t.Parallel()
	b := setup(t, netboxsim.Options{Devices: 300, Seed: 11}, nil)
	got := deviceIDs(collect(t, b.client.DevicePrimaries(context.Background(), []string{"active"})))
	require.Equal(t, activeWithPrimary(b.sim), got)
	require.Len(t, b.sim.Requests(), 1)
}

// TestDevicePrimariesStopsWhenConsumerBreaks: breaking out of the listing
// ends it without error or reads left running.
func TestDevicePrimariesStopsWhenConsumerBreaks(t *testing.T) {
	t.Parallel()
	b := setupPrimaries(t)
	n := 0
	for _, err := range b.client.DevicePrimaries(context.Background(), []string{"active"}) {
		require.NoError(t, err)
		n++
		if n == 150 {
			break
		}
	}
	require.Equal(t, 150, n)
}

// TestDevicePrimariesInSequenceReadsOnePageAfterAnother: the floor's
// listing (the bench's plain loop) asks for each page once the one before
// it answered: never two requests in flight, no offset pages, one keyset
// page per 100 devices, and every active
// device with a primary address once, in id order, like DevicePrimaries.
func TestDevicePrimariesInSequenceReadsOnePageAfterAnother(t *testing.T) {
	t.Parallel()
	sim, err := netboxsim.New(netboxsim.Options{Devices: 500, Seed: 11})
	require.NoError(t, err)
	t.Cleanup(sim.Close)
	var mu sync.Mutex
	inFlight, most, requests := 0, 0, 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		inFlight++
		requests++
		most = max(most, inFlight)
		mu.Unlock()
		defer func() { mu.Lock(); inFlight--; mu.Unlock() }()
		sim.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	client, err := netbox.New(netbox.Config{URL: srv.URL, Token: netboxsim.DefaultToken, PageSize: 100,
		RetryBackoff: time.Millisecond, Timeout: 10 * time.Second})
	require.NoError(t, err)

	ids := deviceIDs(collect(t, client.DevicePrimariesInSequence(context.Background(), []string{"active"})))
	want := activeWithPrimary(sim)
	require.Equal(t, want, ids, "every active device with a primary address, once, in id order")
	mu.Lock()
	defer mu.Unlock()
	require.Equal(t, 1, most, "one page after another")
	require.Equal(t, (len(want)+99)/100, requests, "one request a page")
	for _, r := range sim.Requests() {
		require.Empty(t, r.Query.Get("offset"), "keyset pages, no offset windows")
	}
}
