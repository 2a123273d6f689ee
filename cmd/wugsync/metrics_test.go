package main

import (
	"net/http"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"github.com/stretchr/testify/require"

	"github.com/wugsync/wugsync/config"
	"github.com/wugsync/wugsync/internal/testinfra"
	"github.com/wugsync/wugsync/models"
	"github.com/wugsync/wugsync/wug"
)

// scrape GETs url (a /metrics endpoint) and parses the exposition.
func scrape(t *testing.T, url string) map[string]*dto.MetricFamily {
	t.Helper()
	resp, err := http.Get(url)
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	parser := expfmt.NewTextParser(model.UTF8Validation)
	families, err := parser.TextToMetricFamilies(resp.Body)
	require.NoError(t, err)
	return families
}

// sample returns the value of the series of family with exactly labels, and
// whether it exists.
func sample(families map[string]*dto.MetricFamily, family string, labels map[string]string) (float64, bool) {
	f, ok := families[family]
	if !ok {
		return 0, false
	}
next:
	for _, m := range f.GetMetric() {
		if len(m.GetLabel()) != len(labels) {
			continue
		}
		for _, l := range m.GetLabel() {
			if labels[l.GetName()] != l.GetValue() {
				continue next
			}
		}
		switch {
		case m.Counter != nil:
			return m.GetCounter().GetValue(), true
		case m.Gauge != nil:
			return m.GetGauge().GetValue(), true
		}
		return 0, true
	}
	return 0, false
}

// seriesOf counts the series of family whose label name has value.
func seriesOf(families map[string]*dto.MetricFamily, family, name, value string) int {
	n := 0
	for _, m := range families[family].GetMetric() {
		for _, l := range m.GetLabel() {
			if l.GetName() == name && l.GetValue() == value {
				n++
			}
		}
	}
	return n
}

// TestMetricsExistFromTheStart scrapes a fresh `all` on a database that
// already holds a connection and its export rows: every counter of the
// connection is there at 0 before anything happened, and the
// per-connection gauges show the rows by status and the last success. A
// connection created afterwards gets its series on the next scrape.
func TestMetricsExistFromTheStart(t *testing.T) {
	t.Parallel()
	stack := testinfra.NewStack(t, testinfra.StackOptions{})
	db := stack.DB
	conn := models.NewWUGConnection()
	conn.Name, conn.Host, conn.Username = "lab", "wug.example.net", "admin"
	require.NoError(t, conn.SetPassword(stack.Sealer, "pw"))
	require.NoError(t, db.Create(&conn).Error)
	lastExport := time.Date(2026, 11, 2, 3, 4, 5, 0, time.UTC)
	require.NoError(t, db.Model(&conn).UpdateColumn("last_export", lastExport).Error)
	for i, status := range []models.ExportStatus{models.ExportExported, models.ExportExported, models.ExportSkipped} {
		require.NoError(t, db.Create(&models.NetBoxIPExport{ConnectionID: conn.ID, NetBoxDeviceID: int64(i + 1),
			ExportReason: models.ReasonNewDevice, ExportStatus: status}).Error)
	}

	token := strings.Repeat("m", 32)
	vars := stack.Vars()
	vars[config.EnvAPIToken] = token
	vars[config.EnvHTTPAddr] = "127.0.0.1:0"
	all := startRole(t, newAllCommand, vars)
	families := scrape(t, all.info.APIURL+"/metrics")

	lab := func(extra ...string) map[string]string {
		labels := map[string]string{"connection": "lab"}
		for i := 0; i < len(extra); i += 2 {
			labels[extra[i]] = extra[i+1]
		}
		return labels
	}
	zero := func(family string, labels map[string]string) {
		t.Helper()
		v, ok := sample(families, family, labels)
		require.True(t, ok, "%s%v exists on a fresh process", family, labels)
		require.Zero(t, v, "%s%v", family, labels)
	}
	zero("wugsync_wug_errors_total", lab("operation", wug.OpApplyTemplates, "kind", "rate_limited"))
	zero("wugsync_wug_errors_total", lab("operation", wug.OpToken, "kind", "other"))
	require.Equal(t, len(wug.Operations())*9, seriesOf(families, "wugsync_wug_errors_total", "connection", "lab"),
		"every operation with every kind")
	zero("wugsync_devices_total", lab("outcome", "created"))
	zero("wugsync_devices_total", lab("outcome", "failed"))
	zero("wugsync_runs_total", lab("sync_type", "export", "status", "failed"))
	zero("wugsync_runs_total", lab("sync_type", "device_sync", "status", "completed"))
	zero("wugsync_rate_limit_waits_total", lab())
	zero("wugsync_rate_limit_wait_seconds_total", lab())
	zero("wugsync_webhooks_total", map[string]string{"object_type": "dcim.device", "outcome": "sync"})
	zero("wugsync_webhooks_total", map[string]string{"object_type": "unknown", "outcome": "bad_signature"})

	gauge := func(family string, labels map[string]string) float64 {
		t.Helper()
		v, ok := sample(families, family, labels)
		require.True(t, ok, "%s%v", family, labels)
		return v
	}
	require.Equal(t, 2.0, gauge("wugsync_connection_export_rows", lab("status", "exported")))
	require.Equal(t, 1.0, gauge("wugsync_connection_export_rows", lab("status", "skipped")))
	for _, status := range []models.ExportStatus{models.ExportPending, models.ExportError, models.ExportDecommissioned} {
		require.Zero(t, gauge("wugsync_connection_export_rows", lab("status", string(status))), status)
	}
	require.Equal(t, float64(lastExport.Unix()), gauge("wugsync_connection_last_success_timestamp_seconds", lab()))
	require.Equal(t, float64(models.DefaultExportIntervalMinutes*60), gauge("wugsync_connection_export_interval_seconds", lab()))

	// A connection created while the process runs.
	wugURL := newServer(t, http.NotFoundHandler())
	createConnectionNamed(t, all.info.APIURL, token, wugURL, "branch")
	scrape(t, all.info.APIURL+"/metrics") // this scrape's collector sees it
	families = scrape(t, all.info.APIURL+"/metrics")
	v, ok := sample(families, "wugsync_wug_errors_total", map[string]string{"connection": "branch", "operation": wug.OpListDevices, "kind": "unavailable"})
	require.True(t, ok, "a new connection's counters start at zero")
	require.Zero(t, v)
	v, ok = sample(families, "wugsync_connection_last_success_timestamp_seconds", map[string]string{"connection": "branch"})
	require.True(t, ok)
	require.Zero(t, v, "no export yet")
}
