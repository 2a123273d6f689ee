package main

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"
	"github.com/spf13/cobra"
	"github.com/stretchr/testify/require"

	"github.com/wugsync/wugsync/config"
	"github.com/wugsync/wugsync/internal/testinfra"
	"github.com/wugsync/wugsync/models"
	"github.com/wugsync/wugsync/sim/netboxsim"
	"github.com/wugsync/wugsync/tasks"
)

// runningRole is a long-running command started by startRole.
type runningRole struct {
	info startedInfo
	stop func() error
}

// startRole runs a command in the background with vars and args, returns
// once it serves, and stops it when the test ends if the test did not.
func startRole(t *testing.T, newCommand func(environment) *cobra.Command, vars map[string]string, args ...string) runningRole {
	t.Helper()
	own := map[string]string{}
	for k, v := range vars {
		own[k] = v
	}
	env := testEnvironment(own)
	started := make(chan startedInfo, 1)
	env.started = func(info startedInfo) { started <- info }
	ctx, cancel := context.WithCancel(context.Background())
	cmd := newCommand(env)
	cmd.SetOut(io.Discard)
	cmd.SetArgs(append([]string{}, args...))
	done := make(chan error, 1)
	go func() { done <- cmd.ExecuteContext(ctx) }()
	var info startedInfo
	select {
	case info = <-started:
	case err := <-done:
		cancel()
		t.Fatalf("%s stopped before serving: %v", cmd.Name(), err)
	}
	var result error
	stopped := false
	stop := func() error {
		if !stopped {
			stopped = true
			cancel()
			result = <-done
		}
		return result
	}
	t.Cleanup(func() { _ = stop() })
	return runningRole{info: info, stop: stop}
}

func body(t *testing.T, url string) string {
	t.Helper()
	resp, err := http.Get(url)
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode, url)
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return string(b)
}

// TestSeparateRolesWorkTogether runs api, worker and scheduler as separate
// commands on one Redis and one database, as a deployment does: a
// connection created through the API one export interval ago is exported
// on the scheduler's first tick by the worker, and every role stops cleanly.
func TestSeparateRolesWorkTogether(t *testing.T) {
	t.Parallel()
	stack := testinfra.NewStack(t, testinfra.StackOptions{NetBox: netboxsim.Options{Devices: 40, Seed: 9}})
	redis, db, wug := stack.Redis, stack.DB, stack.WUG // the database is migrated, as `wugsync migrate` does

	token := strings.Repeat("c", 40)
	vars := stack.Vars()
	vars[config.EnvAPIToken] = token
	vars[config.EnvHTTPAddr] = "127.0.0.1:0"
	api := startRole(t, newAPICommand, vars)
	worker := startRole(t, newWorkerCommand, vars, "--health-addr", "127.0.0.1:0", "--shutdown-timeout", "5s")

	// A person creates a connection through the API. Its first scheduled
	// export comes one interval later: make that interval have passed.
	connID := createConnection(t, api.info.APIURL, token, stack.WUGURL)
	require.NoError(t, db.Exec("UPDATE wug_connections SET created_at = ? WHERE id = ?",
		time.Now().UTC().Add(-time.Duration(models.DefaultExportIntervalMinutes+1)*time.Minute), connID).Error)

	// The scheduler's first tick finds the connection due and starts a run.
	ctx := context.Background()
	sub := redis.Client.Subscribe(ctx, tasks.RunEndedChannel(redis.Client))
	defer sub.Close()
	_, err := sub.Receive(ctx)
	require.NoError(t, err)
	scheduler := startRole(t, newSchedulerCommand, vars, "--health-addr", "127.0.0.1:0")
	var msg *goredis.Message
	select {
	case msg = <-sub.Channel():
	case <-time.After(hangGuard):
		t.Fatal("no run ended: the scheduler did not start the export, or no worker ran it")
	}
	var run models.WUGSyncLog
	require.NoError(t, db.First(&run, msg.Payload).Error)
	require.Equal(t, connID, run.ConnectionID)
	require.Equal(t, models.TriggerScheduled, run.Trigger)
	require.Equal(t, models.RunCompleted, run.Status, run.ErrorMessage)
	require.Positive(t, run.DevicesCreated)
	require.Equal(t, run.DevicesCreated, wug.DeviceCount())

	// Probes and metrics of the roles without an API.
	require.Equal(t, "ok\n", body(t, worker.info.HealthURL+"/healthz"))
	require.Equal(t, "ready\n", body(t, worker.info.HealthURL+"/readyz"))
	require.Contains(t, body(t, worker.info.HealthURL+"/metrics"), `wugsync_task_duration_seconds_count{outcome="ok",type="netbox:export"}`)
	require.Equal(t, "ready\n", body(t, scheduler.info.HealthURL+"/readyz"))
	require.Equal(t, http.StatusOK, status(t, api.info.APIURL+"/readyz", ""))

	require.NoError(t, scheduler.stop())
	require.NoError(t, worker.stop())
	require.NoError(t, api.stop())
	_, err = http.Get(worker.info.HealthURL + "/healthz")
	require.Error(t, err, "the probe server stops with the worker")
}
