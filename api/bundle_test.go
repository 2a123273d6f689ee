package api

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"
	"github.com/hibiken/asynq"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/stretchr/testify/require"
	"gorm.io/gorm"

	"github.com/wugsync/wugsync/internal/testinfra"
	"github.com/wugsync/wugsync/models"
	"github.com/wugsync/wugsync/tasks"
)

const testToken = "test-token-0123456789abcdef"

// testBundle is one API server on its own database and Redis, reached over
// real HTTP.
type testBundle struct {
	srv       *Server
	http      *httptest.Server
	db        *gorm.DB
	redis     testinfra.Redis
	inspector *asynq.Inspector
	sealer    *models.Sealer
	registry  *prometheus.Registry
	params    Params
}

// setup starts a server; edit adjusts its Params before New.
func setup(t testing.TB, edit ...func(*Params)) *testBundle {
	t.Helper()
	stack := testinfra.NewStack(t, testinfra.StackOptions{NoSimulators: true})
	db, rds, sealer := stack.DB, stack.Redis, stack.Sealer
	opt, err := asynq.ParseRedisURI(rds.URL)
	require.NoError(t, err)
	p := Params{
		DB: db, Redis: rds.Client, RedisOpt: opt, Enqueuer: stack.Enqueuer().WithClock(pinnedClock.Now), Sealer: sealer,
		APITokens: []string{testToken}, WebhookSecret: "hook-secret", Registry: prometheus.NewRegistry(),
	}
	for _, e := range edit {
		e(&p)
	}
	srv, err := New(p)
	require.NoError(t, err)
	ts := httptest.NewServer(srv)
	t.Cleanup(func() {
		ts.Close()
		require.NoError(t, srv.Close())
	})
	return &testBundle{srv: srv, http: ts, db: db, redis: rds, sealer: sealer, registry: p.Registry, params: p,
		inspector: asynq.NewInspectorFromRedisClient(rds.Client)}
}

// reply is one HTTP answer.
type reply struct {
	Status int
	Header http.Header
	Body   []byte
}

func (r reply) json(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	require.NoError(t, json.Unmarshal(r.Body, &m), "body: %s", r.Body)
	return m
}

// errorOf returns the "error" object of an error body.
func (r reply) errorOf(t *testing.T) map[string]any {
	t.Helper()
	e, ok := r.json(t)["error"].(map[string]any)
	require.True(t, ok, "no error object in %s", r.Body)
	return e
}

type reqOption func(*http.Request)

func withAuth(value string) reqOption {
	return func(r *http.Request) { r.Header.Set("Authorization", value) }
}

func withoutAuth() reqOption { return func(r *http.Request) { r.Header.Del("Authorization") } }

func withHeader(k, v string) reqOption { return func(r *http.Request) { r.Header.Set(k, v) } }

func withCookie(c *http.Cookie) reqOption {
	return func(r *http.Request) {
		r.Header.Del("Authorization")
		r.AddCookie(c)
	}
}

// call sends a request (body: nil, string or []byte as is, anything else
// as JSON) with the test token, and checks every JSON answer of a
// documented route against the OpenAPI document.
func (b *testBundle) call(t *testing.T, method, path string, body any, opts ...reqOption) reply {
	t.Helper()
	req := b.request(t, method, path, body, opts...)
	r, err := send(req)
	require.NoError(t, err)
	validateAgainstDoc(t, b.srv, req, r)
	return r
}

// request builds a request with the test token.
func (b *testBundle) request(t *testing.T, method, path string, body any, opts ...reqOption) *http.Request {
	t.Helper()
	var raw []byte
	switch v := body.(type) {
	case nil:
	case string:
		raw = []byte(v)
	case []byte:
		raw = v
	default:
		var err error
		raw, err = json.Marshal(v)
		require.NoError(t, err)
	}
	req, err := http.NewRequest(method, b.http.URL+path, bytes.NewReader(raw))
	require.NoError(t, err)
	if raw != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Authorization", "Token "+testToken)
	for _, o := range opts {
		o(req)
	}
	return req
}

// send performs a request without touching t, so goroutines may use it.
func send(req *http.Request) (reply, error) {
	resp, err := noRedirects.Do(req)
	if err != nil {
		return reply{}, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return reply{}, err
	}
	return reply{Status: resp.StatusCode, Header: resp.Header, Body: data}, nil
}

var noRedirects = &http.Client{
	Timeout:       60 * time.Second,
	CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
}

var (
	docOnce   sync.Once
	docRouter routers.Router
	docErr    error
)

// validateAgainstDoc checks a JSON answer against the document: its status
// must be documented for the operation, and its body must match.
func validateAgainstDoc(t *testing.T, srv *Server, req *http.Request, r reply) {
	t.Helper()
	if !strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") {
		return
	}
	if strings.HasPrefix(req.URL.Path, MonitoringRoot+"/api/") {
		// asynqmon's own JSON API, documented by asynqmon, not by us.
		return
	}
	docOnce.Do(func() {
		loader := openapi3.NewLoader()
		doc, err := loader.LoadFromData(srv.openapi)
		if err != nil {
			docErr = err
			return
		}
		if docErr = doc.Validate(context.Background()); docErr != nil {
			return
		}
		docRouter, docErr = gorillamux.NewRouter(doc)
	})
	require.NoError(t, docErr, "OpenAPI document")
	route, params, err := docRouter.FindRoute(req)
	if err != nil {
		// Only the catch-all answers are outside the document.
		require.Contains(t, []int{http.StatusNotFound, http.StatusMethodNotAllowed}, r.Status,
			"%s %s answered %d but is not in the document: %v", req.Method, req.URL.Path, r.Status, err)
		return
	}
	input := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route},
		Status:                 r.Status,
		Header:                 r.Header,
		Body:                   io.NopCloser(bytes.NewReader(r.Body)),
		Options:                &openapi3filter.Options{IncludeResponseStatus: true, MultiError: true},
	}
	require.NoError(t, openapi3filter.ValidateResponse(context.Background(), input),
		"%s %s → %d %s", req.Method, req.URL.Path, r.Status, r.Body)
}

// createConnection adds a connection through the API and returns its id.
func (b *testBundle) createConnection(t *testing.T, name string, extra map[string]any) uint {
	t.Helper()
	body := map[string]any{"name": name, "host": "wug-" + strings.ToLower(name) + ".example.net",
		"username": "admin", "password": "s3cret-pass"}
	for k, v := range extra {
		body[k] = v
	}
	r := b.call(t, http.MethodPost, "/api/v1/connections", body)
	require.Equal(t, http.StatusCreated, r.Status, "create: %s", r.Body)
	return uint(r.json(t)["id"].(float64))
}

// insertRun records a run directly, as a worker would have.
func (b *testBundle) insertRun(t *testing.T, connectionID uint, status models.RunStatus) models.WUGSyncLog {
	t.Helper()
	run := models.WUGSyncLog{ConnectionID: connectionID, SyncType: models.SyncExport, Trigger: models.TriggerManual, Status: status}
	if !status.Active() {
		now := time.Now().UTC()
		run.EndedAt = &now
	}
	require.NoError(t, b.db.Create(&run).Error)
	return run
}

// insertExport records an export row directly.
func (b *testBundle) insertExport(t *testing.T, row models.NetBoxIPExport) models.NetBoxIPExport {
	t.Helper()
	if row.ExportReason == "" {
		row.ExportReason = models.ReasonNewDevice
	}
	if row.ExportStatus == "" {
		row.ExportStatus = models.ExportExported
	}
	require.NoError(t, b.db.Create(&row).Error)
	return row
}

// scheduledTasks lists the tasks waiting in a queue (debounced syncs are
// scheduled, exports pending), decoded by type.
func (b *testBundle) queuedTasks(t *testing.T, queue string) []*asynq.TaskInfo {
	t.Helper()
	var out []*asynq.TaskInfo
	pending, err := b.inspector.ListPendingTasks(queue)
	if errors.Is(err, asynq.ErrQueueNotFound) {
		return nil // nothing was ever queued there
	}
	require.NoError(t, err)
	scheduled, err := b.inspector.ListScheduledTasks(queue)
	require.NoError(t, err)
	return append(append(out, pending...), scheduled...)
}

// syncedDevices returns the device ids of the queued tasks of one type.
func (b *testBundle) syncedDevices(t *testing.T, taskType string) []int64 {
	t.Helper()
	var ids []int64
	for _, info := range b.queuedTasks(t, tasks.QueueCritical) {
		if info.Type != taskType {
			continue
		}
		var p struct {
			NetBoxDeviceID int64 `json:"netbox_device_id"`
		}
		require.NoError(t, json.Unmarshal(info.Payload, &p))
		if p.NetBoxDeviceID != 0 { // a VM's task names no device
			ids = append(ids, p.NetBoxDeviceID)
		}
	}
	return ids
}

// syncedVMs lists the NetBox VM ids of the queued tasks of one type.
func (b *testBundle) syncedVMs(t *testing.T, taskType string) []int64 {
	t.Helper()
	var ids []int64
	for _, info := range b.queuedTasks(t, tasks.QueueCritical) {
		if info.Type != taskType {
			continue
		}
		var p struct {
			NetBoxVMID int64 `json:"netbox_vm_id"`
		}
		require.NoError(t, json.Unmarshal(info.Payload, &p))
		if p.NetBoxVMID != 0 {
			ids = append(ids, p.NetBoxVMID)
		}
	}
	return ids
}

func path(format string, args ...any) string { return fmt.Sprintf(format, args...) }

// pinnedClock keeps every enqueue of a test in one debounce window, so a
// burst of syncs for one device is exactly one task.
var pinnedClock = testinfra.NewClock(time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC))
