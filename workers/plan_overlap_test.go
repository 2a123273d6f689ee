package workers_test

import (
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"gorm.io/gorm"

	"github.com/wugsync/wugsync/models"
	"github.com/wugsync/wugsync/sim/netboxsim"
	"github.com/wugsync/wugsync/tasks"
	"github.com/wugsync/wugsync/workers"
)

// signal is closed once, by the first of its events.
type signal struct {
	once sync.Once
	ch   chan struct{}
}

func newSignal() *signal { return &signal{ch: make(chan struct{})} }

func (s *signal) fire() { s.once.Do(func() { close(s.ch) }) }

// primaryListing reports the trimmed primary-address listing of devices.
func primaryListing(r *http.Request) bool {
	fields := r.URL.Query().Get("fields")
	return r.URL.Path == "/api/dcim/devices/" && strings.Contains(fields, "primary_ip4") && !strings.Contains(fields, "device_type")
}

// TestAColdExportReadsAndCreatesGroupsWhileThePrimariesAreRead: the first
// export of a connection does not wait for the primary-address listing to
// start its other work. NetBox holds the listing back until it has been
// asked for the first page of devices and WUG has seen the group tree read,
// a group create and the read of its device list for adoption (the page
// holds more new devices than AdoptListThreshold): read one after the
// other, none of those would come
// while the listing is held, and the listing would only end when the
// client gives up on it (counted as late). Devices still wait for the
// conflict check: a device of the selection that shares its address with
// a device outside it is not created, though its page was read (and its
// group made) before the listing ended.
func TestAColdExportReadsAndCreatesGroupsWhileThePrimariesAreRead(t *testing.T) {
	t.Parallel()
	devicesAsked, treeRead, groupMade, listRead := newSignal(), newSignal(), newSignal(), newSignal()
	var held, late atomic.Int64
	b := setup(t, bundleOptions{devices: 60,
		netboxVia: func(next http.Handler) http.Handler {
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				switch {
				case primaryListing(r):
					held.Add(1)
					for _, s := range []*signal{devicesAsked, treeRead, groupMade, listRead} {
						select {
						case <-s.ch:
						case <-r.Context().Done():
							// The client gave up on the listing (its own
							// timeout) before the work came: it waited
							// for the primaries.
							late.Add(1)
							return
						}
					}
				case r.URL.Path == "/api/dcim/devices/" && strings.Contains(r.URL.Query().Get("fields"), "custom_fields"):
					devicesAsked.fire()
				}
				next.ServeHTTP(w, r)
			})
		},
		wugVia: func(next http.Handler) http.Handler {
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				switch {
				case r.Method == http.MethodGet && r.URL.Path == "/api/v1/device-groups/-":
					treeRead.fire()
				case r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/child"):
					groupMade.fire()
				case r.Method == http.MethodGet && strings.HasSuffix(r.URL.Path, "/devices/-"):
					listRead.fire()
				}
				next.ServeHTTP(w, r)
			})
		},
		params: func(p *workers.Params) { p.AdoptListThreshold = 3 },
		conn:   func(c *models.WUGConnection) { c.BatchSize = 10 }})
	// The selection is one site; a device of it and one outside it share
	// an address.
	sites := b.nb.Sites()
	site := sites[len(sites)-1]
	b.conn.DeviceFilters.Sites = []string{site.Slug}
	require.NoError(t, b.db.Save(&b.conn).Error)
	var inside, outside netboxsim.Device
	for _, d := range b.nb.Devices() {
		if d.SiteID == site.ID && inside.ID == 0 {
			inside = d
		}
		if d.SiteID != site.ID && outside.ID == 0 {
			outside = d
		}
	}
	require.NotZero(t, inside.ID)
	require.NotZero(t, outside.ID)
	twin := b.newNetBoxDevice(inside.ID, "inside-twin", "10.251.7.7/24")
	b.newNetBoxDevice(outside.ID, "outside-twin", "10.251.7.7/24")
	groupsBefore := len(b.wug.Groups())

	run := b.export(tasks.ExportRequest{})
	require.Equal(t, models.RunCompleted, run.Status, run.ErrorMessage)
	require.Positive(t, held.Load(), "the listing of primaries was read")
	require.Zero(t, late.Load(), "the device page, the tree read, a group create and the device list came while the primaries were held")
	require.Positive(t, run.DevicesCreated)

	row := b.rows()[int64(twin.ID)]
	require.Equal(t, models.ExportSkipped, row.ExportStatus, "the device in conflict is skipped")
	require.Contains(t, row.SkipReason, "IP conflict: 10.251.7.7")
	require.Empty(t, row.WUGDeviceID)
	for _, d := range b.wug.Devices() {
		require.NotEqual(t, "10.251.7.7", d.NetworkAddress, "no WUG device for an address in conflict")
	}
	created := len(b.wug.Groups()) - groupsBefore
	require.Positive(t, created)
	require.Equal(t, created, b.wug.CountRequests("POST /api/v1/device-groups/{groupId}/child"), "each group created once")
	require.Equal(t, 1, b.wug.CountRequests("GET /api/v1/device-groups/-"), "one read of the tree for the whole run")
	require.Equal(t, 1, b.wug.CountRequests("GET /api/v1/device-groups/{groupId}/devices/-"), "one read of the device list for the whole run")
}

// TestTheLastBatchOfWritesGoesBeforeDecommissionsArePlanned: a full run
// plans its decommissions after its last page, from a read of every
// linked row of the connection. The batch still being filled (here the
// only one that writes: two new devices) is enqueued before that read, so
// its template call reaches WUG while the read is held; it used to wait
// for the decommission plan.
func TestTheLastBatchOfWritesGoesBeforeDecommissionsArePlanned(t *testing.T) {
	t.Parallel()
	var holding atomic.Bool
	templated := newSignal()
	b := setup(t, bundleOptions{devices: 30,
		wugVia: func(next http.Handler) http.Handler {
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				next.ServeHTTP(w, r)
				if holding.Load() && r.Method == http.MethodPatch && r.URL.Path == "/api/v1/devices/-/config/template" {
					templated.fire()
				}
			})
		},
		conn: func(c *models.WUGConnection) { c.BatchSize = 10; c.DecommissionAction = models.DecommissionDelete }})
	first := b.export(tasks.ExportRequest{})
	require.Equal(t, models.RunCompleted, first.Status, first.ErrorMessage)
	devices := b.nb.Devices()
	require.NoError(t, b.nb.DeleteDevice(devices[0].ID))
	b.newNetBoxDevice(devices[1].ID, "new-1", "10.252.0.1/24")
	b.newNetBoxDevice(devices[1].ID, "new-2", "10.252.0.2/24")

	var late atomic.Int64
	err := b.db.Callback().Query().After("gorm:query").Register("test:hold_linked_rows", func(tx *gorm.DB) {
		// The decommission plan's read of linked rows (Store.EachLinkedRow).
		if !holding.Load() || tx.Statement.Table != "netbox_ip_exports" ||
			!strings.Contains(tx.Statement.SQL.String(), "wug_device_id <> '' AND export_status <>") {
			return
		}
		select {
		case <-templated.ch:
		case <-time.After(30 * time.Second): // fails the test; never waited for when it passes
			late.Add(1)
		}
	})
	require.NoError(t, err)
	holding.Store(true)
	run := b.export(tasks.ExportRequest{Full: true})
	holding.Store(false)
	require.Equal(t, models.RunCompleted, run.Status, run.ErrorMessage)
	require.Zero(t, late.Load(), "the new devices' template call came while the decommission plan's read was held")
	require.Equal(t, 2, run.DevicesCreated)
	require.Equal(t, models.ExportDecommissioned, b.rows()[int64(devices[0].ID)].ExportStatus)
}
