package workers

import (
	"errors"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/wugsync/wugsync/models"
	"github.com/wugsync/wugsync/wug"
)

// Metrics are the per-connection export figures of DESIGN.md and issue 6:
// devices by outcome, WUG call latency and errors by operation, rate-limit
// waits, runs by outcome, and task durations.
type Metrics struct {
	devices     *prometheus.CounterVec
	wugLatency  *prometheus.HistogramVec
	wugErrors   *prometheus.CounterVec
	rateWaits   *prometheus.CounterVec
	rateWaitSec *prometheus.CounterVec
	runs        *prometheus.CounterVec
	tasks       *prometheus.HistogramVec
	netboxWrite *prometheus.CounterVec
}

// NewMetrics creates the collectors and registers them on reg (nil: not
// registered, for tests and tools).
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		devices: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "wugsync_devices_total",
			Help: "NetBox devices handled, by connection and outcome (created, updated, recorded: updated with a role, type, brand or OS WUG cannot change in place, unchanged, skipped, failed, decommissioned).",
		}, []string{"connection", "outcome"}),
		wugLatency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "wugsync_wug_request_duration_seconds",
			Help:    "WUG REST call latency by connection and operation.",
			Buckets: prometheus.ExponentialBuckets(0.005, 2.5, 10),
		}, []string{"connection", "operation"}),
		wugErrors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "wugsync_wug_errors_total",
			Help: "WUG REST call failures by connection, operation and kind.",
		}, []string{"connection", "operation", "kind"}),
		rateWaits: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "wugsync_rate_limit_waits_total",
			Help: "Times a WUG call waited for the connection's rate limit or concurrency cap.",
		}, []string{"connection"}),
		rateWaitSec: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "wugsync_rate_limit_wait_seconds_total",
			Help: "Seconds WUG calls spent waiting for the connection's rate limit or concurrency cap.",
		}, []string{"connection"}),
		runs: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "wugsync_runs_total",
			Help: "Finished runs by connection, sync type and status.",
		}, []string{"connection", "sync_type", "status"}),
		tasks: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "wugsync_task_duration_seconds",
			Help:    "Task handler duration by task type and outcome.",
			Buckets: prometheus.ExponentialBuckets(0.01, 3, 10),
		}, []string{"type", "outcome"}),
		netboxWrite: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "wugsync_netbox_writes_total",
			Help: "NetBox objects written by write-back, by connection and kind (custom_field, journal).",
		}, []string{"connection", "kind"}),
	}
	if reg != nil {
		reg.MustRegister(m.devices, m.wugLatency, m.wugErrors, m.rateWaits, m.rateWaitSec, m.runs, m.tasks, m.netboxWrite)
	}
	return m
}

// Devices counts n devices of one outcome.
func (m *Metrics) Devices(connection, outcome string, n int) {
	if n > 0 {
		m.devices.WithLabelValues(connection, outcome).Add(float64(n))
	}
}

// WUGCall records one WUG HTTP exchange.
func (m *Metrics) WUGCall(connection, op string, d time.Duration, err error) {
	m.wugLatency.WithLabelValues(connection, op).Observe(d.Seconds())
	if err != nil {
		m.wugErrors.WithLabelValues(connection, op, wugErrorKind(err)).Inc()
	}
}

// RateLimitWait records time spent waiting for capacity.
func (m *Metrics) RateLimitWait(connection string, d time.Duration) {
	m.rateWaits.WithLabelValues(connection).Inc()
	m.rateWaitSec.WithLabelValues(connection).Add(d.Seconds())
}

// Run counts a finished run.
func (m *Metrics) Run(connection, syncType, status string) {
	m.runs.WithLabelValues(connection, syncType, status).Inc()
}

// NetBoxWrites counts n NetBox objects written back, of one kind
// (netboxWriteKinds).
func (m *Metrics) NetBoxWrites(connection, kind string, n int) {
	if n > 0 {
		m.netboxWrite.WithLabelValues(connection, kind).Add(float64(n))
	}
}

// netboxWriteKinds are the kinds NetBoxWrites counts.
var netboxWriteKinds = []string{"custom_field", "journal"}

// Task records one handler execution.
func (m *Metrics) Task(typ, outcome string, d time.Duration) {
	m.tasks.WithLabelValues(typ, outcome).Observe(d.Seconds())
}

// wugErrorKinds classify WUG failures for wugsync_wug_errors_total, in the
// order they are tried; anything else is "other".
var wugErrorKinds = []struct {
	err  error
	name string
}{
	{wug.ErrRateLimited, "rate_limited"},
	{wug.ErrServerError, "server_error"},
	{wug.ErrUnavailable, "unavailable"},
	{wug.ErrBadCredentials, "bad_credentials"},
	{wug.ErrNotFound, "not_found"},
	{wug.ErrProtocol, "protocol"},
	{wug.ErrRejected, "rejected"},
	{wug.ErrForbidden, "forbidden"},
}

func wugErrorKind(err error) string {
	for _, k := range wugErrorKinds {
		if errors.Is(err, k.err) {
			return k.name
		}
	}
	return "other"
}

// deviceOutcomes are the outcomes Devices counts.
var deviceOutcomes = []string{"created", "updated", "failed", "decommissioned", "scan_triggered", "discovered"}

// InitConnection starts every counter of a connection at zero for each
// known label value, so dashboards and alerts (rate(), increase(), absent())
// see a series from the start rather than after its first event.
func (m *Metrics) InitConnection(connection string) {
	for _, outcome := range deviceOutcomes {
		m.devices.WithLabelValues(connection, outcome)
	}
	for _, op := range wug.Operations() {
		for _, k := range wugErrorKinds {
			m.wugErrors.WithLabelValues(connection, op, k.name)
		}
		m.wugErrors.WithLabelValues(connection, op, "other")
	}
	for _, kind := range netboxWriteKinds {
		m.netboxWrite.WithLabelValues(connection, kind)
	}
	m.rateWaits.WithLabelValues(connection)
	m.rateWaitSec.WithLabelValues(connection)
	for _, syncType := range models.SyncTypes() {
		for _, status := range []models.RunStatus{models.RunCompleted, models.RunFailed, models.RunCancelled} {
			m.runs.WithLabelValues(connection, string(syncType), string(status))
		}
	}
}
