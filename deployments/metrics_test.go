package deployments_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/sirupsen/logrus"
	"github.com/stretchr/testify/require"

	"github.com/wugsync/wugsync/api"
	"github.com/wugsync/wugsync/config"
	"github.com/wugsync/wugsync/internal/process"
	"github.com/wugsync/wugsync/models"
	"github.com/wugsync/wugsync/tasks"
	"github.com/wugsync/wugsync/workers"
)

// recordingRegisterer keeps the collectors registered through it, so their
// descriptions can be read: histograms have no series until observed.
type recordingRegisterer struct {
	prometheus.Registerer
	collectors []prometheus.Collector
}

func (r *recordingRegisterer) Register(c prometheus.Collector) error {
	r.collectors = append(r.collectors, c)
	return r.Registerer.Register(c)
}

func (r *recordingRegisterer) MustRegister(cs ...prometheus.Collector) {
	for _, c := range cs {
		if err := r.Register(c); err != nil {
			panic(err)
		}
	}
}

var fqName = regexp.MustCompile(`fqName: "([^"]+)"`)

// metricCatalog returns every metric name a wugsync process with every role
// exports, with its kind: the process's registry (Go, process, the
// per-connection gauges, the API's series and asynq's queues, with a
// connection in the database and a task in every queue so each has series),
// and the workers' collectors by description.
func metricCatalog(t *testing.T) map[string]string {
	t.Helper()
	ctx := context.Background()
	cfg, err := config.Load(func(name string) (string, bool) {
		if name == config.EnvDatabaseURL {
			return "sqlite://" + filepath.Join(t.TempDir(), "catalog.db"), true
		}
		return "", false
	})
	require.NoError(t, err)
	logger := logrus.New()
	logger.SetOutput(io.Discard)
	log := logrus.NewEntry(logger)
	svc, err := process.Open(ctx, cfg, log, process.Options{Role: "all", EmbeddedRedis: true, Migrate: true, Sealer: true})
	require.NoError(t, err)
	t.Cleanup(func() { _ = svc.Close() })

	conn := models.NewWUGConnection()
	conn.Name, conn.Host, conn.Username = "catalog", "wug.example.net", "admin"
	require.NoError(t, conn.SetPassword(svc.Sealer, "pw"))
	require.NoError(t, svc.DB.Create(&conn).Error)
	client := asynq.NewClientFromRedisClient(svc.Redis.Client)
	for _, q := range []string{tasks.QueueCritical, tasks.QueueDefault, tasks.QueueLow} {
		_, err := client.Enqueue(asynq.NewTask("catalog:probe", nil), asynq.Queue(q), asynq.ProcessIn(time.Hour))
		require.NoError(t, err)
	}

	server, err := api.New(api.Params{
		DB: svc.DB, Redis: svc.Redis.Client, RedisOpt: svc.Redis.ConnOpt, Enqueuer: svc.Enqueuer, Sealer: svc.Sealer,
		APITokens: []string{strings.Repeat("c", 32)}, Registry: svc.Registry, Log: log,
	})
	require.NoError(t, err)
	t.Cleanup(func() { _ = server.Close() })
	server.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/healthz", nil))

	catalog := map[string]string{}
	families, err := svc.Registry.Gather()
	require.NoError(t, err)
	for _, f := range families {
		catalog[f.GetName()] = strings.ToLower(f.GetType().String())
	}
	rec := &recordingRegisterer{Registerer: prometheus.NewRegistry()}
	workers.NewMetrics(rec)
	for _, c := range rec.collectors {
		kind := "counter"
		if _, ok := c.(*prometheus.HistogramVec); ok {
			kind = "histogram"
		}
		descs := make(chan *prometheus.Desc, 16)
		c.Describe(descs)
		close(descs)
		for d := range descs {
			m := fqName.FindStringSubmatch(d.String())
			require.NotNil(t, m, d.String())
			catalog[m[1]] = kind
		}
	}
	return catalog
}

// knownMetric reports whether name is in the catalog, a histogram's
// _bucket, _sum and _count included.
func knownMetric(catalog map[string]string, name string) bool {
	if _, ok := catalog[name]; ok {
		return true
	}
	for _, suffix := range []string{"_bucket", "_sum", "_count"} {
		if base, ok := strings.CutSuffix(name, suffix); ok && catalog[base] == "histogram" {
			return true
		}
	}
	return false
}

// checkExpressions checks each expression's syntax and that it reads only
// metrics wugsync exports.
func checkExpressions(t *testing.T, catalog map[string]string, exprs map[string]string) {
	t.Helper()
	require.NotEmpty(t, exprs)
	for where, expr := range exprs {
		metrics, err := checkPromQL(expr)
		require.NoError(t, err, "%s: %s", where, expr)
		require.NotEmpty(t, metrics, "%s reads no metric: %s", where, expr)
		for _, m := range metrics {
			require.True(t, knownMetric(catalog, m), "%s reads %s, which wugsync does not export", where, m)
		}
	}
}

func TestTheCatalogHoldsWhatWugsyncExports(t *testing.T) {
	t.Parallel()
	catalog := metricCatalog(t)
	for name, kind := range map[string]string{
		"wugsync_wug_errors_total":                          "counter",
		"wugsync_wug_request_duration_seconds":              "histogram",
		"wugsync_task_duration_seconds":                     "histogram",
		"wugsync_http_requests_total":                       "counter",
		"wugsync_webhooks_total":                            "counter",
		"wugsync_connection_last_success_timestamp_seconds": "gauge",
		"wugsync_connection_export_rows":                    "gauge",
		"asynq_queue_latency_seconds":                       "gauge",
		"asynq_tasks_enqueued_total":                        "gauge",
	} {
		require.Equal(t, kind, catalog[name], name)
	}
	require.True(t, knownMetric(catalog, "wugsync_task_duration_seconds_bucket"))
	require.False(t, knownMetric(catalog, "wugsync_webhooks_total_count"), "only histograms have _count")
	require.False(t, knownMetric(catalog, "wugsync_wug_error_total"))
}

func TestPromQLCheckRejectsBrokenExpressions(t *testing.T) {
	t.Parallel()
	for _, bad := range []string{
		`sum(rate(wugsync_runs_total[5m])`,
		`rate(wugsync_runs_total[5 minutes])`,
		`sum by connection (wugsync_runs_total)`,
		`wugsync_runs_total{status="failed"`,
		`wugsync_runs_total{status=failed}`,
		`wugsync_runs_total{status=~"(fail"}`,
		`rates(wugsync_runs_total[5m])`,
		`wugsync_runs_total >`,
		`sum(wugsync_runs_total))`,
	} {
		_, err := checkPromQL(bad)
		require.Error(t, err, bad)
	}
	metrics, err := checkPromQL(`histogram_quantile(0.95, sum by (le, connection) (rate(wugsync_wug_request_duration_seconds_bucket{connection=~"$connection"}[$__rate_interval])))
		/ on (connection) group_left max by (connection) (wugsync_connection_export_rows offset 5m) > bool 1e-3`)
	require.NoError(t, err)
	require.Equal(t, []string{"wugsync_wug_request_duration_seconds_bucket", "wugsync_connection_export_rows"}, metrics)
}

// alertRules reads the Prometheus rule file.
func alertRules(t *testing.T) []map[string]any {
	t.Helper()
	doc := readDocuments(t, "prometheus/wugsync-alerts.yaml")
	require.Len(t, doc, 1)
	var rules []map[string]any
	for _, g := range list(doc[0]["groups"]) {
		require.NotEmpty(t, str(dig(g, "name")))
		for _, r := range list(dig(g, "rules")) {
			rules = append(rules, mapOf(r))
		}
	}
	return rules
}

func TestAlertRules(t *testing.T) {
	t.Parallel()
	catalog := metricCatalog(t)
	rules := alertRules(t)
	exprs := map[string]string{}
	var names []string
	for _, r := range rules {
		name := str(r["alert"])
		require.Regexp(t, `^Wugsync[A-Z][A-Za-z]+$`, name)
		names = append(names, name)
		exprs["alert "+name] = str(r["expr"])
		if f := str(r["for"]); f != "" {
			_, err := time.ParseDuration(f)
			require.NoError(t, err, "%s: for", name)
		}
		require.Contains(t, []string{"warning", "critical"}, str(dig(r, "labels", "severity")), name)
		require.NotEmpty(t, str(dig(r, "annotations", "summary")), name)
		require.NotEmpty(t, str(dig(r, "annotations", "description")), name)
	}
	// The four the issue asks for, at least.
	for _, want := range []string{"WugsyncRunFailing", "WugsyncNoSuccessfulExport", "WugsyncWUGErrorRate", "WugsyncQueueBacklog"} {
		require.Contains(t, names, want)
	}
	checkExpressions(t, catalog, exprs)
}

func TestGrafanaDashboard(t *testing.T) {
	t.Parallel()
	catalog := metricCatalog(t)
	raw, err := os.ReadFile("grafana/wugsync-dashboard.json")
	require.NoError(t, err)
	var dash struct {
		UID        string `json:"uid"`
		Title      string `json:"title"`
		Templating struct {
			List []struct {
				Name  string `json:"name"`
				Type  string `json:"type"`
				Query any    `json:"query"`
			} `json:"list"`
		} `json:"templating"`
		Panels []struct {
			ID         int    `json:"id"`
			Type       string `json:"type"`
			Title      string `json:"title"`
			Datasource struct {
				UID string `json:"uid"`
			} `json:"datasource"`
			GridPos struct{ H, W, X, Y int } `json:"gridPos"`
			Targets []struct {
				Expr  string `json:"expr"`
				RefID string `json:"refId"`
			} `json:"targets"`
		} `json:"panels"`
	}
	require.NoError(t, json.Unmarshal(raw, &dash))
	require.NotEmpty(t, dash.UID)
	require.NotEmpty(t, dash.Title)
	variables := map[string]string{}
	for _, v := range dash.Templating.List {
		variables[v.Name] = v.Type
	}
	require.Equal(t, "datasource", variables["datasource"], "the data source is chosen at import")
	exprs := map[string]string{}
	ids := map[int]bool{}
	for _, p := range dash.Panels {
		require.False(t, ids[p.ID], "panel id %d twice", p.ID)
		ids[p.ID] = true
		require.LessOrEqual(t, p.GridPos.X+p.GridPos.W, 24, "%s is wider than the grid", p.Title)
		if p.Type == "row" {
			continue
		}
		require.Equal(t, "${datasource}", p.Datasource.UID, p.Title)
		require.NotEmpty(t, p.Targets, p.Title)
		for _, target := range p.Targets {
			exprs["panel "+p.Title+" "+target.RefID] = target.Expr
			for _, v := range regexp.MustCompile(`\$\{?([a-z_]+)`).FindAllStringSubmatch(target.Expr, -1) {
				if !strings.HasPrefix(v[1], "__") {
					require.Contains(t, variables, v[1], "%s uses an undefined variable $%s", p.Title, v[1])
				}
			}
		}
	}
	checkExpressions(t, catalog, exprs)
	query, _ := json.Marshal(dash.Templating.List)
	for _, m := range regexp.MustCompile(`label_values\((\w+),`).FindAllStringSubmatch(string(query), -1) {
		require.True(t, knownMetric(catalog, m[1]), "a variable reads %s", m[1])
	}
}
