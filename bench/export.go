package bench

import (
	"context"
	"fmt"
	"net/http"
	"net/netip"
	"strings"
	"time"

	"github.com/wugsync/wugsync/export"
	"github.com/wugsync/wugsync/models"
	"github.com/wugsync/wugsync/netbox"
	"github.com/wugsync/wugsync/wug"
)

// coldMeasure is one size's cold export, its floor and its warm re-export.
type coldMeasure struct {
	n, eligible                          int
	floorDur, dur, warmDur               time.Duration
	floorWUG, floorNB, wugCalls, nbCalls int
	warmWrites, warmReads                int
}

func (m coldMeasure) ratio() float64 { return m.dur.Seconds() / m.floorDur.Seconds() }

// fastConnection raises a connection's WUG rate limit and concurrency so
// that the export, like the floor, is bound by the work and not by WUG's
// limit; lines that use it print these settings.
func fastConnection(c *models.WUGConnection) {
	c.RateLimitPerSecond, c.MaxConcurrentRequests = 1000, 32
}

// fastSettings are the settings of fastConnection that differ from
// production, and the NetBox limiter the in-process worker lacks.
func fastSettings() []Figure {
	return []Figure{Fig("wug_rate", 1000), Fig("wug_concurrency", 32), Fig("netbox_rate", "unlimited")}
}

func (m coldMeasure) coldResult(r *runner) Result {
	return r.result("cold", m.n, coldPass(m.n, m.ratio()), []Figure{
		Fig("ratio", m.ratio()), Fig("target", coldTarget(m.n)),
		Fig("floor_s", m.floorDur.Seconds()), Fig("wugsync_s", m.dur.Seconds()), Fig("eligible", m.eligible),
		Fig("wug_calls", m.wugCalls), Fig("floor_wug_calls", m.floorWUG),
		Fig("netbox_reads", m.nbCalls), Fig("floor_netbox_reads", m.floorNB),
		Fig("netbox_ratio", float64(m.nbCalls)/float64(max(m.floorNB, 1))),
	}, fastSettings())
}

func (m coldMeasure) warmResult(r *runner) Result {
	share := m.warmDur.Seconds() / m.dur.Seconds()
	return r.result("warm", m.n, warmPass(m.eligible, m.warmWrites, m.warmReads, m.warmDur, m.dur), []Figure{
		Fig("writes", m.warmWrites), Fig("reads", m.warmReads), Fig("reads_max", warmMaxReads(m.eligible)),
		Fig("time_pct", 100*share), Fig("warm_s", m.warmDur.Seconds()), Fig("cold_s", m.dur.Seconds()),
		Fig("eligible", m.eligible),
	}, fastSettings())
}

// coldWarm measures the floor, then wugsync's cold export and an
// unchanged re-export of the same inventory on fresh simulators.
func (r *runner) coldWarm(ctx context.Context, n int) (coldMeasure, error) {
	m := coldMeasure{n: n}
	fl, err := bestFloor(ctx, r.opts, n, wug.MaxBatchSize)
	if err != nil {
		return m, err
	}
	m.floorDur, m.eligible, m.floorWUG, m.floorNB = fl.dur, fl.eligible, fl.wugCalls, fl.netboxReads

	e, err := newEnv(ctx, r.opts, n)
	if err != nil {
		return m, err
	}
	defer e.close()
	conn, err := e.connection(ctx, "bench", fastConnection)
	if err != nil {
		return m, err
	}
	stop, err := e.startWorker(r.opts.Concurrency)
	if err != nil {
		return m, err
	}
	defer stop()
	e.nb.ResetRequests()
	run, dur, err := e.export(ctx, conn.ID)
	if err != nil {
		return m, err
	}
	if run.DevicesCreated != m.eligible {
		return m, fmt.Errorf("wugsync created %d devices, the floor %d", run.DevicesCreated, m.eligible)
	}
	m.dur, m.wugCalls, m.nbCalls = dur, e.wug.CountRequests("*"), totalNetBoxRequests(e)

	e.wug.ResetStats()
	if _, m.warmDur, err = e.export(ctx, conn.ID); err != nil {
		return m, fmt.Errorf("warm re-export: %w", err)
	}
	m.warmWrites, m.warmReads = wugWritesReads(e)
	r.cold[n] = m
	return m, nil
}

// wugWritesReads splits the WUG requests since the last ResetStats into
// writes (anything but GET, except the token grant) and reads (the rest,
// token grants included).
func wugWritesReads(e *env) (writes, reads int) {
	for route, st := range e.wug.Stats() {
		if !strings.HasPrefix(route, http.MethodGet+" ") && route != "POST /api/v1/token" {
			writes += st.Total
		} else {
			reads += st.Total
		}
	}
	return writes, reads
}

func totalNetBoxRequests(e *env) int {
	n := 0
	for _, c := range e.nb.RequestCounts() {
		n += c
	}
	return n
}

// floorResult is what the floor did.
type floorResult struct {
	dur                   time.Duration
	eligible              int
	wugCalls, netboxReads int
}

// expected are the devices an export of e's NetBox must leave in WUG, by
// primary address: every active device that maps, except those whose
// address another active device or VM also holds as its primary (the
// conflict check across NetBox).
type expected map[netip.Addr]export.Mapped

// readExpected reads NetBox as the floor does: every page of active
// devices, and one paged listing of the primary addresses of every active
// device for the conflict check (VMs are not exported by default, so
// neither their pages nor their primaries are read).
func readExpected(ctx context.Context, nbc *netbox.Client) (expected, error) {
	holders := map[netip.Addr]int{}
	for d, err := range nbc.DevicePrimariesInSequence(ctx, []string{"active"}) {
		if err != nil {
			return nil, err
		}
		if addr, err := export.PrimaryAddress(d); err == nil {
			holders[addr]++
		}
	}
	out := expected{}
	for d, err := range nbc.Devices(ctx, netbox.DeviceFilter{Statuses: []string{"active"}}) {
		if err != nil {
			return nil, err
		}
		m, err := export.Map(d, export.MapOptions{GroupTemplate: models.DefaultGroupTemplate, NetBoxURL: nbc.Server()})
		if err != nil || holders[m.Address] > 1 {
			continue
		}
		out[m.Address] = m
	}
	return out, nil
}

// floor is the least work an export can do: the NetBox reads of
// readExpected, the mapping, the groups, and one template call per
// batchSize devices. No queue, no database, no idempotency.
func floor(ctx context.Context, e *env, batchSize int) (floorResult, error) {
	client, err := wug.New(wug.Config{Name: "floor", BaseURL: e.wugURL, Username: "admin", Password: "admin"})
	if err != nil {
		return floorResult{}, err
	}
	e.nb.ResetRequests()
	e.wug.ResetStats()
	start := time.Now()
	want, err := readExpected(ctx, e.nbc)
	if err != nil {
		return floorResult{}, err
	}
	groups, err := client.ListGroups(ctx)
	if err != nil {
		return floorResult{}, err
	}
	known := map[string]string{"": wug.RootGroupID}
	for _, g := range groups {
		if g.ParentID == wug.RootGroupID {
			known[g.Name] = g.ID
		}
	}
	var batch []wug.DeviceTemplate
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		_, err := client.ApplyTemplates(ctx, batch)
		batch = batch[:0]
		return err
	}
	for _, m := range want {
		path := strings.Join(m.Fields.GroupPath, "/")
		if _, ok := known[path]; !ok {
			g, err := client.CreateChildGroup(ctx, wug.RootGroupID, path, "")
			if err != nil {
				return floorResult{}, err
			}
			known[path] = g.ID
		}
		batch = append(batch, m.Template)
		if len(batch) == batchSize {
			if err := flush(); err != nil {
				return floorResult{}, err
			}
		}
	}
	if err := flush(); err != nil {
		return floorResult{}, err
	}
	return floorResult{dur: time.Since(start), eligible: len(want), wugCalls: e.wug.CountRequests("*"),
		netboxReads: totalNetBoxRequests(e)}, nil
}

// floorRuns is how many times the floor runs; the fastest counts. On a
// shared machine a single run may be slowed by others, which would make
// wugsync's ratio look better than it is.
const floorRuns = 2

// bestFloor runs the floor floorRuns times on fresh simulators and keeps
// the fastest run.
func bestFloor(ctx context.Context, opts Options, n, batchSize int) (floorResult, error) {
	var best floorResult
	for i := 0; i < floorRuns; i++ {
		fe, err := newEnv(ctx, opts, n)
		if err != nil {
			return best, err
		}
		fl, err := floor(ctx, fe, batchSize)
		fe.close()
		if err != nil {
			return best, fmt.Errorf("floor: %w", err)
		}
		if i == 0 || fl.dur < best.dur {
			best = fl
		}
	}
	return best, nil
}

// checkEndState compares WUG with what NetBox says it must hold: each
// expected device once, by address, with its display name, and nothing
// else. It describes the differences, or returns "" when exact.
func checkEndState(want expected, got []wugDevice) string {
	seen := map[netip.Addr]int{}
	wrongName, extra := 0, 0
	for _, d := range got {
		addr, err := netip.ParseAddr(d.address)
		t, ok := want[addr]
		if err != nil || !ok {
			extra++
			continue
		}
		seen[addr]++
		if d.name != t.Template.DisplayName {
			wrongName++
		}
	}
	missing, dup := 0, 0
	for addr := range want {
		switch c := seen[addr]; {
		case c == 0:
			missing++
		case c > 1:
			dup += c - 1
		}
	}
	if missing+dup+wrongName+extra == 0 {
		return ""
	}
	return fmt.Sprintf("missing=%d duplicates=%d wrong_name=%d unexpected=%d", missing, dup, wrongName, extra)
}

// wugDevice is the part of a WUG device the end state check compares.
type wugDevice struct{ name, address string }

func wugDevices(e *env) []wugDevice {
	var out []wugDevice
	for _, d := range e.wug.Devices() {
		out = append(out, wugDevice{name: d.Name, address: d.NetworkAddress})
	}
	return out
}

// callsDevices is the inventory of the calls line (the 10,000).
const callsDevices = 10000

// calls reads WUG calls per new device off the cold export of 10,000
// devices (run here if the cold line did not), against the old plugin's
// way measured on opts.SeedDevices.
func (r *runner) calls(ctx context.Context) (Result, error) {
	m, ok := r.cold[callsDevices]
	if !ok {
		var err error
		if m, err = r.coldWarm(ctx, callsDevices); err != nil {
			return Result{}, err
		}
	}
	seedCalls, seedCreated, err := seedBaseline(ctx, r.opts)
	if err != nil {
		return Result{}, fmt.Errorf("old plugin's way: %w", err)
	}
	per := float64(m.wugCalls) / float64(max(m.eligible, 1))
	seedPer := float64(seedCalls) / float64(max(seedCreated, 1))
	fewer := 0.0
	if per > 0 {
		fewer = seedPer / per
	}
	r.printf("| way | devices created | WUG calls | per device |\n|---|---:|---:|---:|\n")
	r.printf("| old plugin (token + group list + template per device) | %d | %d | %.2f |\n", seedCreated, seedCalls, seedPer)
	r.printf("| wugsync (batch_size %d) | %d | %d | %.4f |\n", models.DefaultBatchSize, m.eligible, m.wugCalls, per)
	return r.result("calls", callsDevices, callsPass(per, seedPer), []Figure{
		Fig("calls_per_device", fmt.Sprintf("%.4f", per)), Fig("target", callsPerDevice),
		Fig("seed_calls_per_device", seedPer), Fig("fewer", fewer), Fig("wug_calls", m.wugCalls),
		Fig("created", m.eligible), Fig("batch_size", models.DefaultBatchSize),
	}, fastSettings()), nil
}

// seedBaseline measures the old plugin's way: a new client and token per
// device, a group lookup, and one template call per device.
func seedBaseline(ctx context.Context, opts Options) (calls, created int, err error) {
	e, err := newEnv(ctx, opts, opts.SeedDevices)
	if err != nil {
		return 0, 0, err
	}
	defer e.close()
	want, err := readExpected(ctx, e.nbc)
	if err != nil {
		return 0, 0, err
	}
	for _, m := range want {
		client, err := wug.New(wug.Config{Name: "seed", BaseURL: e.wugURL, Username: "admin", Password: "admin"})
		if err != nil {
			return 0, 0, err
		}
		if _, err := client.ListGroups(ctx); err != nil {
			return 0, 0, err
		}
		if _, err := client.ApplyTemplates(ctx, []wug.DeviceTemplate{m.Template}); err != nil {
			return 0, 0, err
		}
		created++
	}
	return e.wug.CountRequests("*"), created, nil
}
