package bench

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/alicebob/miniredis/v2"

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
	bin, cleanup, err := wugsyncExecutable(ctx)
	if err != nil {
		return nil, err
	}
	defer cleanup()
	var out []Result
	for _, processes := range []int{1, 2, 4} {
		r, err := rateLimitOnce(ctx, opts, bin, devices, processes)
		if err != nil {
			return out, fmt.Errorf("ratelimit with %d worker processes: %w", processes, err)
		}
		out = append(out, r)
	}
	return out, nil
}

func rateLimitOnce(ctx context.Context, opts Options, bin string, devices, processes int) (Result, error) {
	stack := "sqlite"
	if opts.DatabaseURL != "" {
		stack = "postgres"
	}
	opts, release, err := sharedStack(opts)
	if err != nil {
		return Result{}, err
	}
	defer release()
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
		p, err := startWorkerProcess(ctx, bin, e, opts, fmt.Sprintf("worker-%d", i+1))
		if err != nil {
			return Result{}, err
		}
		stops = append(stops, p.stop)
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

// sharedStack gives opts a Redis and a database that other processes can
// reach: the embedded stack becomes a miniredis on TCP (with TTLs that
// follow the clock, as wugsync's embedded mode has them) and a SQLite file.
func sharedStack(opts Options) (Options, func(), error) {
	var cleanup []func()
	release := func() {
		for i := len(cleanup) - 1; i >= 0; i-- {
			cleanup[i]()
		}
	}
	if opts.RedisURL == "" {
		mr := miniredis.NewMiniRedis()
		mr.ClockTTL(true)
		if err := mr.Start(); err != nil {
			return opts, release, err
		}
		cleanup = append(cleanup, mr.Close)
		opts.RedisURL = "redis://" + mr.Addr() + "/0"
	}
	if opts.DatabaseURL == "" {
		dir, err := os.MkdirTemp("", "wugsync-bench-")
		if err != nil {
			release()
			return opts, func() {}, err
		}
		cleanup = append(cleanup, func() { os.RemoveAll(dir) })
		opts.DatabaseURL = "sqlite://" + filepath.Join(dir, "bench.db")
	}
	return opts, release, nil
}

// workerProcess is one `wugsync worker` started by the bench.
type workerProcess struct {
	cmd    *exec.Cmd
	exited chan struct{}
	log    string
}

// stop sends SIGINT and waits for the process to end (it finishes its
// tasks first), killing it after a while.
func (p *workerProcess) stop() {
	_ = p.cmd.Process.Signal(os.Interrupt)
	select {
	case <-p.exited:
	case <-time.After(30 * time.Second):
		_ = p.cmd.Process.Kill()
		<-p.exited
	}
}

// startWorkerProcess runs `wugsync worker` against e's Redis, database and
// NetBox simulator with production settings, and returns once it logged
// that it started.
func startWorkerProcess(ctx context.Context, bin string, e *env, opts Options, name string) (*workerProcess, error) {
	cmd := exec.Command(bin, "worker")
	// Production settings: none of this process's WUGSYNC_* variables.
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "WUGSYNC_") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	cmd.Env = append(cmd.Env,
		"WUGSYNC_REDIS_URL="+opts.RedisURL,
		"WUGSYNC_DATABASE_URL="+opts.DatabaseURL,
		"WUGSYNC_NETBOX_URL="+e.nbURL,
		"WUGSYNC_NETBOX_TOKEN="+netboxsim.DefaultToken,
		"WUGSYNC_SECRET_KEY="+strings.Repeat("00", 32), // the bench's sealer key
	)
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	cmd.Stderr = cmd.Stdout
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	p := &workerProcess{cmd: cmd, exited: make(chan struct{})}
	ready := make(chan struct{})
	var mu sync.Mutex
	var lines []string
	go func() {
		var once sync.Once
		sc := bufio.NewScanner(out)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		for sc.Scan() {
			mu.Lock()
			if len(lines) < 200 {
				lines = append(lines, sc.Text())
			}
			mu.Unlock()
			if strings.Contains(sc.Text(), "worker started") {
				once.Do(func() { close(ready) })
			}
		}
		_, _ = io.Copy(io.Discard, out)
		_ = cmd.Wait()
		close(p.exited)
	}()
	select {
	case <-ready:
		return p, nil
	case <-p.exited:
		mu.Lock()
		defer mu.Unlock()
		return nil, fmt.Errorf("%s exited before it started:\n%s", name, strings.Join(lines, "\n"))
	case <-time.After(time.Minute):
		p.stop()
		return nil, fmt.Errorf("%s did not start within a minute", name)
	case <-ctx.Done():
		p.stop()
		return nil, ctx.Err()
	}
}

// wugsyncExecutable returns the wugsync binary: this one when the bench
// runs as `wugsync bench`, else one built once into a temporary directory
// (a test binary cannot serve as `wugsync worker`).
func wugsyncExecutable(ctx context.Context) (string, func(), error) {
	self, err := os.Executable()
	if err == nil && filepath.Base(self) == "wugsync" {
		return self, func() {}, nil
	}
	dir, err := os.MkdirTemp("", "wugsync-bench-bin-")
	if err != nil {
		return "", nil, err
	}
	bin := filepath.Join(dir, "wugsync")
	build := exec.CommandContext(ctx, "go", "build", "-o", bin, "github.com/wugsync/wugsync/cmd/wugsync")
	if out, err := build.CombinedOutput(); err != nil {
		os.RemoveAll(dir)
		return "", nil, fmt.Errorf("go build wugsync: %w\n%s", err, out)
	}
	return bin, func() { os.RemoveAll(dir) }, nil
}
