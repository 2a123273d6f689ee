package bench

import (
	"bufio"
	"bytes"
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/hibiken/asynq"

	"github.com/wugsync/wugsync/config"
	"github.com/wugsync/wugsync/sim/netboxsim"
)

// workerProcess is one `wugsync worker` running as its own OS process
// against the bench's Redis, database and simulated NetBox, as in
// production: its own heap, Redis pool, limiter clients and asynq server.
type workerProcess struct {
	cmd    *exec.Cmd
	stderr *tailBuffer
	exited chan struct{}
	err    error // the process's exit error, once exited is closed
}

// workerBinary is the wugsync executable the worker processes run: the
// running program when it is wugsync itself (`wugsync bench`, `go run
// ./cmd/wugsync bench`), otherwise (a test binary) one built once into a
// temporary directory.
var workerBinary = struct {
	once sync.Once
	path string
	err  error
}{}

// Binary, when set (cmd/wugsync does), is the wugsync executable to start
// worker processes from; empty builds one from this module.
var Binary string

func wugsyncBinary(ctx context.Context) (string, error) {
	if Binary != "" {
		return Binary, nil
	}
	workerBinary.once.Do(func() {
		gomod, err := exec.CommandContext(ctx, "go", "env", "GOMOD").Output()
		if err != nil {
			workerBinary.err = fmt.Errorf("find the module to build wugsync: %w", err)
			return
		}
		root := filepath.Dir(strings.TrimSpace(string(gomod)))
		dir, err := os.MkdirTemp("", "wugsync-bench-bin-")
		if err != nil {
			workerBinary.err = err
			return
		}
		out := filepath.Join(dir, "wugsync")
		build := exec.CommandContext(ctx, "go", "build", "-o", out, "./cmd/wugsync")
		build.Dir = root
		if msg, err := build.CombinedOutput(); err != nil {
			workerBinary.err = fmt.Errorf("build wugsync for worker processes: %w: %s", err, msg)
			return
		}
		workerBinary.path = out
	})
	return workerBinary.path, workerBinary.err
}

// workerEnv is the environment of a worker process of e: the production
// defaults for everything not named here. Variables of the bench's own
// environment that would change the worker (WUGSYNC_*, and GOGC or
// GOMEMLIMIT, which the memory target forbids) are left out.
func (e *env) workerEnv(extra ...string) []string {
	var out []string
	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(name, "WUGSYNC_") || name == "GOGC" || name == "GOMEMLIMIT" || name == "GODEBUG" {
			continue
		}
		out = append(out, kv)
	}
	out = append(out,
		config.EnvRedisURL+"="+e.redisURL,
		config.EnvDatabaseURL+"="+e.dbURL,
		config.EnvNetBoxURL+"="+e.nbURL,
		config.EnvNetBoxToken+"="+netboxsim.DefaultToken,
		config.EnvSecretKey+"="+hex.EncodeToString(benchSecretKey),
		config.EnvLogLevel+"=warning",
	)
	return append(out, extra...)
}

// startWorkerProcess starts `wugsync worker` against e and waits until its
// asynq server has registered in Redis, so that tasks enqueued afterwards
// are picked up by it. extraEnv (NAME=value) overrides the defaults, e.g.
// WUGSYNC_WORKER_CONCURRENCY or WUGSYNC_NETBOX_RATE_LIMIT. Stop it with
// stop; Peak reads its VmHWM while it runs.
func startWorkerProcess(ctx context.Context, e *env, extraEnv ...string) (*workerProcess, error) {
	return startWorkerProcessArgs(ctx, e, nil, extraEnv...)
}

// startWorkerProcessArgs is startWorkerProcess with more arguments after
// `worker` (a diagnostic's flags).
func startWorkerProcessArgs(ctx context.Context, e *env, args []string, extraEnv ...string) (*workerProcess, error) {
	bin, err := wugsyncBinary(ctx)
	if err != nil {
		return nil, err
	}
	// Not CommandContext: the bench stops the worker with SIGTERM, as an
	// orchestrator would, and kills it only if it does not stop.
	cmd := exec.Command(bin, append([]string{"worker"}, args...)...)
	cmd.Env = e.workerEnv(extraEnv...)
	p := &workerProcess{cmd: cmd, stderr: &tailBuffer{max: 16 << 10}, exited: make(chan struct{})}
	cmd.Stdout = p.stderr
	cmd.Stderr = p.stderr
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start wugsync worker: %w", err)
	}
	go func() {
		p.err = cmd.Wait()
		close(p.exited)
	}()
	insp := asynq.NewInspector(e.redisOp)
	defer insp.Close()
	deadline := time.NewTimer(60 * time.Second)
	defer deadline.Stop()
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		servers, _ := insp.Servers()
		for _, s := range servers {
			if s.PID == cmd.Process.Pid {
				return p, nil
			}
		}
		select {
		case <-p.exited:
			return nil, fmt.Errorf("wugsync worker exited before serving (%v): %s", p.err, p.stderr.String())
		case <-ctx.Done():
			p.stop()
			return nil, ctx.Err()
		case <-deadline.C:
			p.stop()
			return nil, fmt.Errorf("wugsync worker did not register with asynq within 60 s: %s", p.stderr.String())
		case <-tick.C:
		}
	}
}

// pid is the worker's process id.
func (p *workerProcess) pid() int { return p.cmd.Process.Pid }

// peakRSS is the worker's peak resident set size so far (VmHWM), in bytes.
func (p *workerProcess) peakRSS() (uint64, error) {
	data, err := os.ReadFile("/proc/" + strconv.Itoa(p.pid()) + "/status")
	if err != nil {
		return 0, fmt.Errorf("read worker status: %w", err)
	}
	return parseVmHWM(data)
}

// stop sends SIGTERM and waits for the worker to end; after 30 s it is
// killed. It returns what the worker wrote when it did not end cleanly.
func (p *workerProcess) stop() error {
	select {
	case <-p.exited:
	default:
		_ = p.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-p.exited:
		case <-time.After(30 * time.Second):
			_ = p.cmd.Process.Kill()
			<-p.exited
			return fmt.Errorf("wugsync worker %d ignored SIGTERM for 30 s: %s", p.pid(), p.stderr.String())
		}
	}
	if p.err != nil {
		return fmt.Errorf("wugsync worker %d: %w: %s", p.pid(), p.err, p.stderr.String())
	}
	return nil
}

// parseVmHWM reads the VmHWM line ("VmHWM:   123456 kB") of a
// /proc/<pid>/status file, in bytes.
func parseVmHWM(status []byte) (uint64, error) {
	sc := bufio.NewScanner(bytes.NewReader(status))
	for sc.Scan() {
		rest, ok := strings.CutPrefix(sc.Text(), "VmHWM:")
		if !ok {
			continue
		}
		fields := strings.Fields(rest)
		if len(fields) != 2 || fields[1] != "kB" {
			return 0, fmt.Errorf("VmHWM line %q: want a number of kB", sc.Text())
		}
		kb, err := strconv.ParseUint(fields[0], 10, 64)
		if err != nil {
			return 0, fmt.Errorf("VmHWM line %q: %w", sc.Text(), err)
		}
		return kb * 1024, nil
	}
	return 0, errors.New("no VmHWM line in the process status")
}

// tailBuffer keeps the last max bytes written to it.
type tailBuffer struct {
	mu  sync.Mutex
	max int
	buf []byte
}

func (t *tailBuffer) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.buf = append(t.buf, p...)
	if len(t.buf) > t.max {
		t.buf = append(t.buf[:0], t.buf[len(t.buf)-t.max:]...)
	}
	return len(p), nil
}

func (t *tailBuffer) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return strings.TrimSpace(string(t.buf))
}
