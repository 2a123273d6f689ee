package api_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"

	"github.com/wugsync/wugsync/models"
)

// take returns the console errors so far (see watchConsole), minus those
// whose text contains one of expected (a 404 the test asked for on
// purpose), and forgets them all.
func (c *consoleErrors) take(expected ...string) []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []string
next:
	for _, e := range c.seen {
		for _, x := range expected {
			if strings.Contains(e, x) {
				continue next
			}
		}
		out = append(out, e)
	}
	c.seen = nil
	return out
}

// fetched is the status and content type a fetch of path from the page
// gets, as "404 text/html; charset=utf-8".
func (tb tab) fetched(path string) string {
	tb.t.Helper()
	v, err := chromedp.Run(tb.ctx, chromedp.Evaluate[string](fmt.Sprintf(
		`fetch(%q).then(r => r.status + " " + r.headers.get("content-type"))`, path), chromedp.EvalAwaitPromise))
	require.NoError(tb.t, err, "fetch %s", path)
	return v
}

// login opens the dashboard through the login page.
func (tb tab) login(baseURL string) {
	tb.t.Helper()
	tb.do(
		chromedp.Navigate(baseURL+"/dashboard/"),
		chromedp.WaitVisible(chromedp.ID("token")),
		chromedp.SendKeys(chromedp.ID("token"), dashboardToken),
		chromedp.Click(chromedp.CSS(`button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.CSS("#connections-body tr")),
	)
}

// dayOneRuns are the runs TestDashboardDayOneInBrowser adds to the seed.
type dayOneRuns struct {
	withReasons, failed, dryRun models.WUGSyncLog
}

func (b dashboardBundle) seedDayOne(t *testing.T) dayOneRuns {
	t.Helper()
	ended := time.Now().Add(-3 * time.Hour).UTC()
	started := ended.Add(-time.Minute)
	mk := func(r models.WUGSyncLog) models.WUGSyncLog {
		r.ConnectionID, r.SyncType, r.Trigger = b.conn.ID, models.SyncExport, models.TriggerManual
		r.StartedAt, r.PlannedAt, r.EndedAt = &started, &started, &ended
		require.NoError(t, b.db.Create(&r).Error)
		return r
	}
	var out dayOneRuns
	out.withReasons = mk(models.WUGSyncLog{Status: models.RunCompleted, DevicesTotal: 3, DevicesCreated: 2, DevicesSkipped: 1,
		BatchesTotal: 1, BatchesDone: 1})
	// The worker's own wording, pointer to the plan included.
	require.NoError(t, b.db.Model(&out.withReasons).Update("summary", fmt.Sprintf(
		"3 devices considered: 2 created, 0 updated, 0 unchanged, 1 skipped, 0 failed (see /api/v1/sync-logs/%d/plan for reasons)",
		out.withReasons.ID)).Error)
	out.failed = mk(models.WUGSyncLog{Status: models.RunFailed, ErrorMessage: "WUG login refused: 401 Unauthorized",
		Summary: "failed: WUG login refused: 401 Unauthorized"})
	out.dryRun = mk(models.WUGSyncLog{Status: models.RunCompleted, DryRun: true, DevicesTotal: 420, DevicesCreated: 0,
		BatchesTotal: 5, BatchesDone: 0,
		Summary: "dry run, nothing written to WUG: 420 devices considered; would create 400, update 0, decommission 0; 15 unchanged, 5 skipped"})
	return out
}

// TestDashboardDayOneInBrowser checks, in a real browser, each point a
// newcomer's first day found: panels that agree with each other while a
// run is active, links out (NetBox, the WUG console, plans, asynqmon),
// dates with relative times, an error said once, a finished dry run's bar,
// a dry run offered first, the favicon, the styled login and 404 pages,
// and a console without errors throughout.
func TestDashboardDayOneInBrowser(t *testing.T) {
	t.Parallel()
	bundle := setupDashboard(t)
	runs := bundle.seedDayOne(t)
	tb := newTab(t)
	errs := watchConsole(tb)

	// The login page is styled (its inline style passes its policy) and
	// has the icon.
	tb.do(
		chromedp.Navigate(bundle.server.URL+"/dashboard/"),
		chromedp.WaitVisible(chromedp.ID("token")),
	)
	require.Equal(t, "flex", eval[string](tb, `getComputedStyle(document.body).display`), "the login page's style applies")
	require.Equal(t, "8px", eval[string](tb, `getComputedStyle(document.querySelector("main.login")).borderTopLeftRadius`))
	require.Equal(t, "/favicon.svg", eval[string](tb, `document.querySelector('link[rel="icon"]').getAttribute("href")`))
	tb.until(`document.querySelector(".brand img").complete && document.querySelector(".brand img").naturalWidth > 0`)

	tb.login(bundle.server.URL)
	connRow := fmt.Sprintf("#connection-%d", bundle.conn.ID)
	require.Equal(t, "/favicon.svg", eval[string](tb, `document.querySelector('link[rel="icon"]').getAttribute("href")`))
	require.Equal(t, "200 image/svg+xml", tb.fetched("/favicon.ico"), "browsers' unasked /favicon.ico")

	// Links: device names to NetBox, WUG device ids to the WUG console.
	exported := fmt.Sprintf("#export-%d", bundle.failed.ID-1)
	tb.until(fmt.Sprintf(`document.querySelector(%q) !== null`, exported+` a[data-link="wug"]`))
	require.Equal(t, "https://wug-east.example.net/NmConsole/#v2/device/4101",
		eval[string](tb, fmt.Sprintf(`document.querySelector(%q).href`, exported+` a[data-link="wug"]`)))
	require.Equal(t, "4101", tb.text(exported+` a[data-link="wug"]`))
	require.Equal(t, "https://netbox.example.net/dcim/devices/101/",
		eval[string](tb, fmt.Sprintf(`document.querySelector(%q).href`, exported+` a[data-link="netbox"]`)))
	require.Equal(t, hostileName, tb.text(exported+` a[data-link="netbox"]`), "the name is text, not markup")
	require.Equal(t, "_blank", eval[string](tb, fmt.Sprintf(`document.querySelector(%q).target`, exported+` a[data-link="netbox"]`)))
	require.Equal(t, "https://wug-east.example.net/NmConsole/#v2/device/",
		eval[string](tb, fmt.Sprintf(`document.querySelector(%q).href`, connRow+` a[data-link="console"]`)))

	// asynqmon is one click away.
	require.Equal(t, "/monitoring/", eval[string](tb, `document.getElementById("monitoring-link").getAttribute("href")`))

	// A summary links to its plan instead of quoting the API's path, and
	// the link opens the plan.
	reasonsRow := fmt.Sprintf("#run-%d", runs.withReasons.ID)
	tb.until(fmt.Sprintf(`document.querySelector(%q) !== null`, reasonsRow+` a[data-link="plan"]`))
	require.NotContains(t, tb.text(reasonsRow), "/api/v1/sync-logs")
	require.Equal(t, fmt.Sprintf("#plan-%d", runs.withReasons.ID),
		eval[string](tb, fmt.Sprintf(`document.querySelector(%q).getAttribute("href")`, reasonsRow+` a[data-link="plan"]`)))
	tb.do(chromedp.Click(chromedp.CSS(reasonsRow + ` a[data-link="plan"]`)))
	tb.until(fmt.Sprintf(`!document.getElementById("plan").hidden && document.getElementById("plan-title").textContent === "Plan of run #%d"`,
		runs.withReasons.ID))
	tb.do(chromedp.Click(chromedp.ID("plan-close")))

	// Plan entries link to NetBox too.
	tb.do(chromedp.Click(chromedp.CSS(fmt.Sprintf(`#run-%d button[data-action="plan"]`, bundle.run.ID))))
	tb.until(`document.querySelectorAll("#plan-body a[data-link=netbox]").length === 5`)
	require.Equal(t, "https://netbox.example.net/dcim/devices/103/",
		eval[string](tb, `[...document.querySelectorAll("#plan-body a[data-link=netbox]")].find(a => a.textContent === "core-sw-01").href`))
	tb.do(chromedp.Click(chromedp.ID("plan-close")))

	// Dates: the date and minute, with the relative time beside them.
	when := eval[[]string](tb, fmt.Sprintf(`[...document.querySelectorAll(%q)].map(e => e.textContent)`, reasonsRow+" .when > *"))
	require.Len(t, when, 2, "a time and its relative time")
	require.Regexp(t, `^\d{4}-\d{2}-\d{2} \d{2}:\d{2}$`, when[0])
	require.Equal(t, "3 h ago", when[1])
	require.Regexp(t, `^\d{4}-\d{2}-\d{2} \d{2}:\d{2} \d+ min ago$`, tb.text(fmt.Sprintf("#run-%d .when", bundle.run.ID)),
		"a run some minutes ago")

	// A failed run says its error once.
	failedRow := fmt.Sprintf("#run-%d", runs.failed.ID)
	require.Equal(t, 1, strings.Count(tb.text(failedRow), "WUG login refused: 401 Unauthorized"), tb.text(failedRow))
	require.Equal(t, 1, eval[int](tb, fmt.Sprintf(`document.querySelectorAll(%q).length`, failedRow+` [data-role="run-error"]`)))

	// A finished dry run shows a full bar, not "0 / 5 batches".
	dryRow := fmt.Sprintf("#run-%d", runs.dryRun.ID)
	require.NotContains(t, tb.text(dryRow), "0 / 5")
	require.Contains(t, tb.text(dryRow+" .progress"), "dry run")
	require.True(t, eval[bool](tb, fmt.Sprintf(`(p => p.value === p.max && p.max > 0)(document.querySelector(%q))`, dryRow+" progress")))

	// An established connection is not offered the first dry run.
	require.Zero(t, eval[int](tb, fmt.Sprintf(`document.querySelectorAll(%q).length`, connRow+` [data-role="first-run"]`)))

	// Nothing contradicts itself: a connection created after the page
	// loaded, with its first run under way, shows in every panel. Its run
	// appears on the next poll (a filter change asks for one at once);
	// from then on the active run keeps every panel current.
	west := models.NewWUGConnection()
	west.Name, west.Host, west.Username = "wug-west", "wug-west.example.net", "admin"
	require.NoError(t, bundle.db.Create(&west).Error)
	now := time.Now().UTC()
	first := models.WUGSyncLog{ConnectionID: west.ID, SyncType: models.SyncExport, Trigger: models.TriggerScheduled,
		Status: models.RunRunning, StartedAt: &now, PlannedAt: &now, BatchesTotal: 166, BatchesDone: 38, DevicesTotal: 16600}
	require.NoError(t, bundle.db.Create(&first).Error)
	north := models.NewWUGConnection()
	north.Name, north.Host, north.Username = "wug-north", "wug-north.example.net", "admin"
	require.NoError(t, bundle.db.Create(&north).Error)
	tb.do(chromedp.Evaluate[chromedp.Void](`void document.getElementById("runs-connection").dispatchEvent(new Event("change"))`))
	westRow := fmt.Sprintf("#connection-%d", west.ID)
	tb.until(fmt.Sprintf(`document.getElementById("run-%d") !== null && document.querySelector(%q) !== null`, first.ID, westRow))
	require.Contains(t, tb.text(fmt.Sprintf("#run-%d", first.ID)), "38 / 166 batches")
	require.True(t, eval[bool](tb, `document.getElementById("connections-empty").hidden`))
	require.Contains(t, tb.text(westRow+" .activity"), fmt.Sprintf("run #%d running", first.ID))
	require.Equal(t, "wug-west", eval[string](tb, fmt.Sprintf(
		`document.querySelector('#rows-connection option[value="%d"]').textContent`, west.ID)), "the device filter knows it")
	// Devices the run exports appear without any click, while it runs.
	row := models.NetBoxIPExport{ConnectionID: west.ID, NetBoxDeviceID: 9001, NetBoxDeviceName: "west-core-01",
		IPAddress: "10.9.0.1", ExportReason: models.ReasonNewDevice, ExportStatus: models.ExportExported, WUGDeviceID: "77"}
	require.NoError(t, bundle.db.Create(&row).Error)
	tb.until(fmt.Sprintf(`document.getElementById("export-%d") !== null`, row.ID))
	require.True(t, eval[bool](tb, `document.getElementById("rows-empty").hidden`))
	require.Equal(t, "https://wug-west.example.net/NmConsole/",
		eval[string](tb, fmt.Sprintf(`document.querySelector("#export-%d a[data-link=wug]").href`, row.ID)),
		"the default console URL: the console's root on the connection's host")
	tb.until(fmt.Sprintf(`document.querySelector(%q).textContent.includes("exported 1")`, westRow+` [data-role="counts"]`))

	// A new connection is offered a dry run first: a note, Dry run as the
	// main button, Export as the secondary one.
	northRow := fmt.Sprintf("#connection-%d", north.ID)
	require.Contains(t, tb.text(northRow+` [data-role="first-run"]`), "Start with a dry run")
	require.False(t, eval[bool](tb, fmt.Sprintf(`document.querySelector(%q).classList.contains("secondary")`, northRow+` button[data-action="dry-run"]`)))
	require.True(t, eval[bool](tb, fmt.Sprintf(`document.querySelector(%q).classList.contains("secondary")`, northRow+` button[data-action="export"]`)))
	require.Zero(t, eval[int](tb, fmt.Sprintf(`document.querySelectorAll(%q).length`, westRow+` [data-role="first-run"]`)),
		"a connection with a run is not new")

	require.Empty(t, errs.take(), "the console has no errors")

	// Unknown dashboard paths get the HTML 404 page in the dashboard's
	// style; API paths keep their JSON 404.
	tb.do(
		chromedp.Navigate(bundle.server.URL+"/dashboard/no-such-page"),
		chromedp.WaitVisible(chromedp.ID("not-found-title")),
	)
	require.Equal(t, "Page not found", tb.text("#not-found-title"))
	require.Equal(t, "flex", eval[string](tb, `getComputedStyle(document.querySelector(".topbar")).display`), "styled by the dashboard's sheet")
	require.Equal(t, "/dashboard/", eval[string](tb, `document.querySelector("a.button").getAttribute("href")`))
	require.Equal(t, "404 text/html; charset=utf-8", tb.fetched("/dashboard/no-such-page"))
	require.Equal(t, "404 application/json; charset=utf-8", tb.fetched("/api/v1/no-such-route"))
	require.Empty(t, errs.take("no-such-page", "no-such-route"), "no errors but the 404s asked for")
}

// TestDashboardAtPhoneWidth: at 390 px the tables are stacked cards with
// each value labelled, nothing scrolls sideways, every action button is
// on screen, and each filter label sits right above its field.
func TestDashboardAtPhoneWidth(t *testing.T) {
	t.Parallel()
	bundle := setupDashboard(t)
	tb := newTabSized(t, 390, 844)
	errs := watchConsole(tb)
	// Headless Chromium keeps its window at least 500 px wide whatever the
	// window size asked; the viewport is pinned to the phone's 390 px.
	tb.do(chromedp.EmulateViewport(390, 844))
	tb.login(bundle.server.URL)
	tb.until(fmt.Sprintf(`document.getElementById("export-%d") !== null && document.getElementById("run-%d") !== null`,
		bundle.failed.ID, bundle.run.ID))
	require.Equal(t, 390, eval[int](tb, `window.innerWidth`))

	require.LessOrEqual(t, eval[int](tb, `document.documentElement.scrollWidth`), 390, "nothing scrolls sideways")
	for _, table := range []string{"connections-table", "runs-table", "rows-table"} {
		require.Equal(t, "grid", eval[string](tb, fmt.Sprintf(`getComputedStyle(document.querySelector("#%s tbody tr")).display`, table)), "%s: rows are cards", table)
		require.True(t, eval[bool](tb, fmt.Sprintf(`(tr => tr.lastElementChild.getBoundingClientRect().top >= tr.firstElementChild.getBoundingClientRect().bottom)(document.querySelector("#%s tbody tr"))`, table)), "%s: a card stacks its values under its name", table)
		require.Equal(t, "block", eval[string](tb, fmt.Sprintf(`getComputedStyle(document.querySelector("#%s tbody")).display`, table)), table)
		require.LessOrEqual(t, eval[int](tb, fmt.Sprintf(`document.querySelector("#%s thead").getBoundingClientRect().height`, table)), 1,
			"%s: the header row is hidden; cells carry their labels", table)
		unlabelled := eval[int](tb, fmt.Sprintf(`[...document.querySelectorAll("#%s tbody td")].filter(td =>
			!td.dataset.label || getComputedStyle(td, "::before").content !== JSON.stringify(td.dataset.label)).length`, table))
		require.Zero(t, unlabelled, "%s: every cell shows its column's name", table)
		require.LessOrEqual(t, eval[float64](tb, fmt.Sprintf(
			`Math.max(...[...document.querySelectorAll("#%s tbody tr")].map(tr => tr.getBoundingClientRect().right))`, table)), 390.0, table)
	}
	offscreen := eval[[]string](tb, `[...document.querySelectorAll("main button[data-action]")].filter(b => {
		const r = b.getBoundingClientRect();
		return r.width === 0 || r.left < 0 || r.right > window.innerWidth;
	}).map(b => b.getAttribute("aria-label"))`)
	require.Empty(t, offscreen, "every action button is on screen")
	require.Positive(t, eval[int](tb, `document.querySelectorAll("main button[data-action]").length`))

	// The plan's filter is checked too, once the plan is open.
	tb.do(chromedp.Click(chromedp.CSS(fmt.Sprintf(`#run-%d button[data-action="plan"]`, bundle.run.ID))))
	tb.until(`!document.getElementById("plan").hidden && document.querySelectorAll("#plan-body tr").length > 0`)
	apart := eval[[]string](tb, `[...document.querySelectorAll(".filters label")].filter(l => {
		const field = document.getElementById(l.htmlFor);
		const a = l.getBoundingClientRect(), b = field.getBoundingClientRect();
		const below = b.top >= a.bottom - 1 && b.top - a.bottom < 12;
		const overlap = Math.min(a.right, b.right) - Math.max(a.left, b.left) > 0;
		return !(below && overlap && l.parentElement === field.parentElement);
	}).map(l => l.htmlFor)`)
	require.Empty(t, apart, "each filter label sits right above its field")
	require.Equal(t, 6, eval[int](tb, `document.querySelectorAll(".filters label").length`), "runs, plan and four device filters")
	plan := eval[[]string](tb, `[...document.querySelectorAll("#plan-body td")].filter(td => !td.dataset.label).map(td => td.textContent)`)
	require.Empty(t, plan, "the plan's cells are labelled too")
	require.Equal(t, "grid", eval[string](tb, `getComputedStyle(document.querySelector("#plan-body tr")).display`))
	require.Empty(t, errs.take(), "the console has no errors")
}
