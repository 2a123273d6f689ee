package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"github.com/stretchr/testify/require"

	"github.com/wugsync/wugsync/config"
	"github.com/wugsync/wugsync/internal/testinfra"
	"github.com/wugsync/wugsync/models"
	"github.com/wugsync/wugsync/sim/netboxsim"
	"github.com/wugsync/wugsync/sim/wugsim"
	"github.com/wugsync/wugsync/tasks"
)

// leakCheckedRole is a role running as a subprocess (this test binary
// re-executed as wugsync) that checks for leaked goroutines when it exits.
type leakCheckedRole struct {
	name   string
	cmd    *exec.Cmd
	url    string // the API's, from its "API listening" line
	exited chan struct{}
	err    error

	mu  sync.Mutex
	out strings.Builder
}

func startLeakCheckedRole(t *testing.T, env map[string]string, readyMsg string, args ...string) *leakCheckedRole {
	t.Helper()
	r := &leakCheckedRole{name: args[0], cmd: exec.Command(os.Args[0], args...), exited: make(chan struct{})}
	r.cmd.Env = []string{envRunMain + "=1", envCheckLeaks + "=1"}
	for k, v := range env {
		r.cmd.Env = append(r.cmd.Env, k+"="+v)
	}
	pipe, err := r.cmd.StdoutPipe()
	require.NoError(t, err)
	r.cmd.Stderr = r.cmd.Stdout
	require.NoError(t, r.cmd.Start())
	ready := make(chan struct{})
	go func() {
		lines := bufio.NewScanner(pipe)
		signalled := false
		for lines.Scan() {
			r.mu.Lock()
			r.out.WriteString(lines.Text() + "\n")
			r.mu.Unlock()
			var l map[string]any
			if json.Unmarshal(lines.Bytes(), &l) == nil && l["msg"] == readyMsg && !signalled {
				signalled = true
				r.url, _ = l["url"].(string)
				close(ready)
			}
		}
		r.err = r.cmd.Wait()
		close(r.exited)
	}()
	t.Cleanup(func() {
		_ = r.cmd.Process.Kill()
		<-r.exited
	})
	select {
	case <-ready:
	case <-r.exited:
		t.Fatalf("%s exited before it was ready: %v\n%s", r.name, r.err, r.log())
	case <-time.After(hangGuard):
		t.Fatalf("%s not ready\n%s", r.name, r.log())
	}
	return r
}

func (r *leakCheckedRole) log() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.out.String()
}

// terminate sends SIGTERM and requires a clean exit: status 0, and not
// exitLeaked with goroutines left running.
func (r *leakCheckedRole) terminate(t *testing.T) {
	t.Helper()
	require.NoError(t, r.cmd.Process.Signal(syscall.SIGTERM))
	select {
	case <-r.exited:
	case <-time.After(hangGuard):
		t.Fatalf("%s did not exit after SIGTERM\n%s", r.name, r.log())
	}
	var exit *exec.ExitError
	if errors.As(r.err, &exit) && exit.ExitCode() == exitLeaked {
		t.Fatalf("%s leaked goroutines on shutdown:\n%s", r.name, r.log())
	}
	require.NoError(t, r.err, "%s exit status after SIGTERM\n%s", r.name, r.log())
}

// TestSIGTERMDuringARunLosesNothing runs api, worker and scheduler as
// processes, sends SIGTERM to the worker in the middle of an export (with a
// short shutdown timeout, so tasks in flight go back to the queue), and
// lets a new worker finish the run. The run ends exact with no task
// archived and no retry used, and each role, stopped by SIGTERM, exits 0
// with no goroutine left running (goleak).
func TestSIGTERMDuringARunLosesNothing(t *testing.T) {
	t.Parallel()
	redis := testinfra.NewRedis(t)
	if redis.Mini != nil {
		redis.Mini.ClockTTL(true) // as `wugsync all` does
	}
	database := testinfra.NewDatabase(t)
	db := testinfra.OpenMigrated(t, database)
	nb, err := netboxsim.New(netboxsim.Options{Devices: 800, Seed: 4})
	require.NoError(t, err)
	nbServer := httptest.NewServer(nb)
	t.Cleanup(nbServer.Close)
	wug := wugsim.New(wugsim.Options{Faults: map[string]wugsim.Fault{"*": {Latency: 30 * time.Millisecond}}})
	wugServer := httptest.NewServer(wug)
	t.Cleanup(func() {
		wug.Close()
		wugServer.CloseClientConnections()
		wugServer.Close()
	})

	token := strings.Repeat("t", 40)
	env := map[string]string{
		config.EnvRedisURL:          redis.URL,
		config.EnvDatabaseURL:       database.URL,
		config.EnvNetBoxURL:         nbServer.URL,
		config.EnvNetBoxToken:       netboxsim.DefaultToken,
		config.EnvAPIToken:          token,
		config.EnvSecretKey:         strings.Repeat("5a", 32),
		config.EnvHTTPAddr:          "127.0.0.1:0",
		config.EnvLogFormat:         "json",
		config.EnvLogLevel:          "info",
		config.EnvWorkerConcurrency: "4",
	}
	api := startLeakCheckedRole(t, env, "API listening", "api")
	worker := startLeakCheckedRole(t, env, "worker started", "worker", "--health-addr", "127.0.0.1:0", "--shutdown-timeout", "1s")
	scheduler := startLeakCheckedRole(t, env, "scheduler started", "scheduler", "--health-addr", "127.0.0.1:0")

	connID := createConnection(t, api.url, token, wugServer.URL)
	require.NoError(t, db.Model(&models.WUGConnection{}).Where("id = ?", connID).
		Updates(map[string]any{"batch_size": 20, "rate_limit_per_second": 500, "max_concurrent_requests": 20}).Error)
	req, err := http.NewRequest(http.MethodPost, fmt.Sprintf("%s/api/v1/connections/%d/export", api.url, connID), strings.NewReader(`{}`))
	require.NoError(t, err)
	req.Header.Set("Authorization", "Token "+token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	var started struct {
		RunID uint `json:"run_id"`
	}
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&started))
	resp.Body.Close()
	require.Equal(t, http.StatusAccepted, resp.StatusCode)

	waitRun := func(what string, done func(models.WUGSyncLog) bool) models.WUGSyncLog {
		deadline := time.Now().Add(hangGuard)
		for {
			var run models.WUGSyncLog
			if err := db.First(&run, started.RunID).Error; err == nil && done(run) {
				return run
			}
			require.False(t, time.Now().After(deadline), "run %d: %s did not happen", started.RunID, what)
			time.Sleep(100 * time.Millisecond) // polling the database
		}
	}
	run := waitRun("a third of the batches", func(r models.WUGSyncLog) bool {
		return (r.BatchesTotal > 0 && r.BatchesDone >= r.BatchesTotal/3) || !r.Status.Active()
	})
	require.True(t, run.Status.Active(), "the run ended before SIGTERM")
	worker.terminate(t)
	require.True(t, waitRun("", func(models.WUGSyncLog) bool { return true }).Status.Active(),
		"the run must still be open when its worker stopped, or this test proves nothing")

	successor := startLeakCheckedRole(t, env, "worker started", "worker", "--health-addr", "127.0.0.1:0")
	run = waitRun("the end of the run", func(r models.WUGSyncLog) bool { return !r.Status.Active() })
	require.Equal(t, models.RunCompleted, run.Status, run.ErrorMessage)
	require.Zero(t, run.DevicesFailed)
	require.Equal(t, run.DevicesCreated, wug.DeviceCount(), "every created device is in WUG once")
	var exported int64
	require.NoError(t, db.Model(&models.NetBoxIPExport{}).Where("export_status = ? AND wug_device_id <> ''", models.ExportExported).Count(&exported).Error)
	require.EqualValues(t, run.DevicesCreated, exported)

	inspector := asynq.NewInspectorFromRedisClient(redis.Client)
	archived, err := inspector.ListArchivedTasks(tasks.QueueDefault)
	require.NoError(t, err)
	require.Empty(t, archived)
	retrying, err := inspector.ListRetryTasks(tasks.QueueDefault)
	require.NoError(t, err)
	require.Empty(t, retrying, "a task was re-queued as a failure instead of going back to the queue")

	successor.terminate(t)
	scheduler.terminate(t)
	api.terminate(t)
}
