package workers_test

import (
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"
	"gorm.io/gorm"

	"github.com/wugsync/wugsync/models"
	"github.com/wugsync/wugsync/netbox"
	"github.com/wugsync/wugsync/sim/netboxsim"
	"github.com/wugsync/wugsync/tasks"
	"github.com/wugsync/wugsync/workers"
)

// readsPageSize is a small NetBox page, so a run over a few hundred
// objects reads many pages and writes many batches.
const readsPageSize = 50

// pages is how many list calls a listing of n objects takes.
func pages(n int) int { return max(1, (n+readsPageSize-1)/readsPageSize) }

// netboxReads counts the GET requests NetBox saw, and the reads of
// objects by id (id=…, what a batch re-reading its devices would send).
func (b *testBundle) netboxReads() (reads, byID int) {
	for _, r := range b.nb.Requests() {
		if r.Method != http.MethodGet {
			continue
		}
		reads++
		if r.Query.Has("id") && (strings.HasSuffix(r.Path, "/dcim/devices/") || strings.HasSuffix(r.Path, "/virtualization/virtual-machines/")) {
			byID++
		}
	}
	return reads, byID
}

// A cold run reads NetBox within 1.5× the floor's reads: every page of
// devices (and of VMs when they are exported) plus one paged listing of
// primary addresses for the conflict check. Its batches, many more than
// the floor's pages, write what the plan mapped and read nothing.
func TestNetBoxReadsPerRunStayWithinTheBound(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		vms  bool
	}{{"devices", false}, {"devices and VMs", true}} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			b := setup(t, bundleOptions{devices: 300,
				conn: func(c *models.WUGConnection) {
					c.BatchSize, c.ExportVirtualMachines = 10, tc.vms
				},
				params: func(p *workers.Params) {
					nb, err := netbox.New(netbox.Config{URL: p.NetBox.Server(), Token: netboxsim.DefaultToken, PageSize: readsPageSize})
					require.NoError(t, err)
					p.NetBox = nb
				}})
			devices, vms := len(b.nb.Devices()), 0
			if tc.vms {
				vms = len(b.nb.VirtualMachines())
				require.Positive(t, vms)
			}
			floor := pages(devices) + pages(devices+vms)
			if tc.vms {
				floor += pages(vms)
			}

			run := b.export(tasks.ExportRequest{})
			require.Equal(t, models.RunCompleted, run.Status, run.ErrorMessage)
			require.Positive(t, run.DevicesCreated)
			require.Greater(t, run.BatchesTotal, floor, "more batches than floor pages: a read per batch would break the bound")
			reads, byID := b.netboxReads()
			require.Zero(t, byID, "a batch reads nothing from NetBox")
			require.LessOrEqual(t, 2*reads, 3*floor, "NetBox reads %d, floor %d", reads, floor)
		})
	}
}

// pageGate holds NetBox's first later page of the device listing (not the
// trimmed listing of primary addresses) until WUG has seen a template call,
// and tells whether one came while it held it.
type pageGate struct {
	next    http.Handler
	written chan struct{}
	once    sync.Once
	mu      sync.Mutex
	held    int
	overlap int // held pages released by a WUG write, not by the time limit
}

func (g *pageGate) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	if r.Method == http.MethodGet && r.URL.Path == devicesRoute && q.Has("id__gte") && !q.Has("has_primary_ip") {
		g.mu.Lock()
		g.held++
		first := g.held == 1
		g.mu.Unlock()
		if first {
			select {
			case <-g.written:
				g.mu.Lock()
				g.overlap++
				g.mu.Unlock()
			case <-r.Context().Done():
				// The client gave up on the page (its timeout) before
				// any batch wrote: no overlap. No time limit of our own,
				// which a loaded machine could outrun.
			}
		}
	}
	g.next.ServeHTTP(w, r)
}

// templateWatch closes written at WUG's first template call.
type templateWatch struct {
	next http.Handler
	g    *pageGate
}

func (tw templateWatch) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method == http.MethodPatch && r.URL.Path == "/api/v1/devices/-/config/template" {
		tw.g.once.Do(func() { close(tw.g.written) })
	}
	tw.next.ServeHTTP(w, r)
}

// Reading NetBox overlaps writing to WUG: the batches of a decided page
// are enqueued at once, so WUG gets its first template call while the plan
// still waits for the next page of devices (held here until that call).
func TestBatchesWriteWhileNetBoxIsStillRead(t *testing.T) {
	t.Parallel()
	gate := &pageGate{written: make(chan struct{})}
	b := setup(t, bundleOptions{devices: 700,
		netboxVia: func(h http.Handler) http.Handler { gate.next = h; return gate },
		params: func(p *workers.Params) {
			// One NetBox page is one page of the plan (500 objects).
			nb, err := netbox.New(netbox.Config{URL: p.NetBox.Server(), Token: netboxsim.DefaultToken, PageSize: 500})
			require.NoError(t, err)
			p.NetBox = nb
		}})
	b.routeWUGThrough(templateWatch{next: b.wug, g: gate})

	run := b.export(tasks.ExportRequest{})
	require.Equal(t, models.RunCompleted, run.Status, run.ErrorMessage)
	require.Len(t, b.wugByNetBoxID(), run.DevicesCreated)
	gate.mu.Lock()
	defer gate.mu.Unlock()
	require.Equal(t, 1, gate.held, "700 devices: one later page")
	require.Equal(t, 1, gate.overlap, "a batch wrote to WUG before the plan read its second page")
}

// failOnce answers NetBox's first request for a later page of the device
// listing with 503, once, after the batches of the first page stored their
// tallies (tallied is closed).
type failOnce struct {
	next    http.Handler
	once    sync.Once
	tallied chan struct{}
}

func (f *failOnce) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	if r.Method == http.MethodGet && r.URL.Path == devicesRoute && q.Has("id__gte") && !q.Has("has_primary_ip") {
		failed := false
		f.once.Do(func() { failed = true })
		if failed {
			select {
			case <-f.tallied:
			case <-r.Context().Done():
				// The client gave up on the page (its timeout) before
				// any batch wrote: no overlap. No time limit of our own,
				// which a loaded machine could outrun.
			}
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
	}
	f.next.ServeHTTP(w, r)
}

// closeAfterTallies closes ch once n batch tallies were stored.
func closeAfterTallies(t *testing.T, db *gorm.DB, n int, ch chan struct{}) {
	var mu sync.Mutex
	seen := 0
	err := db.Callback().Create().After("gorm:create").Register("test:tallies", func(tx *gorm.DB) {
		if tx.Statement.Table != "sync_run_batches" || tx.Error != nil {
			return
		}
		mu.Lock()
		defer mu.Unlock()
		if seen++; seen == n {
			close(ch)
		}
	})
	require.NoError(t, err)
}

// A plan that fails after its first page's batches wrote and tallied is
// planned again from scratch: the new plan numbers its batches after the
// earlier ones (whose tasks may run on entries now gone), finds what they
// wrote, and the run ends with every device in WUG once and counted once.
func TestReplanAfterEarlyBatchesCreatesEachDeviceOnce(t *testing.T) {
	t.Parallel()
	front := &failOnce{tallied: make(chan struct{})}
	var watch sync.Once
	b := setup(t, bundleOptions{devices: 700,
		netboxVia: func(h http.Handler) http.Handler { front.next = h; return front },
		params: func(p *workers.Params) {
			// Before any worker runs. The first page's 430 eligible
			// devices fill four batches of 100.
			watch.Do(func() { closeAfterTallies(t, p.DB, 4, front.tallied) })
			nb, err := netbox.New(netbox.Config{URL: p.NetBox.Server(), Token: netboxsim.DefaultToken, PageSize: 500, MaxRetries: -1})
			require.NoError(t, err)
			p.NetBox = nb
		}})
	want := b.expected()

	run := b.export(tasks.ExportRequest{})
	require.Equal(t, models.RunCompleted, run.Status, run.ErrorMessage)
	require.Len(t, b.wugByNetBoxID(), len(want), "each device in WUG once")
	b.requireWUGMatches(want)
	require.Equal(t, run.DevicesTotal, run.DevicesCreated+run.DevicesUpdated+run.DevicesUnchanged+run.DevicesSkipped+run.DevicesFailed, run.Summary)
	// Each exported device counted once: created by either plan's batches,
	// found unchanged, or adopted (updated) when the second plan saw it in
	// WUG before the first plan's batch had linked it.
	require.Equal(t, len(want), run.DevicesCreated+run.DevicesUpdated+run.DevicesUnchanged, run.Summary)
	var first int64
	require.NoError(t, b.db.Model(&models.PlanEntry{}).Where("sync_log_id = ? AND batch > 0", run.ID).
		Select("COALESCE(MIN(batch), 0)").Scan(&first).Error)
	require.Greater(t, first, int64(1), "the second plan numbered its batches after the first plan's")
}

// A dry run planned before plans kept their mapping (mapped is NULL) and
// applied after the upgrade still exports: its batches read their objects
// from NetBox, one read each, as batches did before.
func TestApplyingAPlanWithoutMappingReadsItsObjects(t *testing.T) {
	t.Parallel()
	b := setup(t, bundleOptions{devices: 30, conn: func(c *models.WUGConnection) { c.EnableNetBoxExport = false }})
	want := b.expected()
	dry := b.export(tasks.ExportRequest{DryRun: true})
	require.Equal(t, models.RunCompleted, dry.Status, dry.ErrorMessage)
	require.NoError(t, b.db.Model(&models.PlanEntry{}).Where("sync_log_id = ?", dry.ID).Update("mapped", nil).Error)

	b.nb.ResetRequests()
	from := dry.ID
	run := b.export(tasks.ExportRequest{Filters: dry.Filters, AppliedFrom: &from})
	require.Equal(t, models.RunCompleted, run.Status, run.ErrorMessage)
	require.Equal(t, len(want), run.DevicesCreated, run.Summary)
	b.requireWUGMatches(want)
	_, byID := b.netboxReads()
	require.Equal(t, run.BatchesTotal, byID, "one read per batch of unmapped entries")
}
