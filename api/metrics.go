package api

import (
	"errors"
	"fmt"

	"github.com/gin-gonic/gin"
	"github.com/hibiken/asynq"
	asynqmetrics "github.com/hibiken/asynq/x/metrics"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/redis/go-redis/v9"

	"github.com/wugsync/wugsync/netbox"
)

// httpMetrics are the API's own series: requests by route template (never
// the raw path, whose ids would explode cardinality), and webhooks by
// outcome.
type httpMetrics struct {
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
	webhooks *prometheus.CounterVec
}

func newHTTPMetrics(reg prometheus.Registerer) (*httpMetrics, error) {
	m := &httpMetrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "wugsync_http_requests_total",
			Help: "HTTP requests answered by the API, by route template, method and status code.",
		}, []string{"route", "method", "status"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "wugsync_http_request_duration_seconds",
			Help:    "HTTP request duration by route template and method.",
			Buckets: prometheus.ExponentialBuckets(0.001, 3, 11),
		}, []string{"route", "method"}),
		webhooks: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "wugsync_webhooks_total",
			Help: "NetBox webhooks received, by object type and outcome (sync, decommission, ignored, echo, bad_signature, bad_payload, refused, error); echo is the webhook of wugsync's own write-back, which costs nothing.",
		}, []string{"object_type", "outcome"}),
	}
	var err error
	if m.requests, err = register(reg, m.requests); err != nil {
		return nil, err
	}
	if m.duration, err = register(reg, m.duration); err != nil {
		return nil, err
	}
	if m.webhooks, err = register(reg, m.webhooks); err != nil {
		return nil, err
	}
	// Every series at zero from the start, so rate() and alerts see it.
	for _, objectType := range webhookObjectTypes {
		for _, outcome := range []string{webhookSync, webhookDecommission, webhookIgnored, webhookEcho, "bad_signature", "bad_payload", "refused", "error"} {
			m.webhooks.WithLabelValues(objectType, outcome)
		}
	}
	return m, nil
}

// webhookObjectTypes are the object_type label's values (see webhook).
var webhookObjectTypes = []string{netbox.ObjectTypeDevice, netbox.ObjectTypeIPAddress, netbox.ObjectTypeVirtualMachine,
	netbox.ObjectTypeInterface, netbox.ObjectTypeSite, netbox.ObjectTypeVMInterface, "unknown", "other"}

// register adds c to reg, or returns the identical collector already
// there, so two servers on one registry (tests, a restart in-process)
// share their series instead of failing.
func register[C prometheus.Collector](reg prometheus.Registerer, c C) (C, error) {
	err := reg.Register(c)
	var dup prometheus.AlreadyRegisteredError
	switch {
	case err == nil:
		return c, nil
	case errors.As(err, &dup):
		if existing, ok := dup.ExistingCollector.(C); ok {
			return existing, nil
		}
	}
	return c, fmt.Errorf("register metrics: %w", err)
}

// webhook counts one delivery; the object type label is bounded to the
// types NetBox can send us.
func (m *httpMetrics) webhook(objectType, outcome string) {
	switch objectType {
	case netbox.ObjectTypeDevice, netbox.ObjectTypeIPAddress, netbox.ObjectTypeVirtualMachine,
		netbox.ObjectTypeInterface, netbox.ObjectTypeSite, netbox.ObjectTypeVMInterface:
	case "":
		objectType = "unknown"
	default:
		objectType = "other"
	}
	m.webhooks.WithLabelValues(objectType, outcome).Inc()
}

// registerQueueMetrics adds asynq's queue collector (sizes, latency,
// processed and failed counts per queue), read from Redis at each scrape,
// through the shared client rather than a connection of its own.
func registerQueueMetrics(reg prometheus.Registerer, rdb redis.UniversalClient) error {
	collector := asynqmetrics.NewQueueMetricsCollector(asynq.NewInspectorFromRedisClient(rdb))
	err := reg.Register(collector)
	var dup prometheus.AlreadyRegisteredError
	if err != nil && !errors.As(err, &dup) {
		return fmt.Errorf("register asynq queue metrics: %w", err)
	}
	return nil
}

// serveMetrics is GET /metrics: the shared registry, so worker, scheduler
// and API series of one process come out together. A collector that fails
// (Redis down for the queue collector) drops its series, not the scrape.
func (s *Server) serveMetrics(c *gin.Context) {
	promhttp.HandlerFor(s.p.Registry, promhttp.HandlerOpts{ErrorHandling: promhttp.ContinueOnError}).
		ServeHTTP(c.Writer, c.Request)
}
