package api

import (
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/gin-gonic/gin"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/require"
)

func TestHealthAndReadiness(t *testing.T) {
	t.Parallel()
	b := setup(t)
	r := b.call(t, http.MethodGet, "/healthz", nil, withoutAuth())
	require.Equal(t, http.StatusOK, r.Status)
	require.Equal(t, "ok", r.json(t)["status"])
	r = b.call(t, http.MethodGet, "/readyz", nil, withoutAuth())
	require.Equal(t, http.StatusOK, r.Status)
	require.Equal(t, "ready", r.json(t)["status"])
}

func TestReadinessFailsWithoutRedis(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	dead := ln.Addr().String()
	require.NoError(t, ln.Close())
	b := setup(t, func(p *Params) {
		p.Redis = redis.NewClient(&redis.Options{Addr: dead, MaxRetries: -1})
	})
	r := b.call(t, http.MethodGet, "/readyz", nil, withoutAuth())
	require.Equal(t, http.StatusServiceUnavailable, r.Status)
	require.Contains(t, r.errorOf(t)["message"], "redis")
	require.Equal(t, http.StatusOK, b.call(t, http.MethodGet, "/healthz", nil, withoutAuth()).Status, "alive all the same")
}

func TestMetrics(t *testing.T) {
	t.Parallel()
	b := setup(t)
	shared := prometheus.NewCounter(prometheus.CounterOpts{Name: "wugsync_shared_registry_probe_total", Help: "test"})
	b.registry.MustRegister(shared)
	shared.Inc()
	id := b.createConnection(t, "lab", nil)
	require.Equal(t, http.StatusAccepted, b.call(t, http.MethodPost, path("/api/v1/connections/%d/export", id), nil).Status)
	b.call(t, http.MethodGet, path("/api/v1/connections/%d", id), nil)

	r := b.call(t, http.MethodGet, "/metrics", nil, withoutAuth())
	require.Equal(t, http.StatusOK, r.Status, "open without WUGSYNC_METRICS_TOKEN")
	text := string(r.Body)
	require.Contains(t, text, `wugsync_http_requests_total{method="GET",route="/api/v1/connections/:id",status="200"} 1`)
	require.Contains(t, text, `wugsync_http_request_duration_seconds_bucket{method="POST",route="/api/v1/connections"`)
	require.Contains(t, text, `asynq_queue_size{queue="default"} 1`, "queue metrics from Redis")
	require.Contains(t, text, "wugsync_shared_registry_probe_total 1", "the shared registry is served")
	require.NotContains(t, text, "/api/v1/connections/1\"", "routes are templates, not raw paths")
}

func TestMetricsToken(t *testing.T) {
	t.Parallel()
	b := setup(t, func(p *Params) { p.MetricsToken = "scrape-me" })
	require.Equal(t, http.StatusUnauthorized, b.call(t, http.MethodGet, "/metrics", nil, withoutAuth()).Status)
	require.Equal(t, http.StatusForbidden, b.call(t, http.MethodGet, "/metrics", nil).Status, "an API token is not the metrics token")
	require.Equal(t, http.StatusOK, b.call(t, http.MethodGet, "/metrics", nil, withAuth("Bearer scrape-me")).Status)
}

func TestWebhookMetrics(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.postWebhook(t, []byte(`{}`), "00")
	r := b.call(t, http.MethodGet, "/metrics", nil, withoutAuth())
	require.Contains(t, string(r.Body), `wugsync_webhooks_total{object_type="unknown",outcome="bad_signature"} 1`)
}

func TestUnknownRoutesAndMethods(t *testing.T) {
	t.Parallel()
	b := setup(t)
	r := b.call(t, http.MethodGet, "/api/v1/nothing-here", nil)
	require.Equal(t, http.StatusNotFound, r.Status)
	require.Equal(t, CodeNotFound, r.errorOf(t)["code"])
	r = b.call(t, http.MethodPut, "/api/v1/connections", nil)
	require.Equal(t, http.StatusMethodNotAllowed, r.Status)
	require.Equal(t, CodeMethodNotAllowed, r.errorOf(t)["code"])
	require.Equal(t, "nosniff", r.Header.Get("X-Content-Type-Options"))
}

func TestHandlerPanicAnswersJSON(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.srv.engine.GET("/test-panic", func(*gin.Context) { panic("boom") })
	r, err := send(b.request(t, http.MethodGet, "/test-panic", nil))
	require.NoError(t, err)
	require.Equal(t, http.StatusInternalServerError, r.Status)
	require.Equal(t, CodeInternal, r.errorOf(t)["code"])
	require.NotContains(t, string(r.Body), "boom", "the cause stays in the log")
	require.Equal(t, http.StatusOK, b.call(t, http.MethodGet, "/healthz", nil).Status, "the server survives")
}

func TestOpenAPIDocumentCoversEveryRoute(t *testing.T) {
	t.Parallel()
	b := setup(t)
	r := b.call(t, http.MethodGet, "/api/v1/openapi.json", nil)
	require.Equal(t, http.StatusOK, r.Status)
	doc, err := openapi3.NewLoader().LoadFromData(r.Body)
	require.NoError(t, err)
	require.NoError(t, doc.Validate(context.Background()))

	for _, rt := range b.srv.engine.Routes() {
		item := doc.Paths.Value(openAPIPath(rt.Path))
		require.NotNil(t, item, "%s is not in the document", rt.Path)
		op := item.GetOperation(rt.Method)
		require.NotNil(t, op, "%s %s is not in the document", rt.Method, rt.Path)
		require.NotEmpty(t, op.Summary)
		if rt.Path != "/healthz" && rt.Path != "/readyz" && !strings.HasPrefix(rt.Path, "/login") &&
			rt.Path != "/logout" && rt.Path != "/" && !strings.HasPrefix(rt.Path, "/favicon.") {
			require.NotNil(t, op.Responses.Value("401"), "%s %s documents its 401", rt.Method, rt.Path)
		}
	}
	routes := 0
	for _, item := range doc.Paths.Map() {
		routes += len(item.Operations())
	}
	require.Equal(t, len(b.srv.engine.Routes()), routes, "the document has no route the server lacks")
}

// TestResponseValidationCatchesDrift shows the validation every test runs
// is not vacuous: an answer with a field the document lacks fails it.
func TestResponseValidationCatchesDrift(t *testing.T) {
	t.Parallel()
	b := setup(t)
	id := b.createConnection(t, "lab", nil)
	req := b.request(t, http.MethodGet, path("/api/v1/connections/%d", id), nil)
	good := b.call(t, http.MethodGet, path("/api/v1/connections/%d", id), nil)
	for name, body := range map[string][]byte{
		"extra field":   bytes.Replace(good.Body, []byte(`"has_password":true`), []byte(`"has_password":true,"password":"x"`), 1),
		"wrong type":    bytes.Replace(good.Body, []byte(`"has_password":true`), []byte(`"has_password":"yes"`), 1),
		"missing field": bytes.Replace(good.Body, []byte(`,"has_password":true`), nil, 1),
	} {
		require.NotEqual(t, good.Body, body, name)
		route, params, err := docRouter.FindRoute(req)
		require.NoError(t, err)
		err = openapi3filter.ValidateResponse(context.Background(), &openapi3filter.ResponseValidationInput{
			RequestValidationInput: &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route},
			Status:                 http.StatusOK, Header: good.Header, Body: io.NopCloser(bytes.NewReader(body)),
		})
		require.Error(t, err, name)
	}
}
