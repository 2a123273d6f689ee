package bench

import (
	"context"
	"errors"
	"fmt"
	"net/http/httptest"
	"sort"
	"time"

	"github.com/wugsync/wugsync/models"
	"github.com/wugsync/wugsync/sim/netboxsim"
	"github.com/wugsync/wugsync/sim/wugsim"
)

// rateLimitPerSecond is the WUG limit of the ratelimit line (issue 15: 20/s).
const rateLimitPerSecond = 20

// rateLimitMeanPct is the least mean rate, in percent of the limit, over
// every second from the first WUG request to the last.
const rateLimitMeanPct = 93.0

// runRateLimit runs the ratelimit line: 1, 2 and 4 separate `wugsync
// worker` processes share one WUG connection limited to 20 requests/s. The
// work is a rename of every device after a cold export: one properties call
// per device, in batches of the production size, so the limiter, not the
// work, sets the pace. The simulator counts each request as it arrives.
// It passes when no wall-clock second saw more than the limit, and the
// requests from the first to the last came at ≥ 93% of the limit on
// average, the seconds without any (start, gaps between batches, end)
// included.
func runRateLimit(ctx context.Context, opts Options, quick bool) ([]Result, error) {
	devices := 1000
	if quick {
		devices = 300
	}
	var out []Result
	for _, processes := range []int{1, 2, 4} {
		r, err := rateLimitOnce(ctx, opts, devices, processes)
		if err != nil {
			return out, fmt.Errorf("ratelimit with %d worker processes: %w", processes, err)
		}
		out = append(out, r)
	}
	return out, nil
}

func rateLimitOnce(ctx context.Context, opts Options, devices, processes int) (Result, error) {
	stack := stackOf(opts)
	// newEnv's embedded stack is a miniredis on TCP and a SQLite file:
	// the worker processes reach both.
	e, err := newEnv(ctx, opts, devices)
	if err != nil {
		return Result{}, err
	}
	defer e.close()
	// A simulator that logs every request: the span needs the first.
	e.wug = wugsim.New(wugsim.Options{MaxLogEntries: 4 * devices})
	wugSrv := httptest.NewServer(e.wug)
	defer wugSrv.Close()
	e.wugURL = wugSrv.URL
	conn, err := e.connection(ctx, "ratelimit", func(c *models.WUGConnection) {
		d := models.NewWUGConnection()
		c.RateLimitPerSecond, c.MaxConcurrentRequests, c.BatchSize = rateLimitPerSecond, d.MaxConcurrentRequests, d.BatchSize
	})
	if err != nil {
		return Result{}, err
	}
	var stops []func()
	defer func() {
		for _, s := range stops {
			s()
		}
	}()
	for i := range processes {
		p, err := startWorkerProcess(ctx, e)
		if err != nil {
			return Result{}, fmt.Errorf("worker process %d: %w", i+1, err)
		}
		stops = append(stops, func() { _ = p.stop() })
	}
	// A cold export creates the devices; the measured export renames each.
	if _, _, err := e.export(ctx, conn.ID); err != nil {
		return Result{}, fmt.Errorf("cold export: %w", err)
	}
	for _, d := range e.nb.Devices() {
		if _, err := e.nb.UpdateDevice(d.ID, func(d *netboxsim.Device) {
			if d.Name != nil {
				n := *d.Name + "-renamed"
				d.Name = &n
			}
		}); err != nil {
			return Result{}, err
		}
	}
	e.wug.ResetStats()
	run, _, err := e.export(ctx, conn.ID)
	if err != nil {
		return Result{}, fmt.Errorf("rename export: %w", err)
	}
	if run.DevicesUpdated == 0 {
		return Result{}, errors.New("the rename export updated no device")
	}
	if n := e.wug.CountRequests("*"); n > len(e.wug.RequestLog()) {
		return Result{}, fmt.Errorf("the simulator logged %d of %d requests", len(e.wug.RequestLog()), n)
	}
	peak, mean, span, requests := limitFigures(e.wug.RequestLog(), e.wug.PerSecondCounts()["*"])
	pct := 100 * mean / rateLimitPerSecond
	return Result{
		Name:  "ratelimit",
		N:     devices,
		Stack: stack,
		Figures: []Figure{
			Fig("mean_pct", pct), Fig("peak", peak), Fig("limit", rateLimitPerSecond),
			Fig("processes", processes), Fig("requests", requests), Fig("seconds", span.Seconds()),
			Fig("updated", run.DevicesUpdated),
		},
		Pass: peak <= rateLimitPerSecond && pct >= rateLimitMeanPct,
	}, nil
}

// limitFigures reads the simulator's counts: the busiest wall-clock second,
// and the mean rate over the whole span from the first request to the last,
// as the requests after the first over the time between them, so that no
// second without a request is left out.
func limitFigures(log []wugsim.Request, seconds []wugsim.SecondCount) (peak int, mean float64, span time.Duration, requests int) {
	for _, s := range seconds {
		peak = max(peak, s.Count)
		requests += s.Count
	}
	if len(log) < 2 {
		return peak, 0, 0, requests
	}
	times := make([]time.Time, len(log))
	for i, r := range log {
		times[i] = r.Time
	}
	sort.Slice(times, func(i, j int) bool { return times[i].Before(times[j]) })
	span = times[len(times)-1].Sub(times[0])
	if span > 0 {
		mean = float64(len(times)-1) / span.Seconds()
	}
	return peak, mean, span, requests
}
