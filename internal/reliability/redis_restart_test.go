package reliability

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"github.com/stretchr/testify/require"

	"github.com/wugsync/wugsync/config"
	"github.com/wugsync/wugsync/models"
	"github.com/wugsync/wugsync/tasks"
)

// TestRedisRestart restarts the Redis of every role in the middle of an
// export: once with persistence, where every queued task survives, and
// once with its data lost, where the workers queue the open run's
// unfinished batches again from the database. Every role reconnects, the
// run completes exact, and while Redis is down the API answers 503 where
// it needs Redis and /readyz says why.
func TestRedisRestart(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		lose bool
	}{
		{name: "AppendOnly", lose: false},
		{name: "DataLost", lose: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			redis := startRedisServer(t, !tc.lose)
			b := setup(t, bundleOptions{devices: 1500, batchSize: 25, wugLatency: 40 * time.Millisecond, redisURL: redis.URL()})
			token := strings.Repeat("r", 40)
			apiEnv := map[string]string{config.EnvAPIToken: token, config.EnvHTTPAddr: freeAddr(t)}
			for k, v := range b.env {
				apiEnv[k] = v
			}
			api := startProc(t, "api", apiEnv, "API listening", "api")
			apiURL := "http://" + apiEnv[config.EnvHTTPAddr]
			worker := b.startWorker("worker")
			scheduler := startProc(t, "scheduler", b.env, "scheduler started", "scheduler", "--health-addr", "127.0.0.1:0")

			run := b.startExport()
			run = b.waitRun(run.ID, "a third of the batches", func(r models.WUGSyncLog) bool {
				return (r.BatchesTotal > 0 && r.BatchesDone >= r.BatchesTotal/3) || !r.Status.Active()
			})
			require.True(t, run.Status.Active(), "the run ended before Redis went away")

			inspector := asynq.NewInspectorFromRedisClient(b.redisClient())
			var queued []string
			if !tc.lose {
				// Hold the queue so the tasks queued now are still queued
				// after the restart, where the test looks for them.
				require.NoError(t, inspector.PauseQueue(tasks.QueueDefault))
				pending, err := inspector.ListPendingTasks(tasks.QueueDefault, asynq.PageSize(1000))
				require.NoError(t, err)
				for _, p := range pending {
					queued = append(queued, p.ID)
				}
				require.NotEmpty(t, queued)
			}

			redis.stop(tc.lose)
			code, text := get(t, apiURL+"/readyz", "")
			require.Equal(t, http.StatusServiceUnavailable, code, text)
			require.Contains(t, text, "redis")
			code, text = post(t, apiURL+"/api/v1/netbox-devices/1/sync", token)
			require.Equal(t, http.StatusServiceUnavailable, code, text)
			code, text = get(t, apiURL+"/api/v1/connections", token)
			require.Equal(t, http.StatusOK, code, "a route that needs only the database keeps working: %s", text)

			redis.start()
			back := time.Now()
			if !tc.lose {
				for _, id := range queued {
					_, err := inspector.GetTaskInfo(tasks.QueueDefault, id)
					require.NoError(t, err, "queued task %s did not survive the restart", id)
				}
				require.NoError(t, inspector.UnpauseQueue(tasks.QueueDefault))
			}
			doneBefore := b.loadRun(run.ID).BatchesDone
			b.waitRun(run.ID, "progress after Redis came back", func(r models.WUGSyncLog) bool {
				return r.BatchesDone > doneBefore || !r.Status.Active()
			})
			firstProgress := time.Since(back)
			run = b.waitRun(run.ID, "the end of the run", func(r models.WUGSyncLog) bool { return !r.Status.Active() })
			b.requireExact(run)
			t.Logf("Redis back: first batch done %s later, run ended %s later", firstProgress.Round(100*time.Millisecond),
				time.Since(back).Round(100*time.Millisecond))

			code, text = get(t, apiURL+"/readyz", "")
			require.Equal(t, http.StatusOK, code, text)
			for _, p := range []*proc{api, worker, scheduler} {
				require.NoError(t, p.terminate(), "%s stops cleanly after the restart", p.name)
			}
		})
	}
}

// freeAddr returns a loopback address no one listens on right now.
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	require.NoError(t, ln.Close())
	return addr
}

func get(t *testing.T, url, token string) (int, string) {
	return do(t, http.MethodGet, url, token)
}

func post(t *testing.T, url, token string) (int, string) {
	return do(t, http.MethodPost, url, token)
}

func do(t *testing.T, method, url, token string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, url, nil)
	require.NoError(t, err)
	if token != "" {
		req.Header.Set("Authorization", "Token "+token)
	}
	client := &http.Client{Timeout: 30 * time.Second}
	resp, err := client.Do(req)
	require.NoError(t, err, "%s %s", method, url)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp.StatusCode, fmt.Sprintf("%s", b)
}
