package bench

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sort"
	"time"

	"github.com/wugsync/wugsync/models"
	"github.com/wugsync/wugsync/sim/wugsim"
)

// The fault mix of issue 15: 25% of template and search calls answer 500,
// 10% of all calls 429 with Retry-After 1 s, and 10% of template answers
// are lost after the devices were created.
const (
	faultsLimit      = 20
	faultsRetryAfter = time.Second
)

// Route names of the template and search calls.
const (
	routeTemplates     = "PATCH /api/v1/devices/-/config/template"
	routeSearch        = "GET /api/v1/device-groups/{groupId}/devices/-"
	routeSearchTwin    = "GET /api/v1/device-groups/{groupId}/devices"
	faultsErrorRate    = 0.25
	faultsRateLimited  = 0.10
	faultsLostAnswers  = 0.10
	faultsTimeoutSlack = 2.5
)

// setFaultMix installs the mix on w. wugsim applies only the most specific
// rule to a request, so the template and search routes get rules that
// combine their own faults with the 10% of 429s every call gets.
func setFaultMix(w *wugsim.Server) error {
	all := wugsim.Fault{RateLimitRate: faultsRateLimited, RetryAfter: faultsRetryAfter}
	search := all
	search.ErrorRate = faultsErrorRate
	templates := search
	templates.LostAnswerRate = faultsLostAnswers
	return errors.Join(
		w.SetFaults("*", all),
		w.SetFaults(routeSearch, search),
		w.SetFaults(routeSearchTwin, search),
		w.SetFaults(routeTemplates, templates),
	)
}

// faults exports n devices at 20 requests/s twice on fresh simulators:
// without faults (the calls baseline), then under the fault mix, and
// checks the end state against NetBox.
func (r *runner) faults(ctx context.Context, n int) (Result, error) {
	limited := func(c *models.WUGConnection) { c.RateLimitPerSecond = faultsLimit }

	clean, err := newEnv(ctx, r.opts, n)
	if err != nil {
		return Result{}, err
	}
	defer clean.close()
	conn, err := clean.connection(ctx, "bench", limited)
	if err != nil {
		return Result{}, err
	}
	stop, err := clean.startWorker(r.opts.Concurrency)
	if err != nil {
		return Result{}, err
	}
	_, cleanDur, err := clean.export(ctx, conn.ID)
	stop()
	if err != nil {
		return Result{}, fmt.Errorf("export without faults: %w", err)
	}
	cleanCalls := clean.wug.CountRequests("*")
	cleanStats := clean.wug.Stats()
	clean.close()

	e, err := newEnv(ctx, r.opts, n)
	if err != nil {
		return Result{}, err
	}
	defer e.close()
	if err := setFaultMix(e.wug); err != nil {
		return Result{}, err
	}
	conn, err = e.connection(ctx, "bench", limited)
	if err != nil {
		return Result{}, err
	}
	stop, err = e.startWorker(r.opts.Concurrency)
	if err != nil {
		return Result{}, err
	}
	defer stop()
	// Give up well past what could pass: the ideal if faults cost no
	// extra call, with the 429s such an export would see, times 2.5.
	cap := time.Duration(faultsTimeoutSlack*float64(faultsIdeal(cleanCalls, faultsLimit,
		int(float64(cleanCalls)*faultsRateLimited)+1, faultsRetryAfter))) + 10*time.Second
	ectx, cancel := context.WithTimeout(ctx, cap)
	run, took, waitErr := e.runExport(ectx, conn.ID)
	cancel()
	if waitErr != nil && !errors.Is(waitErr, context.DeadlineExceeded) {
		return Result{}, fmt.Errorf("export under faults: %w", waitErr)
	}
	finished := waitErr == nil && run.Status == models.RunCompleted
	calls := e.wug.CountRequests("*")
	byStatus := map[int]int{}
	lost := 0
	for _, st := range e.wug.Stats() {
		for code, c := range st.ByStatus {
			byStatus[code] += c
		}
	}
	for _, req := range e.wug.RequestLog() {
		if req.Fault == wugsim.FaultLostAnswer {
			lost++
		}
	}
	want, err := readExpected(ctx, e.nbc)
	if err != nil {
		return Result{}, fmt.Errorf("read NetBox for the end state: %w", err)
	}
	diff := checkEndState(want, wugDevices(e))
	exact := finished && diff == ""
	ideal := faultsIdeal(calls, faultsLimit, byStatus[http.StatusTooManyRequests], faultsRetryAfter)
	tookText := fmt.Sprintf("%.2f", took.Seconds())
	ratioText := fmt.Sprintf("%.2f", took.Seconds()/ideal.Seconds())
	switch {
	case waitErr != nil:
		// Given up: the time is only known to exceed the cap.
		tookText = fmt.Sprintf(">%.0f", cap.Seconds())
		ratioText = ">" + ratioText
		diff = fmt.Sprintf("run %d still %s after %s; %s", run.ID, run.Status, cap, diff)
	case !finished:
		diff = fmt.Sprintf("run %d ended %s (%s); %s", run.ID, run.Status, run.ErrorMessage, diff)
	}
	r.printf("| n | run | seconds | ideal s | WUG calls | without faults | 500 | 429 | lost answers (logged) | end state |\n")
	r.printf("|---:|---|---:|---:|---:|---:|---:|---:|---:|---|\n")
	r.printf("| %d | %s | %s | %.2f | %d | %d (%.2f s) | %d | %d | %d | %s |\n", n, run.Status, tookText, ideal.Seconds(),
		calls, cleanCalls, cleanDur.Seconds(), byStatus[http.StatusInternalServerError], byStatus[http.StatusTooManyRequests],
		lost, orText(diff, "exact"))
	r.printf("\nWUG calls by route, under faults (without):\n\n")
	stats := e.wug.Stats()
	routes := make([]string, 0, len(stats))
	for route := range stats {
		routes = append(routes, route)
	}
	for route := range cleanStats {
		if _, ok := stats[route]; !ok {
			routes = append(routes, route)
		}
	}
	sort.Strings(routes)
	for _, route := range routes {
		r.printf("- `%s`: %d (%d)\n", route, stats[route].Total, cleanStats[route].Total)
	}
	if !finished {
		// Say why, for whoever fixes it: the attempts that failed last.
		var attempts []models.ExportAttempt
		e.db.WithContext(context.WithoutCancel(ctx)).Where("sync_log_id = ?", run.ID).Order("id DESC").Limit(5).Find(&attempts)
		r.printf("\nLast failed attempts of run %d (%d devices created so far):\n\n", run.ID, run.DevicesCreated)
		for _, a := range attempts {
			r.printf("- %s attempt %d: %s\n", a.TaskType, a.Attempt, a.Error)
		}
	}
	return r.result("faults", n, finished && faultsPass(exact, calls, cleanCalls, took, ideal), []Figure{
		Fig("ratio", ratioText), Fig("target", faultsTimeRatio),
		Fig("calls_ratio", float64(calls)/float64(max(cleanCalls, 1))), Fig("calls_target", faultsCallsRatio),
		Fig("time_s", tookText), Fig("ideal_s", ideal.Seconds()), Fig("calls", calls), Fig("calls_clean", cleanCalls),
		Fig("status_429", byStatus[http.StatusTooManyRequests]), Fig("status_500", byStatus[http.StatusInternalServerError]),
		Fig("exact", exact), Fig("limit", faultsLimit),
	}, []Figure{Fig("netbox_rate", "unlimited")}), nil
}

func orText(s, fallback string) string {
	if s == "" {
		return fallback
	}
	return s
}
