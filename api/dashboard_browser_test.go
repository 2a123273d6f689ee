package api_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http/httptest"
	"os"
	"os/exec"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
	"github.com/hibiken/asynq"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/sirupsen/logrus"
	"github.com/stretchr/testify/require"
	"gorm.io/gorm"

	"github.com/wugsync/wugsync/api"
	"github.com/wugsync/wugsync/api/dashboard"
	"github.com/wugsync/wugsync/internal/testinfra"
	"github.com/wugsync/wugsync/models"
	"github.com/wugsync/wugsync/tasks"
)

// testNetBoxURL is the NetBox the dashboard links device names to.
const testNetBoxURL = "https://netbox.example.net/"

// dashboardToken is the API token the browser logs in with.
const dashboardToken = "dashboard-browser-test-token-0123456789abcdef"

// hostileName is a NetBox device name that would run script if the page
// ever handed data to an HTML parser.
const hostileName = `<script>alert("xss")</script><img src=x onerror=alert(1)>`

// browserTimeout bounds the whole browser session, so a hung Chromium or a
// condition that never comes true fails the test instead of stalling CI.
const browserTimeout = 60 * time.Second

// dashboardBundle is the real API on an httptest server with a seeded
// connection and one completed run.
type dashboardBundle struct {
	server *httptest.Server
	db     *gorm.DB
	conn   models.WUGConnection
	run    models.WUGSyncLog
	failed models.NetBoxIPExport
	// plan counts the seeded plan entries by action.
	plan map[models.PlanAction]int
}

func setupDashboard(t *testing.T) dashboardBundle {
	t.Helper()
	stack := testinfra.NewStack(t, testinfra.StackOptions{NoSimulators: true})
	db, rds, sealer := stack.DB, stack.Redis, stack.Sealer
	redisOpt, err := asynq.ParseRedisURI(rds.URL)
	require.NoError(t, err)
	logger := logrus.New()
	logger.SetOutput(io.Discard)

	handler, err := api.New(api.Params{
		DB:        db,
		Redis:     rds.Client,
		RedisOpt:  redisOpt,
		Enqueuer:  stack.Enqueuer(),
		Sealer:    sealer,
		APITokens: []string{dashboardToken},
		Registry:  prometheus.NewRegistry(),
		Dashboard: dashboard.New(dashboard.Options{NetBoxURL: testNetBoxURL}),
		Log:       logrus.NewEntry(logger),
	})
	require.NoError(t, err)
	t.Cleanup(func() { _ = handler.Close() })
	server := httptest.NewServer(handler)
	t.Cleanup(server.Close)

	b := dashboardBundle{server: server, db: db, plan: map[models.PlanAction]int{}}
	b.seed(t, sealer)
	return b
}

func (b *dashboardBundle) seed(t *testing.T, sealer *models.Sealer) {
	t.Helper()
	conn := models.NewWUGConnection()
	conn.Name = "wug-east"
	conn.Host = "wug-east.example.net"
	conn.Username = "admin"
	conn.WUGConsoleURL = "https://wug-east.example.net/NmConsole/#v2/device/{id}"
	require.NoError(t, conn.SetPassword(sealer, "secret"))
	require.NoError(t, b.db.Create(&conn).Error)
	b.conn = conn

	started := time.Now().Add(-10 * time.Minute).UTC()
	ended := started.Add(42 * time.Second)
	run := models.WUGSyncLog{
		ConnectionID: conn.ID, SyncType: models.SyncExport, Trigger: models.TriggerManual,
		Status: models.RunCompleted, StartedAt: &started, PlannedAt: &started, EndedAt: &ended,
		DevicesTotal: 5, DevicesCreated: 2, DevicesUpdated: 1, DevicesUnchanged: 1, DevicesSkipped: 1,
		BatchesTotal: 1, BatchesDone: 1, Summary: "2 created, 1 updated, 1 unchanged, 1 skipped",
	}
	require.NoError(t, b.db.Create(&run).Error)
	b.run = run

	diff, err := json.Marshal([]map[string]any{{"field": "site", "old": "dc1", "new": "dc2"}})
	require.NoError(t, err)
	entries := []models.PlanEntry{
		{NetBoxDeviceID: 101, DeviceName: hostileName, IPAddress: "10.0.0.1", Action: models.PlanCreate, Reason: "new device", Batch: 1, Outcome: "done"},
		{NetBoxDeviceID: 102, DeviceName: "edge-fw-02", IPAddress: "10.0.0.2", Action: models.PlanCreate, Reason: "new device", Batch: 1, Outcome: "done"},
		{NetBoxDeviceID: 103, DeviceName: "core-sw-01", IPAddress: "10.0.0.3", Action: models.PlanUpdate, Reason: "site changed", Diff: diff, Batch: 1, Outcome: "done"},
		{NetBoxDeviceID: 104, DeviceName: "access-sw-09", IPAddress: "10.0.0.4", Action: models.PlanUnchanged, Reason: "unchanged"},
		{NetBoxDeviceID: 105, DeviceName: "lab-box", IPAddress: "127.0.0.1", Action: models.PlanSkip, Reason: "loopback address 127.0.0.1"},
	}
	for i := range entries {
		entries[i].RunID = run.ID
		entries[i].ConnectionID = conn.ID
		b.plan[entries[i].Action]++
	}
	require.NoError(t, b.db.Create(&entries).Error)

	exported := started.Add(30 * time.Second)
	rows := []models.NetBoxIPExport{
		{NetBoxDeviceID: 101, NetBoxDeviceName: hostileName, IPAddress: "10.0.0.1", ExportReason: models.ReasonNewDevice, ExportStatus: models.ExportExported, WUGDeviceID: "4101", Attempts: 1, ExportedAt: &exported},
		{NetBoxDeviceID: 102, NetBoxDeviceName: "edge-fw-02", IPAddress: "10.0.0.2", ExportReason: models.ReasonNewDevice, ExportStatus: models.ExportError, Attempts: 2, ErrorMessage: "WUG answered 500: template rejected", ErrorAt: &exported},
		{NetBoxDeviceID: 105, NetBoxDeviceName: "lab-box", IPAddress: "127.0.0.1", ExportReason: models.ReasonNewDevice, ExportStatus: models.ExportSkipped, SkipReason: "loopback address 127.0.0.1", SkippedAt: &exported},
	}
	for i := range rows {
		rows[i].ConnectionID = conn.ID
		rows[i].LastRunID = &run.ID
	}
	require.NoError(t, b.db.Create(&rows).Error)
	b.failed = rows[1]

	attempt := models.ExportAttempt{
		ConnectionID: &conn.ID, ExportID: &b.failed.ID, RunID: &run.ID, TaskID: "t1",
		TaskType: tasks.TypeExportBatch, Attempt: 1, Error: "connection reset by peer", OccurredAt: exported,
	}
	require.NoError(t, b.db.Create(&attempt).Error)
}

// chromiumPath finds the browser. A missing browser fails the test: CI
// installs it, and a skipped browser test would hide a broken dashboard.
func chromiumPath(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser"} {
		if path, err := exec.LookPath(name); err == nil {
			return path
		}
	}
	if _, err := os.Stat("/usr/bin/chromium"); err == nil {
		return "/usr/bin/chromium"
	}
	t.Fatal("chromium is not installed, and the dashboard test needs it: install it with " +
		"`apt-get update && apt-get install -y chromium` (CI installs it the same way)")
	return ""
}

// tab is one headless Chromium tab driven by the test.
type tab struct {
	t   *testing.T
	ctx context.Context
	// dialogs counts the JavaScript dialogs (alert, confirm) the page opened.
	dialogs *atomic.Int32
}

// newTab starts a headless Chromium with a fresh profile. Its context
// expires after browserTimeout, which stops the browser. Every dialog is
// counted and dismissed so it cannot block the page.
func newTab(t *testing.T) tab { return newTabSized(t, 1400, 1000) }

// newTabSized is newTab with a window of width × height pixels.
func newTabSized(t *testing.T, width, height int) tab {
	t.Helper()
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromiumPath(t)),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.Flag("disable-background-networking", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(width, height),
		// Only the test server resolves: a page's external resources
		// (asynqmon's Google fonts) fail at once instead of hanging on a
		// network the test machine may not have.
		chromedp.Flag("host-resolver-rules", "MAP * ~NOTFOUND, EXCLUDE 127.0.0.1"),
	)
	// Cleanups run last-registered first: the browser stops before its
	// profile directory is removed.
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	t.Cleanup(cancelAlloc)
	ctx, cancelTimeout := context.WithTimeout(allocCtx, browserTimeout)
	t.Cleanup(cancelTimeout)
	ctx, cancelBrowser := chromedp.NewContext(ctx)
	t.Cleanup(cancelBrowser)
	require.NoError(t, chromedp.Do(ctx), "start chromium")

	tb := tab{t: t, ctx: ctx, dialogs: new(atomic.Int32)}
	dialogs := chromedp.Events(ctx, page.JavascriptDialogOpening)
	go func() {
		for _, err := range dialogs {
			if err != nil {
				return
			}
			tb.dialogs.Add(1)
			_, _ = chromedp.Call(ctx, page.HandleJavaScriptDialog, page.HandleJavaScriptDialogParams{Accept: false})
		}
	}()
	return tb
}

func (tb tab) do(steps ...chromedp.Action[chromedp.Void]) {
	tb.t.Helper()
	// The dashboard rebuilds a panel's rows when a poll brings changes, so
	// a node found a moment ago can be gone before it is clicked; the click
	// did not happen then, and the steps are tried again on the new rows.
	var err error
	for range 5 {
		if err = chromedp.Do(tb.ctx, steps...); err == nil || !strings.Contains(err.Error(), "Could not find node with given id") {
			break
		}
	}
	require.NoError(tb.t, err)
}

// text is the visible text of the first element sel matches.
func (tb tab) text(sel string) string {
	tb.t.Helper()
	v, err := chromedp.Run(tb.ctx, chromedp.Text(chromedp.CSS(sel)))
	require.NoError(tb.t, err, "text of %s", sel)
	return v
}

// until waits for a JavaScript condition on the page to become true.
func (tb tab) until(expr string) {
	tb.t.Helper()
	_, err := chromedp.Run(tb.ctx, chromedp.Poll[bool](expr, chromedp.WithPollingInterval(50*time.Millisecond)))
	require.NoError(tb.t, err, "wait for %s", expr)
}

func eval[T any](tb tab, expr string) T {
	tb.t.Helper()
	v, err := chromedp.Run(tb.ctx, chromedp.Evaluate[T](expr))
	require.NoError(tb.t, err, "evaluate %s", expr)
	return v
}

func TestDashboardInBrowser(t *testing.T) {
	t.Parallel()
	bundle := setupDashboard(t)
	tb := newTab(t)
	runRow := fmt.Sprintf("#run-%d", bundle.run.ID)
	connRow := fmt.Sprintf("#connection-%d", bundle.conn.ID)

	// An unauthenticated visit goes to the login page.
	tb.do(
		chromedp.Navigate(bundle.server.URL+"/dashboard/"),
		chromedp.WaitVisible(chromedp.ID("token")),
	)
	require.Equal(t, "/login", eval[string](tb, "location.pathname"))

	// A wrong token is refused with a message.
	tb.do(
		chromedp.SendKeys(chromedp.ID("token"), "not-the-token"),
		chromedp.Click(chromedp.CSS(`button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.CSS(`[role="alert"]`)),
	)
	require.Contains(t, tb.text(`[role="alert"]`), "not valid")

	// The right token lands on the dashboard, with the connection and the
	// finished run's counters.
	tb.do(
		chromedp.SendKeys(chromedp.ID("token"), dashboardToken),
		chromedp.Click(chromedp.CSS(`button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.CSS(connRow+" .name")),
		chromedp.WaitVisible(chromedp.CSS(runRow)),
	)
	require.Equal(t, "/dashboard/", eval[string](tb, "location.pathname"))
	require.Equal(t, "wug-east", tb.text(connRow+" .name"))
	counters := map[string]string{}
	for _, name := range []string{"total", "created", "updated", "unchanged", "skipped", "failed"} {
		counters[name] = tb.text(fmt.Sprintf(`%s [data-counter="%s"]`, runRow, name))
	}
	require.Equal(t, map[string]string{"total": "5", "created": "2", "updated": "1", "unchanged": "1",
		"skipped": "1", "failed": "0"}, counters)
	require.Equal(t, "completed", tb.text(runRow+" .badge"))

	// The plan lists every entry and shows the hostile name as text.
	tb.do(chromedp.Click(chromedp.CSS(runRow + ` button[data-action="plan"]`)))
	tb.until(fmt.Sprintf(`document.querySelectorAll("#plan-body tr").length === %d`, bundle.planTotal()))
	names := eval[[]string](tb, `[...document.querySelectorAll("#plan-body .device-name")].map(e => e.textContent)`)
	require.Contains(t, names, hostileName)
	require.Zero(t, eval[int](tb, `document.querySelectorAll("main script, main img").length`),
		"a device name was parsed as HTML")
	require.Contains(t, tb.text("#plan-body"), "dc1")

	// Filtering by action shows only that action.
	tb.do(
		chromedp.SetValue(chromedp.ID("plan-action"), string(models.PlanCreate)),
		chromedp.Evaluate[chromedp.Void](`void document.getElementById("plan-action").dispatchEvent(new Event("change"))`),
	)
	tb.until(fmt.Sprintf(`document.querySelectorAll("#plan-body tr").length === %d`, bundle.plan[models.PlanCreate]))
	require.Equal(t, []string{"create", "create"},
		eval[[]string](tb, `[...document.querySelectorAll("#plan-body tr")].map(tr => tr.dataset.actionKind)`))

	// A row's history shows its failed attempts.
	exportRow := fmt.Sprintf("#export-%d", bundle.failed.ID)
	tb.do(
		chromedp.Click(chromedp.CSS(exportRow+` button[data-action="history"]`)),
		chromedp.WaitVisible(chromedp.CSS("#row-attempts-body tr")),
	)
	require.Contains(t, tb.text("#row-attempts-body"), "connection reset by peer")
	tb.do(
		chromedp.Click(chromedp.ID("row-dialog-close")),
		chromedp.WaitNotVisible(chromedp.ID("row-dialog")),
	)

	// Dry run starts a queued run that appears at the top of the list.
	tb.do(chromedp.Click(chromedp.CSS(connRow + ` button[data-action="dry-run"]`)))
	tb.until(`document.querySelectorAll("#runs-body tr").length === 2`)
	var queued models.WUGSyncLog
	require.NoError(t, bundle.db.Where("connection_id = ? AND id <> ?", bundle.conn.ID, bundle.run.ID).First(&queued).Error)
	require.Equal(t, models.RunQueued, queued.Status)
	require.True(t, queued.DryRun)
	newRun := tb.text("#runs-body tr:first-child")
	require.Contains(t, newRun, fmt.Sprintf("#%d", queued.ID))
	require.Contains(t, newRun, "queued")

	// A second Dry run is refused and points at the active run.
	tb.do(
		chromedp.Click(chromedp.CSS(connRow+` button[data-action="dry-run"]`)),
		chromedp.WaitVisible(chromedp.CSS(`#messages [role="alert"]`)),
	)
	require.Contains(t, tb.text(`#messages [role="alert"]`), fmt.Sprintf("Show run #%d", queued.ID))
	tb.until(fmt.Sprintf(`document.getElementById("run-%d").classList.contains("highlight")`, queued.ID))
	var runs int64
	require.NoError(t, bundle.db.Model(&models.WUGSyncLog{}).Where("connection_id = ?", bundle.conn.ID).Count(&runs).Error)
	require.EqualValues(t, 2, runs)

	// The run's progress updates live, without a page reload.
	tb.do(chromedp.Evaluate[chromedp.Void](`void (window.samePage = true)`))
	require.NoError(t, bundle.db.Model(&queued).Updates(map[string]any{
		"status": models.RunRunning, "started_at": time.Now().UTC(), "batches_total": 4, "batches_done": 1,
		"devices_total": 40, "devices_created": 7,
	}).Error)
	queuedRow := fmt.Sprintf("#run-%d", queued.ID)
	tb.until(fmt.Sprintf(`document.querySelector(%q).textContent === "7"`, queuedRow+` [data-counter="created"]`))
	require.Contains(t, tb.text(queuedRow), "1 / 4 batches")
	require.Equal(t, "running", tb.text(queuedRow+" .badge"))
	require.Equal(t, []int{1, 4}, eval[[]int](tb, fmt.Sprintf(
		`(p => [p.value, p.max])(document.querySelector(%q))`, queuedRow+" progress")))
	require.True(t, eval[bool](tb, `window.samePage === true`), "the page reloaded")

	// The finished dry run's plan offers "Apply this plan": a first click
	// arms it (nothing is written), a second starts a new run that names
	// the dry run, shows up in the list, and has its plan opened.
	planned := time.Now().UTC()
	require.NoError(t, bundle.db.Model(&queued).Updates(map[string]any{
		"status": models.RunCompleted, "planned_at": planned, "ended_at": planned, "batches_done": 4,
	}).Error)
	tb.until(fmt.Sprintf(`document.querySelector(%q).textContent === "completed"`, queuedRow+" .badge"))
	applyButton := fmt.Sprintf(`#plan-run button[data-action="apply-plan"][data-run="%d"]`, queued.ID)
	tb.do(
		chromedp.Click(chromedp.CSS(queuedRow+` button[data-action="plan"]`)),
		chromedp.WaitVisible(chromedp.CSS(applyButton)),
		chromedp.Click(chromedp.CSS(applyButton)),
	)
	tb.until(fmt.Sprintf(`document.querySelector(%q).textContent.startsWith("Confirm")`, applyButton))
	require.NoError(t, bundle.db.Model(&models.WUGSyncLog{}).Where("connection_id = ?", bundle.conn.ID).Count(&runs).Error)
	require.EqualValues(t, 2, runs, "the first click only arms the button")
	tb.do(chromedp.Click(chromedp.CSS(applyButton)))
	tb.until(`document.querySelectorAll("#runs-body tr").length === 3`)
	var applied models.WUGSyncLog
	require.NoError(t, bundle.db.Where("applied_from = ?", queued.ID).First(&applied).Error)
	require.False(t, applied.DryRun)
	require.Equal(t, models.RunQueued, applied.Status)
	tb.until(fmt.Sprintf(`document.getElementById("plan-title").textContent === "Plan of run #%d"`, applied.ID))
	tb.until(fmt.Sprintf(`document.getElementById("plan-run").textContent.includes("applies the plan of dry run #%d")`, queued.ID))
	require.Contains(t, tb.text(fmt.Sprintf("#run-%d", applied.ID)), "queued")

	// Logging out returns to the login page, and the session is over.
	tb.do(
		chromedp.Click(chromedp.ID("logout")),
		chromedp.WaitVisible(chromedp.ID("token")),
		chromedp.Navigate(bundle.server.URL+"/dashboard/"),
		chromedp.WaitVisible(chromedp.ID("token")),
	)
	require.Equal(t, "/login", eval[string](tb, "location.pathname"))
	require.Zero(t, tb.dialogs.Load(), "the page opened a JavaScript dialog (an injected alert?)")
}

// planTotal is the number of seeded plan entries.
func (b dashboardBundle) planTotal() int {
	n := 0
	for _, c := range b.plan {
		n += c
	}
	return n
}

// TestMonitoringLoadsUnderItsPolicy: asynqmon, behind the login, renders
// under its Content-Security-Policy without a single violation (its inline
// scripts are allowed by hash, its run-time styles by policy).
func TestMonitoringLoadsUnderItsPolicy(t *testing.T) {
	t.Parallel()
	bundle := setupDashboard(t)
	tb := newTab(t)
	// Installed before any page script runs, so every violation is seen.
	_, err := chromedp.Call(tb.ctx, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{
		Source: `window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", e => window.__cspViolations.push(e.effectiveDirective + " " + e.blockedURI));`,
	})
	require.NoError(t, err)
	tb.do(
		chromedp.Navigate(bundle.server.URL+"/login?next=/monitoring/"),
		chromedp.WaitVisible(chromedp.ID("token")),
		chromedp.SendKeys(chromedp.ID("token"), dashboardToken),
		chromedp.Click(chromedp.CSS(`button[type="submit"]`)),
		chromedp.WaitReady(chromedp.ID("root")),
	)
	// A blocked script would leave the page blank: report it at once.
	tb.until(`document.readyState === "complete"`)
	require.Empty(t, eval[[]string](tb, `window.__cspViolations`), "no Content-Security-Policy violation while loading")
	// asynqmon's React app has rendered its navigation and fetched its
	// queue list from its own API.
	tb.do(chromedp.WaitVisible(chromedp.CSS(`#root a[href^="/monitoring"]`)))
	tb.until(`document.body.innerText.includes("Queues")`)
	require.Equal(t, "/monitoring/", eval[string](tb, "location.pathname"))
	require.Empty(t, eval[[]string](tb, `window.__cspViolations`), "no Content-Security-Policy violation")
	require.Contains(t, eval[string](tb, `document.querySelector("#root").innerText`), "Queues")

	// asynqmon links back to the dashboard, on screen above its own page.
	require.Equal(t, "/dashboard/", eval[string](tb, `document.getElementById("wugsync-dashboard-link").getAttribute("href")`))
	require.True(t, eval[bool](tb, `(a => { const r = a.getBoundingClientRect();
		return r.width > 0 && r.bottom <= innerHeight && document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2) === a;
	})(document.getElementById("wugsync-dashboard-link"))`), "the link is visible and not covered")
	tb.do(
		chromedp.Click(chromedp.ID("wugsync-dashboard-link")),
		chromedp.WaitVisible(chromedp.CSS("#connections-body tr")),
	)
	require.Equal(t, "/dashboard/", eval[string](tb, "location.pathname"))
	require.Empty(t, eval[[]string](tb, `window.__cspViolations`), "no Content-Security-Policy violation on the way back")
}
