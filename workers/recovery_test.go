package workers

import (
	"context"
	"net/http"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sirupsen/logrus"
	"github.com/stretchr/testify/require"

	"github.com/wugsync/wugsync/export"
	"github.com/wugsync/wugsync/internal/testinfra"
	"github.com/wugsync/wugsync/models"
	"github.com/wugsync/wugsync/netbox"
	"github.com/wugsync/wugsync/sim/netboxsim"
	"github.com/wugsync/wugsync/sim/wugsim"
	"github.com/wugsync/wugsync/tasks"
)

// These tests drive a run's batches attempt by attempt (runBatch is what
// one delivery of a batch task runs), to count what each attempt settles
// and every WUG call it makes.

const (
	propertiesRoute = "PUT /api/v1/devices/{deviceId}/properties"
	templateRoute   = "PATCH /api/v1/devices/-/config/template"
	searchRoute     = "GET /api/v1/device-groups/{groupId}/devices/-"
)

type recovery struct {
	t     *testing.T
	stack *testinfra.Stack
	w     *Worker
	conn  models.WUGConnection
}

// setupRecovery is a worker with no task server, over simulators holding
// devices NetBox devices, exporting batchSize devices per batch.
func setupRecovery(t *testing.T, devices, batchSize int, wugVia func(http.Handler) http.Handler) *recovery {
	t.Helper()
	stack := testinfra.NewStack(t, testinfra.StackOptions{NetBox: netboxsim.Options{Devices: devices, Seed: 7}, WUGVia: wugVia})
	nb, err := netbox.New(netbox.Config{URL: stack.NetBoxURL, Token: netboxsim.DefaultToken})
	require.NoError(t, err)
	conn := stack.NewConnection(t, "lab-wug", stack.WUGURL, func(c *models.WUGConnection) {
		c.RateLimitPerSecond, c.MaxConcurrentRequests, c.BatchSize = 500, 20, batchSize
	})
	log := logrus.New()
	log.SetLevel(logrus.ErrorLevel)
	w := NewWorker(Params{DB: stack.DB, Redis: stack.Redis.Client, Enqueuer: stack.Enqueuer(), Sealer: stack.Sealer,
		NetBox: nb, Log: logrus.NewEntry(log), WUGTimeout: 2 * time.Second, ClaimRetry: 50 * time.Millisecond})
	return &recovery{t: t, stack: stack, w: w, conn: conn}
}

// plan starts a run and plans it as the export task does. Its batch tasks
// wait in Redis, where no server takes them: the test runs each attempt.
func (r *recovery) plan() models.WUGSyncLog {
	r.t.Helper()
	ctx := context.Background()
	run, err := tasks.StartExport(ctx, r.w.store, r.stack.Enqueuer(), tasks.ExportRequest{ConnectionID: r.conn.ID, Trigger: models.TriggerManual})
	require.NoError(r.t, err)
	require.NoError(r.t, r.w.runExport(ctx, run.ID))
	run, err = r.w.loadRun(ctx, run.ID)
	require.NoError(r.t, err)
	return run
}

// entries returns the plan entries of a run by NetBox object id.
func (r *recovery) entries(runID uint) map[int64]models.PlanEntry {
	var list []models.PlanEntry
	require.NoError(r.t, r.stack.DB.Where("sync_log_id = ?", runID).Find(&list).Error)
	out := map[int64]models.PlanEntry{}
	for _, e := range list {
		out[e.NetBoxObjectID] = e
	}
	return out
}

func (r *recovery) pending(runID uint, batch int) int {
	entries, err := r.w.store.PendingEntries(context.Background(), runID, batch)
	require.NoError(r.t, err)
	return len(entries)
}

// requireExactEndState checks that WUG holds each planned create exactly
// once, as planned, and that its row links that device with the hash the
// plan decided on (the hash of what was sent).
func (r *recovery) requireExactEndState(creates map[int64]models.PlanEntry) {
	r.t.Helper()
	byID := map[string]wugsim.Device{}
	byNetBox := map[string]bool{}
	for _, d := range r.stack.WUG.Devices() {
		byID[d.ID] = d
		nb := ""
		for _, a := range d.Attributes {
			if a.Name == "NetBox_ID" {
				nb = a.Value
			}
		}
		require.False(r.t, byNetBox[nb], "NetBox device %s is in WUG twice", nb)
		byNetBox[nb] = true
	}
	require.Len(r.t, byID, len(creates), "WUG holds the planned devices and nothing else")
	var rows []models.NetBoxIPExport
	require.NoError(r.t, r.stack.DB.Where("connection_id = ?", r.conn.ID).Find(&rows).Error)
	linked := map[string]bool{}
	for _, row := range rows {
		e, ok := creates[row.NetBoxObjectID]
		if !ok {
			continue
		}
		require.Equal(r.t, models.ExportExported, row.ExportStatus, "device %d", row.NetBoxObjectID)
		require.False(r.t, linked[row.WUGDeviceID], "WUG device %s linked twice", row.WUGDeviceID)
		linked[row.WUGDeviceID] = true
		d, ok := byID[row.WUGDeviceID]
		require.True(r.t, ok, "device %d links WUG device %q, which does not exist", row.NetBoxObjectID, row.WUGDeviceID)
		require.Equal(r.t, e.IPAddress, d.NetworkAddress, "device %d", row.NetBoxObjectID)
		require.Equal(r.t, "nb-"+strconv.FormatInt(row.NetBoxObjectID, 10), d.TemplateID, "device %d is our create", row.NetBoxObjectID)
		require.NotEmpty(r.t, e.PayloadHash)
		require.Equal(r.t, e.PayloadHash, row.PayloadHash, "device %d: the hash of what was sent", row.NetBoxObjectID)
		require.False(r.t, row.Adopted, "device %d was created by wugsync, not adopted", row.NetBoxObjectID)
	}
	require.Len(r.t, linked, len(creates), "every planned create is linked")
}

// creates returns the run's planned creates.
func creates(entries map[int64]models.PlanEntry) map[int64]models.PlanEntry {
	out := map[int64]models.PlanEntry{}
	for id, e := range entries {
		if e.Action == models.PlanCreate {
			out[id] = e
		}
	}
	return out
}

// TestLostTemplateAnswerCostsOneSearch: WUG creates a batch's devices but
// the answer is lost. The batch's subnets share a prefix ("10.") under
// which WUG holds less than a page, so wugsync finds its own creates with
// that one search (not one per subnet), links them with the hash it sent,
// writing nothing more; the run counts them as created, and a re-export
// writes nothing.
func TestLostTemplateAnswerCostsOneSearch(t *testing.T) {
	t.Parallel()
	r := setupRecovery(t, 125, models.MaxBatchSize, nil)
	ctx := context.Background()
	run := r.plan()
	require.Equal(t, 1, run.BatchesTotal)
	planned := creates(r.entries(run.ID))
	require.GreaterOrEqual(t, len(planned), 100)
	subnets := subnetsOf(t, planned)
	require.GreaterOrEqual(t, len(subnets), 2, "the seed's devices sit in a few subnets")

	require.NoError(t, r.stack.WUG.SetFaults(templateRoute, wugsim.Fault{LostAnswerRate: 1, Count: 1}))
	require.NoError(t, r.w.runBatch(ctx, run.ID, 1), "the lost answer is recovered within the attempt")

	after := requestsAfterLostAnswer(t, r.stack.WUG.RequestLog())
	require.Len(t, after, 1, "one search for every subnet, nothing else")
	require.Equal(t, searchRoute, after[0].Route)
	require.Equal(t, http.StatusOK, after[0].Status)
	require.Contains(t, after[0].Query, "search=10.&")
	require.Equal(t, 1, r.stack.WUG.CountRequests(templateRoute), "nothing was sent twice")

	r.requireExactEndState(planned)
	ended, err := r.w.loadRun(ctx, run.ID)
	require.NoError(t, err)
	require.Equal(t, len(planned), ended.DevicesCreated, "our own creates count as created")
	for _, e := range r.entries(run.ID) {
		if e.Action == models.PlanCreate {
			require.Equal(t, models.OutcomeDone, e.Outcome)
		}
	}

	// A re-export finds everything as sent: no WUG write at all.
	before := len(r.stack.WUG.RequestLog())
	again := r.plan()
	for n := 1; n <= again.BatchesTotal; n++ {
		require.NoError(t, r.w.runBatch(ctx, again.ID, n))
	}
	for _, req := range r.stack.WUG.RequestLog()[before:] {
		require.True(t, req.Method == http.MethodGet || req.Route == "POST /api/v1/token", "re-export wrote %s", req.Route)
	}
	again, err = r.w.loadRun(ctx, again.ID)
	require.NoError(t, err)
	require.Equal(t, len(planned), again.DevicesUnchanged)
}

// TestLookUpSearchesEachSubnetWhenAPrefixHoldsMore: the connection has
// 800 other devices linked under 10.99, so a search on "10." would take
// four pages; each of the batch's subnets holds less than a page, so the
// look-up after a lost answer makes exactly one search per subnet.
func TestLookUpSearchesEachSubnetWhenAPrefixHoldsMore(t *testing.T) {
	t.Parallel()
	r := setupRecovery(t, 125, models.MaxBatchSize, nil)
	ctx := context.Background()
	run := r.plan()
	planned := creates(r.entries(run.ID))
	subnets := subnetsOf(t, planned)
	require.GreaterOrEqual(t, len(subnets), 2)
	r.linkOthers(800)

	require.NoError(t, r.stack.WUG.SetFaults(templateRoute, wugsim.Fault{LostAnswerRate: 1, Count: 1}))
	require.NoError(t, r.w.runBatch(ctx, run.ID, 1))
	var searched []string
	for _, req := range r.stack.WUG.RequestLog() {
		if req.Route == searchRoute && strings.Contains(req.Query, "search=") {
			q, err := url.ParseQuery(req.Query)
			require.NoError(t, err)
			searched = append(searched, q.Get("search"))
		}
	}
	require.ElementsMatch(t, sortedKeys(subnets), searched, "one search per subnet, each once")
	require.Equal(t, 1, r.stack.WUG.CountRequests(templateRoute))
	r.requireExactEndState(planned)
}

// TestLookUpListsTheBatchsGroupsWhenTheyCostFewerPages: one device of a
// site sits at an address of its own subnet (10.77.0.5), so the batch's
// devices span four subnets but three groups, and "10." would take four
// pages (800 other devices under 10.99). The look-up after a lost answer
// lists each target group once (three calls) rather than searching each
// subnet (four), and finds every device the call made.
func TestLookUpListsTheBatchsGroupsWhenTheyCostFewerPages(t *testing.T) {
	t.Parallel()
	r := setupRecovery(t, 125, models.MaxBatchSize, nil)
	ctx := context.Background()
	inv := r.stack.NetBox.Inventory()
	moved := 0
	for _, d := range inv.Devices {
		for _, ip := range inv.IPAddresses {
			if moved == 0 && d.PrimaryIP4ID == ip.ID && strings.HasPrefix(ip.Address, "10.1.0.") {
				_, err := r.stack.NetBox.SetPrimaryIP(d.ID, "10.77.0.5/24")
				require.NoError(t, err)
				moved = d.ID
			}
		}
	}
	require.NotZero(t, moved)
	run := r.plan()
	require.Equal(t, 1, run.BatchesTotal)
	planned := creates(r.entries(run.ID))
	groups := map[string]bool{}
	for _, e := range r.entries(run.ID) {
		if e.Action == models.PlanCreate && e.Mapped != nil {
			groups[pathKey(e.Mapped.Fields.GroupPath)] = true
		}
	}
	subnets := subnetsOf(t, planned)
	require.Contains(t, subnets, "10.77.0.")
	require.Less(t, len(groups), len(subnets), "fewer groups than subnets")
	r.linkOthers(800)

	require.NoError(t, r.stack.WUG.SetFaults(templateRoute, wugsim.Fault{LostAnswerRate: 1, Count: 1}))
	require.NoError(t, r.w.runBatch(ctx, run.ID, 1))
	listed := map[string]int{}
	for _, req := range requestsAfterLostAnswer(t, r.stack.WUG.RequestLog()) {
		require.Equal(t, searchRoute, req.Route, "the look-up makes only listings")
		require.NotContains(t, req.Query, "search=", "a group listing, not a search")
		listed[req.Path]++
	}
	require.Len(t, listed, len(groups), "one listing per target group")
	for path, n := range listed {
		require.Equal(t, 1, n, "%s listed once", path)
	}
	require.Equal(t, 1, r.stack.WUG.CountRequests(templateRoute), "nothing was sent twice")
	r.requireExactEndState(planned)
}

// subnetsOf counts the planned creates per subnet search text.
func subnetsOf(t *testing.T, planned map[int64]models.PlanEntry) map[string]int {
	t.Helper()
	out := map[string]int{}
	for _, e := range planned {
		addr, err := netip.ParseAddr(e.IPAddress)
		require.NoError(t, err)
		out[export.AddressSearchText(addr)]++
	}
	return out
}

// linkOthers stores n rows linked to WUG devices under 10.99.0.0/16 on
// the connection, as an earlier export would have: a look-up counts them
// among what WUG holds under a search text. They are not in NetBox, so a
// test using them plans no further run.
func (r *recovery) linkOthers(n int) {
	r.t.Helper()
	rows := make([]models.NetBoxIPExport, n)
	for i := range rows {
		rows[i] = models.NetBoxIPExport{ConnectionID: r.conn.ID, ObjectType: models.ObjectDevice,
			NetBoxObjectID: int64(1_000_000 + i), NetBoxDeviceID: int64(1_000_000 + i),
			IPAddress:   netip.AddrFrom4([4]byte{10, 99, byte(i / 200), byte(1 + i%200)}).String(),
			WUGDeviceID: "other-" + strconv.Itoa(i), ExportStatus: models.ExportExported, ExportReason: export.ReasonNewDevice}
	}
	require.NoError(r.t, r.stack.DB.CreateInBatches(rows, 200).Error)
}

// TestBatchUnderFaultsSettlesSomethingOnEveryAttempt: with a quarter of
// template and search calls failing and a tenth of all calls answered 429,
// every attempt of every batch settles devices, a retry redoes only the
// rest, and WUG ends holding each device once.
func TestBatchUnderFaultsSettlesSomethingOnEveryAttempt(t *testing.T) {
	t.Parallel()
	r := setupRecovery(t, 240, 10, nil)
	ctx := context.Background()
	run := r.plan()
	planned := creates(r.entries(run.ID))
	require.Greater(t, run.BatchesTotal, 4)

	require.NoError(t, r.stack.WUG.SetFaults("*", wugsim.Fault{RateLimitRate: 0.1, RetryAfter: time.Second}))
	require.NoError(t, r.stack.WUG.SetFaults(templateRoute, wugsim.Fault{
		ErrorRate: 0.25, RateLimitRate: 0.1, LostAnswerRate: 0.15, RetryAfter: time.Second}))
	require.NoError(t, r.stack.WUG.SetFaults(searchRoute, wugsim.Fault{ErrorRate: 0.25, RateLimitRate: 0.1, RetryAfter: time.Second}))

	attempts := 0
	for n := 1; n <= run.BatchesTotal; n++ {
		left := r.pending(run.ID, n)
		for try := 1; left > 0; try++ {
			require.LessOrEqual(t, try, 5, "batch %d does not finish", n)
			err := r.w.runBatch(ctx, run.ID, n)
			attempts++
			now := r.pending(run.ID, n)
			require.Less(t, now, left, "batch %d attempt %d settled nothing (error %v)", n, try, err)
			if now == 0 {
				require.NoError(t, err, "batch %d: nothing is left to retry", n)
			}
			left = now
		}
	}

	faults := map[string]int{}
	handled := 0
	for _, req := range r.stack.WUG.RequestLog() {
		faults[req.Fault]++
		if req.Route == templateRoute && (req.Fault == "" || req.Fault == wugsim.FaultLostAnswer) {
			handled++
		}
	}
	require.Positive(t, faults[wugsim.FaultError])
	require.Positive(t, faults[wugsim.FaultRateLimit])
	require.Positive(t, faults[wugsim.FaultLostAnswer])
	require.Equal(t, run.BatchesTotal, handled, "each device reached WUG's template handler once")
	r.stack.WUG.ClearFaults()
	r.requireExactEndState(planned)
	t.Logf("%d batches, %d attempts, faults %v", run.BatchesTotal, attempts, faults)
}

// TestFailedSearchHoldsBackOnlyItsSubnet: after a lost answer, the search
// of one subnet (the look-up searches each subnet here) fails past its
// retries. The attempt still links every
// other subnet's devices; the retry searches that one subnet only and
// finishes the batch.
func TestFailedSearchHoldsBackOnlyItsSubnet(t *testing.T) {
	t.Parallel()
	var failing failSearches
	r := setupRecovery(t, 125, models.MaxBatchSize, failing.via)
	ctx := context.Background()
	run := r.plan()
	planned := creates(r.entries(run.ID))
	bySubnet := subnetsOf(t, planned)
	texts := sortedKeys(bySubnet)
	require.GreaterOrEqual(t, len(texts), 2)
	r.linkOthers(800) // a search a subnet (TestLookUpSearchesEachSubnetWhenAPrefixHoldsMore)
	held := texts[0]
	failing.set(held, readAttempts)
	require.NoError(t, r.stack.WUG.SetFaults(templateRoute, wugsim.Fault{LostAnswerRate: 1, Count: 1}))

	err := r.w.runBatch(ctx, run.ID, 1)
	require.Error(t, err, "the held subnet needs a retry")
	require.Contains(t, err.Error(), held)
	require.Equal(t, bySubnet[held], r.pending(run.ID, 1), "only the failed search's devices wait")

	before := len(r.stack.WUG.RequestLog())
	require.NoError(t, r.w.runBatch(ctx, run.ID, 1))
	retry := r.stack.WUG.RequestLog()[before:]
	require.Len(t, retry, 1, "the retry makes the one search that failed, nothing else")
	require.Equal(t, searchRoute, retry[0].Route)
	require.Contains(t, retry[0].Query, "search="+strings.ReplaceAll(held, ":", "%3A"))
	require.Equal(t, 1, r.stack.WUG.CountRequests(templateRoute))
	require.Zero(t, r.pending(run.ID, 1))
	r.requireExactEndState(planned)
}

// failSearches answers 500 to the next n WUG searches for one text.
type failSearches struct {
	mu   sync.Mutex
	text string
	n    int
}

func (f *failSearches) set(text string, n int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.text, f.n = text, n
}

func (f *failSearches) via(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		fail := f.n > 0 && r.Method == http.MethodGet && r.URL.Query().Get("search") == f.text
		if fail {
			f.n--
		}
		f.mu.Unlock()
		if fail {
			http.Error(w, `{"error":{"message":"scripted failure"}}`, http.StatusInternalServerError)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// TestUpdatesUnderFaultsSettleSomethingOnEveryAttempt: a re-export that
// renames every device meets a quarter of properties calls failing. Each
// attempt stores every device it did rename, so exactly the devices whose
// call failed wait for the retry, and each device is renamed once in all.
func TestUpdatesUnderFaultsSettleSomethingOnEveryAttempt(t *testing.T) {
	t.Parallel()
	r := setupRecovery(t, 60, 20, nil)
	ctx := context.Background()
	cold := r.plan()
	for n := 1; n <= cold.BatchesTotal; n++ {
		require.NoError(t, r.w.runBatch(ctx, cold.ID, n))
	}
	renamed := 0
	for id, e := range creates(r.entries(cold.ID)) {
		_, err := r.stack.NetBox.UpdateDevice(int(id), func(d *netboxsim.Device) {
			name := e.DeviceName + "-renamed"
			d.Name = &name
		})
		require.NoError(t, err)
		renamed++
	}
	require.Greater(t, renamed, 20)

	run := r.plan()
	require.Greater(t, run.BatchesTotal, 1)
	require.NoError(t, r.stack.WUG.SetFaults(propertiesRoute, wugsim.Fault{ErrorRate: 0.25}))
	before := len(r.stack.WUG.RequestLog())
	for n := 1; n <= run.BatchesTotal; n++ {
		left := r.pending(run.ID, n)
		for try := 1; left > 0; try++ {
			require.LessOrEqual(t, try, 6, "batch %d does not finish", n)
			mark := len(r.stack.WUG.RequestLog())
			err := r.w.runBatch(ctx, run.ID, n)
			failed := 0
			for _, req := range r.stack.WUG.RequestLog()[mark:] {
				if req.Fault != "" {
					failed++
				}
			}
			now := r.pending(run.ID, n)
			require.Equal(t, failed, now, "batch %d attempt %d: only the devices whose call failed wait (error %v)", n, try, err)
			left = now
		}
	}
	ok := 0
	for _, req := range r.stack.WUG.RequestLog()[before:] {
		if req.Route == propertiesRoute && req.Fault == "" {
			ok++
		}
	}
	require.Equal(t, renamed, ok, "each device renamed once: settled devices are not renamed again")
	names := map[string]bool{}
	for _, d := range r.stack.WUG.Devices() {
		names[d.Name] = true
	}
	for _, e := range creates(r.entries(cold.ID)) {
		require.True(t, names[e.DeviceName+"-renamed"], "%s renamed in WUG", e.DeviceName)
	}
}

// requestsAfterLostAnswer returns the requests WUG saw after the last
// template call whose answer it lost: what recovering from it cost.
func requestsAfterLostAnswer(t *testing.T, log []wugsim.Request) []wugsim.Request {
	t.Helper()
	lost := -1
	for i, req := range log {
		if req.Fault == wugsim.FaultLostAnswer {
			lost = i
		}
	}
	require.GreaterOrEqual(t, lost, 0, "the template answer was lost")
	return log[lost+1:]
}
