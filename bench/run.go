package bench

import (
	"context"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/wugsync/wugsync/config"
)

// Lines are the names of every BENCH line, in the order Run prints them
// (issue 15 §6).
var Lines = []string{"cold", "warm", "calls", "faults", "latency", "memory", "ratelimit", "overhead", "propagation", "storm"}

// runner carries one Run's options and collects its results.
type runner struct {
	opts    Options
	out     io.Writer
	stack   string
	results []Result
	failed  []string
	// cold keeps each size's cold export, for the calls line.
	cold map[int]coldMeasure
}

// Run executes the selected lines and writes a Markdown report to
// opts.Out. Each scenario prints exactly one line starting with "BENCH "
// (Result.Line); nothing else it prints does. A scenario that fails to run
// prints its line with pass=false and an error= figure, and Run goes on
// with the others; it returns an error naming them at the end.
func Run(ctx context.Context, opts Options) error {
	if opts.Concurrency == 0 {
		opts.Concurrency = config.DefaultWorkerConcurrency
	}
	if opts.RateLimit == 0 {
		opts.RateLimit = 20
	}
	if opts.SeedDevices == 0 {
		opts.SeedDevices = 300
	}
	if len(opts.Sizes) == 0 {
		opts.Sizes = []int{10000, 100000}
		if opts.Quick {
			opts.Sizes = []int{10000}
		}
	}
	for _, name := range opts.Only {
		if !slices.Contains(Lines, name) {
			return fmt.Errorf("unknown line %q (want one of %s)", name, strings.Join(Lines, ", "))
		}
	}
	r := &runner{opts: opts, out: opts.Out, stack: stackOf(opts), cold: map[int]coldMeasure{}}
	mode := "full"
	if opts.Quick {
		mode = "quick (reduced sizes)"
	}
	r.printf("# wugsync benchmark %s\n\n", time.Now().UTC().Format(time.RFC3339))
	r.printf("Mode: %s. Stack: %s (Redis: %s; database: %s). Worker concurrency %d.\n\n",
		mode, r.stack, orEmbedded(opts.RedisURL, "embedded miniredis"), orEmbedded(opts.DatabaseURL, "temporary SQLite"), opts.Concurrency)

	if r.wants("cold", "warm", "calls") {
		r.section("cold, warm: a cold export against the straight-line floor, then an unchanged re-export")
		r.printf("| n | eligible | floor s | wugsync s | ratio | WUG calls floor | WUG calls wugsync | NetBox reads floor | NetBox reads wugsync | warm s | warm WUG writes | warm WUG reads |\n")
		r.printf("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n")
		var lines []Result
		for _, n := range opts.Sizes {
			m, err := r.coldWarm(ctx, n)
			if err != nil {
				r.printf("\n")
				r.fail("cold", n, err)
				continue
			}
			r.printf("| %d | %d | %.2f | %.2f | %.2f× | %d | %d | %d | %d | %.2f | %d | %d |\n",
				n, m.eligible, m.floorDur.Seconds(), m.dur.Seconds(), m.ratio(), m.floorWUG, m.wugCalls,
				m.floorNB, m.nbCalls, m.warmDur.Seconds(), m.warmWrites, m.warmReads)
			if r.wants("cold") {
				lines = append(lines, m.coldResult(r))
			}
			if r.wants("warm") {
				lines = append(lines, m.warmResult(r))
			}
		}
		for _, l := range lines {
			r.emit(l)
		}
	}
	if r.wants("calls") {
		r.section("calls: WUG calls per new device against the old plugin's one-device-per-call way")
		r.run("calls", callsDevices, func() ([]Result, error) { res, err := r.calls(ctx); return []Result{res}, err })
	}
	if r.wants("faults") {
		r.section("faults: the fault mix of issue 15 at 20 requests/s")
		sizes := []int{800, 10000}
		if opts.Quick {
			sizes = []int{800}
		}
		for _, n := range sizes {
			r.run("faults", n, func() ([]Result, error) { res, err := r.faults(ctx, n); return []Result{res}, err })
		}
	}
	if r.wants("latency") {
		r.section("latency: WUG answers in 50 ms at 50 requests/s, NetBox in 150 ms a page")
		n := 10000
		if opts.Quick {
			n = 5000
		}
		r.run("latency", n, func() ([]Result, error) { res, err := r.latency(ctx, n); return []Result{res}, err })
	}
	if r.wants("memory") {
		r.section("memory: peak RSS (VmHWM) of a separate `wugsync worker` process")
		sizes := [2]int{10000, 100000}
		if opts.Quick {
			sizes = [2]int{1000, 10000}
		}
		r.run("memory", sizes[1], func() ([]Result, error) { res, err := r.memory(ctx, sizes); return []Result{res}, err })
	}
	if r.wants("ratelimit") {
		r.section("ratelimit: 1, 2 and 4 separate worker processes hold one connection's limit")
		r.run("ratelimit", 0, func() ([]Result, error) { return runRateLimit(ctx, opts, opts.Quick) })
	}
	for _, line := range []struct {
		name, title string
		fn          func(context.Context, Options, bool) (Result, error)
	}{
		{"overhead", "overhead: no-op tasks through wugsync's middleware against bare asynq", runOverhead},
		{"propagation", "propagation: a NetBox change reaches WUG", runPropagation},
		{"storm", "storm: a bulk edit in NetBox", runStorm},
	} {
		if r.wants(line.name) {
			r.section(line.title)
			r.run(line.name, 0, func() ([]Result, error) { res, err := line.fn(ctx, opts, opts.Quick); return []Result{res}, err })
		}
	}
	if !opts.Quick && len(opts.Only) == 0 {
		if err := writebackBench(ctx, opts); err != nil {
			r.printf("NetBox write-back table not measured: %v\n\n", err)
			r.failed = append(r.failed, "writeback")
		}
	}
	r.summary()
	if len(r.failed) > 0 {
		return fmt.Errorf("benchmark lines that could not run: %s", strings.Join(r.failed, ", "))
	}
	return nil
}

// wants reports whether any of the named lines is selected.
func (r *runner) wants(names ...string) bool {
	if len(r.opts.Only) == 0 {
		return true
	}
	for _, n := range names {
		if slices.Contains(r.opts.Only, n) {
			return true
		}
	}
	return false
}

func (r *runner) printf(format string, args ...any) { fmt.Fprintf(r.out, format, args...) }

func (r *runner) section(title string) { r.printf("\n## %s\n\n", title) }

// emit prints one BENCH line and keeps it for the summary.
func (r *runner) emit(res Result) {
	r.results = append(r.results, res)
	r.printf("\n%s\n", res.Line())
}

// run runs one scenario and prints its lines, or its failure as a line.
func (r *runner) run(name string, n int, fn func() ([]Result, error)) {
	res, err := fn()
	if err != nil {
		r.fail(name, n, err)
		return
	}
	for _, x := range res {
		r.emit(x)
	}
}

// fail prints a line that could not be measured as pass=false with its
// error (spaces become "_" so the line stays one key=value list).
func (r *runner) fail(name string, n int, err error) {
	r.printf("%s (n=%d) could not be measured: %v\n", name, n, err)
	msg := err.Error()
	if len(msg) > 80 {
		msg = msg[:80]
	}
	r.failed = append(r.failed, name)
	r.emit(Result{Name: name, N: n, Stack: r.stack, Figures: []Figure{Fig("error", msg)}})
}

// summary is a Markdown table of every line printed.
func (r *runner) summary() {
	r.section("Summary")
	r.printf("| line | n | pass | figures |\n|---|---:|---|---|\n")
	for _, res := range r.results {
		var figs []string
		for _, f := range append(append([]Figure(nil), res.Figures...), res.Settings...) {
			figs = append(figs, f.Key+"="+f.Value)
		}
		r.printf("| %s | %d | %t | %s |\n", res.Name, res.N, res.Pass, strings.Join(figs, " "))
	}
	r.printf("\n")
}

// result starts a Result of this run's stack.
func (r *runner) result(name string, n int, pass bool, figures []Figure, settings []Figure) Result {
	if r.opts.Concurrency != config.DefaultWorkerConcurrency {
		settings = append(settings, Fig("worker_concurrency", r.opts.Concurrency))
	}
	return Result{Name: name, N: n, Stack: r.stack, Pass: pass, Figures: figures, Settings: settings}
}

// stackOf names the stack of a run: "postgres" on a PostgreSQL database,
// "sqlite" otherwise (the embedded stack).
func stackOf(opts Options) string {
	if strings.HasPrefix(opts.DatabaseURL, "postgres") {
		return "postgres"
	}
	return "sqlite"
}

func orEmbedded(v, fallback string) string {
	if v == "" {
		return fallback
	}
	return "real server"
}
