package api_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"
)

// consoleErrors collects what a page reports as an error: uncaught
// exceptions, console.error and browser log errors (a CSP violation, a
// failed load).
type consoleErrors struct {
	mu   sync.Mutex
	seen []string
}

func (c *consoleErrors) add(s string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.seen = append(c.seen, s)
}

func (c *consoleErrors) list() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]string(nil), c.seen...)
}

func watchConsole(tb tab) *consoleErrors {
	errs := &consoleErrors{}
	go func() {
		for ev, err := range chromedp.Events(tb.ctx, runtime.ExceptionThrown) {
			if err != nil {
				return
			}
			errs.add("exception: " + ev.ExceptionDetails.Text)
		}
	}()
	go func() {
		for ev, err := range chromedp.Events(tb.ctx, runtime.ConsoleAPICalled) {
			if err != nil {
				return
			}
			if ev.Type == runtime.ConsoleAPICalledTypeError {
				errs.add("console.error")
			}
		}
	}()
	go func() {
		for ev, err := range chromedp.Events(tb.ctx, log.EntryAdded) {
			if err != nil {
				return
			}
			if ev.Entry.Level == log.EntryLevelError {
				errs.add("log: " + ev.Entry.Text + " " + ev.Entry.URL)
			}
		}
	}()
	return errs
}

// operationCount counts the operations of the API's OpenAPI document.
func operationCount(t *testing.T, baseURL string) int {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, baseURL+"/api/v1/openapi.json", nil)
	require.NoError(t, err)
	req.Header.Set("Authorization", "Token "+dashboardToken)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	var doc struct {
		Paths map[string]map[string]json.RawMessage `json:"paths"`
	}
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&doc))
	n := 0
	for _, item := range doc.Paths {
		for method := range item {
			switch method {
			case "get", "post", "put", "patch", "delete":
				n++
			}
		}
	}
	return n
}

// TestAPIReferenceInBrowser logs in through the reference page, which
// renders every operation of openapi.json from the server's own assets,
// with no error in the console.
func TestAPIReferenceInBrowser(t *testing.T) {
	t.Parallel()
	bundle := setupDashboard(t)
	tb := newTab(t)

	tb.do(
		chromedp.Navigate(bundle.server.URL+"/api/v1/docs"),
		chromedp.WaitVisible(chromedp.ID("token")),
	)
	require.Equal(t, "/login", eval[string](tb, "location.pathname"), "the reference needs a login")
	tb.do(
		chromedp.SendKeys(chromedp.ID("token"), dashboardToken),
		chromedp.Click(chromedp.CSS(`button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.CSS(".operation")),
	)
	require.Equal(t, "/api/v1/docs/", eval[string](tb, "location.pathname"))
	// The page again, watched from its first request (the login page is
	// not this test's).
	errs := watchConsole(tb)
	tb.do(
		chromedp.Navigate(bundle.server.URL+"/api/v1/docs/"),
		chromedp.WaitVisible(chromedp.CSS(".operation")),
	)

	want := operationCount(t, bundle.server.URL)
	require.Positive(t, want)
	require.Equal(t, want, eval[int](tb, `document.querySelectorAll("#operations .operation").length`))
	require.Equal(t, want, eval[int](tb, `document.querySelectorAll("#toc li").length`))

	// The export operation shows its request body's fields and its answers.
	export := tb.text("#op-startExport")
	for _, want := range []string{"POST", "/api/v1/connections/{id}/export", "dry_run", "device_filters", "run_id", "202"} {
		require.Contains(t, export, want)
	}

	// The filter keeps the matching operations only.
	tb.do(chromedp.SendKeys(chromedp.ID("filter"), "webhooks"))
	tb.until(`[...document.querySelectorAll(".operation")].filter(s => !s.hidden).length === 1`)
	require.Contains(t, eval[string](tb, `[...document.querySelectorAll(".operation")].find(s => !s.hidden).id`), "netboxWebhook")

	// Everything came from this server.
	resources := eval[[]string](tb, `performance.getEntriesByType("resource").map(e => e.name)`)
	require.NotEmpty(t, resources)
	for _, r := range resources {
		require.True(t, strings.HasPrefix(r, bundle.server.URL+"/"), "loaded %s", r)
	}
	require.Empty(t, errs.list(), "the console reports no error")
}
