package workers_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/sirupsen/logrus"
	"github.com/stretchr/testify/require"

	"github.com/wugsync/wugsync/api"
	"github.com/wugsync/wugsync/models"
	"github.com/wugsync/wugsync/netbox"
	"github.com/wugsync/wugsync/sim/wugsim"
	"github.com/wugsync/wugsync/tasks"
)

// TestFailedDeviceSyncAttemptReachesTheRow: WUG answers 500 to a device
// sync; the device's row, as GET /api/v1/ip-exports/{id} shows it, counts
// the attempt, keeps its error in the history and says it failed.
func TestFailedDeviceSyncAttemptReachesTheRow(t *testing.T) {
	t.Parallel()
	// Retries wait an hour: the test looks at the row after the first
	// attempt, before any retry could change it.
	b := setup(t, bundleOptions{devices: 5, retryBase: time.Hour})
	want := b.expected()
	var target int64
	for d, err := range b.nbClient.Devices(context.Background(), netbox.DeviceFilter{}) {
		require.NoError(t, err)
		if _, ok := want[fmt.Sprint(d.ID)]; ok {
			target = d.ID
			break
		}
	}
	require.NotZero(t, target)
	require.NoError(t, b.wug.SetFaults("PATCH /api/v1/devices/-/config/template", wugsim.Fault{ErrorRate: 1}))

	run := b.syncDevice(tasks.DeviceSyncPayload{NetBoxDeviceID: target, Trigger: "api"})
	require.Equal(t, models.RunFailed, run.Status)
	require.Contains(t, run.ErrorMessage, "HTTP 500")

	row, ok := b.rows()[target]
	require.True(t, ok, "planning recorded the device's row")
	var view struct {
		Attempts       int                    `json:"attempts"`
		ExportStatus   string                 `json:"export_status"`
		ErrorMessage   string                 `json:"error_message"`
		LastRunID      *uint                  `json:"last_run_id"`
		AttemptHistory []models.ExportAttempt `json:"attempt_history"`
	}
	b.getJSON(fmt.Sprintf("/api/v1/ip-exports/%d", row.ID), &view)
	require.Equal(t, 1, view.Attempts, "the failed attempt is counted on the row")
	require.Equal(t, string(models.ExportError), view.ExportStatus)
	require.Contains(t, view.ErrorMessage, "HTTP 500")
	require.NotNil(t, view.LastRunID)
	require.Equal(t, run.ID, *view.LastRunID)
	require.Len(t, view.AttemptHistory, 1, "the attempt's error is in the row's history")
	a := view.AttemptHistory[0]
	require.Equal(t, tasks.TypeDeviceSync, a.TaskType)
	require.Equal(t, 1, a.Attempt)
	require.Contains(t, a.Error, "HTTP 500")
	require.NotNil(t, a.RunID)
	require.Equal(t, run.ID, *a.RunID)
}

const apiTestToken = "attempts-test-token-0123456789abcdef"

// getJSON answers a GET of the API, served from this bundle's database
// and Redis, decoded into out.
func (b *testBundle) getJSON(path string, out any) {
	b.t.Helper()
	opt, err := asynq.ParseRedisURI(b.redis.URL)
	require.NoError(b.t, err)
	log := logrus.New()
	log.SetLevel(logrus.WarnLevel)
	srv, err := api.New(api.Params{DB: b.db, Redis: b.redis.Client, RedisOpt: opt, Enqueuer: b.enq,
		Sealer: b.stack.Sealer, APITokens: []string{apiTestToken}, Registry: prometheus.NewRegistry(),
		Log: logrus.NewEntry(log)})
	require.NoError(b.t, err)
	defer func() { require.NoError(b.t, srv.Close()) }()
	req := httptest.NewRequest(http.MethodGet, path, nil)
	req.Header.Set("Authorization", "Bearer "+apiTestToken)
	rec := httptest.NewRecorder()
	srv.ServeHTTP(rec, req)
	require.Equal(b.t, http.StatusOK, rec.Code, rec.Body.String())
	require.NoError(b.t, json.NewDecoder(strings.NewReader(rec.Body.String())).Decode(out))
}
