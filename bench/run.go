package bench

import (
	"context"
	"fmt"
	"net/netip"
	"sort"
	"strings"
	"time"

	"github.com/wugsync/wugsync/export"
	"github.com/wugsync/wugsync/models"
	"github.com/wugsync/wugsync/netbox"
	"github.com/wugsync/wugsync/wug"
)

// Run executes every benchmark and writes a Markdown report to opts.Out.
func Run(ctx context.Context, opts Options) error {
	if opts.Concurrency == 0 {
		opts.Concurrency = 20
	}
	if opts.RateLimit == 0 {
		opts.RateLimit = 50
	}
	if opts.SeedDevices == 0 {
		opts.SeedDevices = 300
	}
	out := opts.Out
	fmt.Fprintf(out, "# wugsync benchmark %s\n\n", time.Now().UTC().Format(time.RFC3339))
	fmt.Fprintf(out, "Redis: %s; database: %s; worker concurrency %d.\n\n",
		orEmbedded(opts.RedisURL, "embedded miniredis"), orEmbedded(opts.DatabaseURL, "temporary SQLite"), opts.Concurrency)

	fmt.Fprintln(out, "## Export end to end vs the straight-line floor")
	fmt.Fprintln(out)
	fmt.Fprintln(out, "| devices | eligible | floor s | wugsync s | ratio | WUG calls floor | WUG calls wugsync | NetBox calls floor | NetBox calls wugsync | re-export s | re-export WUG writes | peak heap Δ MiB |")
	fmt.Fprintln(out, "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
	for _, n := range opts.Sizes {
		if err := exportBench(ctx, opts, n); err != nil {
			return fmt.Errorf("export of %d devices: %w", n, err)
		}
	}
	fmt.Fprintln(out)
	if err := seedBench(ctx, opts); err != nil {
		return fmt.Errorf("one-device-per-call baseline: %w", err)
	}
	if err := writebackBench(ctx, opts); err != nil {
		return fmt.Errorf("NetBox write-back: %w", err)
	}
	if err := rateBench(ctx, opts); err != nil {
		return fmt.Errorf("rate limit: %w", err)
	}
	return nil
}

func orEmbedded(v, fallback string) string {
	if v == "" {
		return fallback
	}
	return "real server"
}

func exportBench(ctx context.Context, opts Options, n int) error {
	// Baseline first, on its own simulators.
	fe, err := newEnv(ctx, opts, n)
	if err != nil {
		return err
	}
	floorDur, eligible, err := floor(ctx, fe)
	floorWUG := fe.wug.CountRequests("*")
	floorNB := totalNetBoxRequests(fe)
	fe.close()
	if err != nil {
		return fmt.Errorf("floor: %w", err)
	}

	e, err := newEnv(ctx, opts, n)
	if err != nil {
		return err
	}
	defer e.close()
	conn, err := e.connection(ctx, "bench", nil)
	if err != nil {
		return err
	}
	stop, err := e.startWorker(opts.Concurrency)
	if err != nil {
		return err
	}
	defer stop()
	e.nb.ResetRequests()
	before := heapNow()
	sampler := sampleHeap()
	run, dur, err := e.export(ctx, conn.ID)
	peak := sampler.done()
	if err != nil {
		return err
	}
	if run.DevicesCreated != eligible {
		return fmt.Errorf("wugsync created %d devices, the floor %d", run.DevicesCreated, eligible)
	}
	wugCalls := e.wug.CountRequests("*")
	nbCalls := totalNetBoxRequests(e)

	e.wug.ResetStats()
	_, redur, err := e.export(ctx, conn.ID)
	if err != nil {
		return err
	}
	writes := 0
	for _, r := range e.wug.RequestLog() {
		if r.Method != "GET" && r.Path != "/api/v1/token" {
			writes++
		}
	}
	var delta float64
	if peak > before {
		delta = float64(peak-before) / (1 << 20)
	}
	fmt.Fprintf(opts.Out, "| %d | %d | %.2f | %.2f | %.2f× | %d | %d | %d | %d | %.2f | %d | %.0f |\n",
		n, eligible, floorDur.Seconds(), dur.Seconds(), dur.Seconds()/floorDur.Seconds(),
		floorWUG, wugCalls, floorNB, nbCalls, redur.Seconds(), writes, delta)
	return nil
}

func totalNetBoxRequests(e *env) int {
	n := 0
	for _, c := range e.nb.RequestCounts() {
		n += c
	}
	return n
}

// floor is the least work an export can do: one paged NetBox read, the
// mapping, the groups, and one template call per 499 devices. No queue, no
// database, no idempotency.
func floor(ctx context.Context, e *env) (time.Duration, int, error) {
	client, err := wug.New(wug.Config{Name: "floor", BaseURL: e.wugURL, Username: "admin", Password: "admin"})
	if err != nil {
		return 0, 0, err
	}
	start := time.Now()
	groups, err := client.ListGroups(ctx)
	if err != nil {
		return 0, 0, err
	}
	known := map[string]string{"": wug.RootGroupID}
	for _, g := range groups {
		if g.ParentID == wug.RootGroupID {
			known[g.Name] = g.ID
		}
	}
	var mapped []export.Mapped
	for d, err := range e.nbc.Devices(ctx, netbox.DeviceFilter{Statuses: []string{"active"}}) {
		if err != nil {
			return 0, 0, err
		}
		m, err := export.Map(d, export.MapOptions{GroupTemplate: models.DefaultGroupTemplate, NetBoxURL: e.nbc.Server()})
		if err != nil {
			continue
		}
		mapped = append(mapped, m)
	}
	// Conflicting addresses are skipped on both sides, as wugsync does.
	seen := map[netip.Addr]int{}
	for _, m := range mapped {
		seen[m.Address]++
	}
	var batch []wug.DeviceTemplate
	eligible := 0
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		_, err := client.ApplyTemplates(ctx, batch)
		batch = batch[:0]
		return err
	}
	for _, m := range mapped {
		if seen[m.Address] > 1 {
			continue
		}
		path := strings.Join(m.Fields.GroupPath, "/")
		if _, ok := known[path]; !ok {
			g, err := client.CreateChildGroup(ctx, wug.RootGroupID, path, "")
			if err != nil {
				return 0, 0, err
			}
			known[path] = g.ID
		}
		batch = append(batch, m.Template)
		eligible++
		if len(batch) == wug.MaxBatchSize {
			if err := flush(); err != nil {
				return 0, 0, err
			}
		}
	}
	if err := flush(); err != nil {
		return 0, 0, err
	}
	return time.Since(start), eligible, nil
}

// seedBench measures the old plugin's approach: a new client and token per
// device, a group lookup, and one template call per device.
func seedBench(ctx context.Context, opts Options) error {
	n := opts.SeedDevices
	e, err := newEnv(ctx, opts, n)
	if err != nil {
		return err
	}
	defer e.close()
	start := time.Now()
	created := 0
	for d, err := range e.nbc.Devices(ctx, netbox.DeviceFilter{Statuses: []string{"active"}}) {
		if err != nil {
			return err
		}
		m, err := export.Map(d, export.MapOptions{GroupTemplate: models.DefaultGroupTemplate, NetBoxURL: e.nbc.Server()})
		if err != nil {
			continue
		}
		client, err := wug.New(wug.Config{Name: "seed", BaseURL: e.wugURL, Username: "admin", Password: "admin"})
		if err != nil {
			return err
		}
		if _, err := client.ListGroups(ctx); err != nil {
			return err
		}
		if _, err := client.ApplyTemplates(ctx, []wug.DeviceTemplate{m.Template}); err != nil {
			return err
		}
		created++
	}
	seedDur := time.Since(start)
	seedCalls := e.wug.CountRequests("*")

	e2, err := newEnv(ctx, opts, n)
	if err != nil {
		return err
	}
	defer e2.close()
	conn, err := e2.connection(ctx, "bench", nil)
	if err != nil {
		return err
	}
	stop, err := e2.startWorker(opts.Concurrency)
	if err != nil {
		return err
	}
	defer stop()
	run, dur, err := e2.export(ctx, conn.ID)
	if err != nil {
		return err
	}
	calls := e2.wug.CountRequests("*")
	fmt.Fprintln(opts.Out, "## WUG calls per exported device vs the old plugin's one-device-per-call approach")
	fmt.Fprintln(opts.Out)
	fmt.Fprintln(opts.Out, "| approach | devices created | WUG calls | calls per device | seconds |")
	fmt.Fprintln(opts.Out, "|---|---:|---:|---:|---:|")
	fmt.Fprintf(opts.Out, "| seed plugin (token + group list + template per device) | %d | %d | %.2f | %.2f |\n",
		created, seedCalls, float64(seedCalls)/float64(max(created, 1)), seedDur.Seconds())
	fmt.Fprintf(opts.Out, "| wugsync (batch 100) | %d | %d | %.3f | %.2f |\n",
		run.DevicesCreated, calls, float64(calls)/float64(max(run.DevicesCreated, 1)), dur.Seconds())
	fmt.Fprintln(opts.Out)
	return nil
}

// rateBench checks that 1, 2 and 4 worker servers together hold one
// connection's rate limit, as the simulated WUG counts requests.
func rateBench(ctx context.Context, opts Options) error {
	fmt.Fprintf(opts.Out, "## Rate limit of %d requests/s held by 1, 2 and 4 worker servers\n\n", opts.RateLimit)
	fmt.Fprintln(opts.Out, "| worker servers | WUG requests | busy seconds | peak req/s | mean req/s (full seconds) | limit |")
	fmt.Fprintln(opts.Out, "|---:|---:|---:|---:|---:|---:|")
	for _, servers := range []int{1, 2, 4} {
		e, err := newEnv(ctx, opts, 300)
		if err != nil {
			return err
		}
		conn, err := e.connection(ctx, "bench", func(c *models.WUGConnection) {
			c.RateLimitPerSecond, c.BatchSize = opts.RateLimit, 2
		})
		if err != nil {
			e.close()
			return err
		}
		var stops []func()
		for i := 0; i < servers; i++ {
			stop, err := e.startWorker(opts.Concurrency)
			if err != nil {
				e.close()
				return err
			}
			stops = append(stops, stop)
		}
		_, _, err = e.export(ctx, conn.ID)
		for _, s := range stops {
			s()
		}
		if err != nil {
			e.close()
			return err
		}
		counts := e.wug.PerSecondCounts()["*"]
		sort.Slice(counts, func(i, j int) bool { return counts[i].Second.Before(counts[j].Second) })
		peak, total, full := 0, 0, 0
		for i, c := range counts {
			peak = max(peak, c.Count)
			if i > 0 && i < len(counts)-1 {
				total += c.Count
				full++
			}
		}
		mean := 0.0
		if full > 0 {
			mean = float64(total) / float64(full)
		}
		fmt.Fprintf(opts.Out, "| %d | %d | %d | %d | %.1f | %d |\n",
			servers, e.wug.CountRequests("*"), len(counts), peak, mean, opts.RateLimit)
		e.close()
	}
	fmt.Fprintln(opts.Out)
	return nil
}
