package bench

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/wugsync/wugsync/models"
	"github.com/wugsync/wugsync/sim/netboxsim"
	"github.com/wugsync/wugsync/sim/wugsim"
)

// The latency line's servers: WUG answers every call in 50 ms and allows
// 50 a second; NetBox takes 150 ms for every read (a page).
const (
	latencyLimit  = 50
	latencyWUG    = 50 * time.Millisecond
	latencyNetBox = 150 * time.Millisecond
)

// latency exports n devices against slow simulators and compares the time
// with the ideal: the floor's WUG calls at the connection's batch size at
// the limit, plus one NetBox page, since reading NetBox can overlap
// writing to WUG.
func (r *runner) latency(ctx context.Context, n int) (Result, error) {
	fe, err := newEnv(ctx, r.opts, n)
	if err != nil {
		return Result{}, err
	}
	// The floor's calls do not depend on latency: count them on fast
	// simulators.
	fl, err := floor(ctx, fe, models.DefaultBatchSize)
	fe.close()
	if err != nil {
		return Result{}, fmt.Errorf("floor: %w", err)
	}

	e, err := newEnv(ctx, r.opts, n)
	if err != nil {
		return Result{}, err
	}
	defer e.close()
	if err := e.wug.SetFaults("*", wugsim.Fault{Latency: latencyWUG}); err != nil {
		return Result{}, err
	}
	if err := e.nb.SetFaults(netboxsim.FaultRule{PathPrefix: "/api/", Methods: []string{http.MethodGet}, Delay: latencyNetBox}); err != nil {
		return Result{}, err
	}
	conn, err := e.connection(ctx, "bench", func(c *models.WUGConnection) { c.RateLimitPerSecond = latencyLimit })
	if err != nil {
		return Result{}, err
	}
	stop, err := e.startWorker(r.opts.Concurrency)
	if err != nil {
		return Result{}, err
	}
	defer stop()
	e.nb.ResetRequests()
	start := time.Now()
	run, took, err := e.export(ctx, conn.ID)
	if err != nil {
		return Result{}, err
	}
	// When the first template call came shows whether reading NetBox
	// overlapped writing to WUG.
	firstWrite := -1.0
	for _, req := range e.wug.RequestLog() {
		if req.Route == routeTemplates {
			firstWrite = req.Time.Sub(start).Seconds()
			break
		}
	}
	calls, nbReads := e.wug.CountRequests("*"), totalNetBoxRequests(e)
	ideal := latencyIdeal(fl.wugCalls, latencyLimit, latencyNetBox)
	r.printf("| n | created | seconds | ideal s | first template call at s | WUG calls | floor WUG calls (batch %d) | NetBox reads | floor NetBox reads |\n", models.DefaultBatchSize)
	r.printf("|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n")
	r.printf("| %d | %d | %.2f | %.2f | %.2f | %d | %d | %d | %d |\n", n, run.DevicesCreated, took.Seconds(), ideal.Seconds(),
		firstWrite, calls, fl.wugCalls, nbReads, fl.netboxReads)
	return r.result("latency", n, latencyPass(took, ideal), []Figure{
		Fig("ratio", took.Seconds()/ideal.Seconds()), Fig("target", latencyTimeRatio),
		Fig("time_s", took.Seconds()), Fig("ideal_s", ideal.Seconds()), Fig("first_write_s", firstWrite), Fig("wug_calls", calls),
		Fig("floor_wug_calls", fl.wugCalls), Fig("netbox_reads", nbReads), Fig("limit", latencyLimit),
		Fig("wug_latency_ms", latencyWUG.Milliseconds()), Fig("netbox_latency_ms", latencyNetBox.Milliseconds()),
	}, []Figure{Fig("netbox_rate", "unlimited")}), nil
}
