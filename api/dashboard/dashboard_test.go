package dashboard_test

import (
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/wugsync/wugsync/api/dashboard"
)

// testBundle is a dashboard served over real HTTP, the way a browser sees it.
type testBundle struct {
	server *httptest.Server
}

func setup(t *testing.T) testBundle {
	t.Helper()
	server := httptest.NewServer(dashboard.New(dashboard.Options{}))
	t.Cleanup(server.Close)
	return testBundle{server: server}
}

func (b testBundle) do(t *testing.T, method, path string, header http.Header) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest(method, b.server.URL+path, nil)
	require.NoError(t, err)
	for k, v := range header {
		req.Header[k] = v
	}
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	}}
	res, err := client.Do(req)
	require.NoError(t, err)
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	require.NoError(t, err)
	return res, string(body)
}

func TestDashboardServesAssetsWithTheirContentTypes(t *testing.T) {
	t.Parallel()
	bundle := setup(t)
	cases := []struct {
		path        string
		contentType string
		contains    string
	}{
		{"/dashboard/", "text/html; charset=utf-8", "<title>wugsync dashboard</title>"},
		{"/dashboard/index.html", "text/html; charset=utf-8", `<script src="app.js" defer></script>`},
		{"/dashboard/app.js", "text/javascript; charset=utf-8", "/api/v1"},
		{"/dashboard/style.css", "text/css; charset=utf-8", ":root"},
		// The api may strip the prefix before the handler instead.
		{"/", "text/html; charset=utf-8", "<title>wugsync dashboard</title>"},
		{"/app.js", "text/javascript; charset=utf-8", "/api/v1"},
	}
	for _, tc := range cases {
		t.Run(tc.path, func(t *testing.T) {
			t.Parallel()
			res, body := bundle.do(t, http.MethodGet, tc.path, nil)
			require.Equal(t, http.StatusOK, res.StatusCode)
			require.Equal(t, tc.contentType, res.Header.Get("Content-Type"))
			require.Equal(t, "nosniff", res.Header.Get("X-Content-Type-Options"))
			require.Contains(t, res.Header.Get("Content-Security-Policy"), "script-src 'self'")
			require.Contains(t, body, tc.contains)
		})
	}
}

func TestDashboardPrefixWithoutSlashRedirects(t *testing.T) {
	t.Parallel()
	bundle := setup(t)
	res, _ := bundle.do(t, http.MethodGet, "/dashboard?x=1", nil)
	require.Equal(t, http.StatusMovedPermanently, res.StatusCode)
	require.Equal(t, "/dashboard/?x=1", res.Header.Get("Location"))
}

func TestDashboardUnknownPathsAreNotFound(t *testing.T) {
	t.Parallel()
	bundle := setup(t)
	for _, path := range []string{"/dashboard/nope.js", "/dashboard/assets/app.js", "/dashboard/../go.mod", "/dashboard/%2e%2e/dashboard.go", "/dashboard/runs/7"} {
		res, body := bundle.do(t, http.MethodGet, path, nil)
		require.Equal(t, http.StatusNotFound, res.StatusCode, path)
		require.Equal(t, "text/html; charset=utf-8", res.Header.Get("Content-Type"), path)
		require.Contains(t, res.Header.Get("Content-Security-Policy"), "script-src 'self'", path)
		require.Contains(t, body, "Page not found", path)
		require.Contains(t, body, `href="/dashboard/style.css"`, "the page is styled wherever it is answered")
		require.Empty(t, res.Header.Get("ETag"), "a 404 is not cached as the asset")
	}
}

func TestDashboardConfigCarriesOnlyAWebNetBoxURL(t *testing.T) {
	t.Parallel()
	cases := map[string]string{
		"https://netbox.example.net/":           `{"netbox_url":"https://netbox.example.net"}`,
		"http://10.0.0.5:8000/nb":               `{"netbox_url":"http://10.0.0.5:8000/nb"}`,
		"https://user:pw@netbox.example.net/?x": `{"netbox_url":"https://netbox.example.net"}`,
		"javascript:alert(1)":                   `{"netbox_url":""}`,
		"":                                      `{"netbox_url":""}`,
	}
	for in, want := range cases {
		server := httptest.NewServer(dashboard.New(dashboard.Options{NetBoxURL: in}))
		t.Cleanup(server.Close)
		res, body := testBundle{server: server}.do(t, http.MethodGet, "/dashboard/config.json", nil)
		require.Equal(t, http.StatusOK, res.StatusCode)
		require.Equal(t, "application/json", res.Header.Get("Content-Type"))
		require.JSONEq(t, want, body, in)
	}
}

func TestDashboardAllowsOnlyReadMethods(t *testing.T) {
	t.Parallel()
	bundle := setup(t)
	res, _ := bundle.do(t, http.MethodPost, "/dashboard/", nil)
	require.Equal(t, http.StatusMethodNotAllowed, res.StatusCode)
	require.Equal(t, "GET, HEAD", res.Header.Get("Allow"))

	res, body := bundle.do(t, http.MethodHead, "/dashboard/app.js", nil)
	require.Equal(t, http.StatusOK, res.StatusCode)
	require.Empty(t, body)
}

func TestDashboardAssetsRevalidateByETag(t *testing.T) {
	t.Parallel()
	bundle := setup(t)
	res, _ := bundle.do(t, http.MethodGet, "/dashboard/app.js", nil)
	etag := res.Header.Get("ETag")
	require.NotEmpty(t, etag)
	require.Equal(t, "no-cache", res.Header.Get("Cache-Control"))

	res, body := bundle.do(t, http.MethodGet, "/dashboard/app.js", http.Header{"If-None-Match": {etag}})
	require.Equal(t, http.StatusNotModified, res.StatusCode)
	require.Empty(t, body)
}

// readAssets returns the source of every asset, read from disk so a new file
// is checked without editing this test.
func readAssets(t *testing.T) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := filepath.WalkDir("assets", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		out[path] = string(b)
		return nil
	})
	require.NoError(t, err)
	require.Len(t, out, 5, "index.html, app.js, style.css, 404.html and favicon.svg")
	return out
}

// The machine running the dashboard is offline and the CSP allows only
// 'self': any reference to another origin would silently break the page.
func TestDashboardAssetsReferenceNothingOutside(t *testing.T) {
	t.Parallel()
	external := regexp.MustCompile(`(?i)(https?:)?//[a-z0-9.-]+\.[a-z]{2,}|@import|url\(\s*['"]?(https?:|//)`)
	for path, src := range readAssets(t) {
		// JavaScript and CSS comments may mention hosts; strip line comments
		// that start a line so only code is checked.
		var code []string
		for _, line := range strings.Split(src, "\n") {
			if trimmed := strings.TrimSpace(line); strings.HasPrefix(trimmed, "//") || strings.HasPrefix(trimmed, "/*") {
				continue
			}
			code = append(code, line)
		}
		// An SVG names its XML namespace with a URL that is never fetched.
		text := strings.ReplaceAll(strings.Join(code, "\n"), `xmlns="http://www.w3.org/2000/svg"`, "")
		match := external.FindString(text)
		require.Empty(t, match, "%s refers to an outside resource", path)
	}
}

// Device names come from NetBox and may contain markup: the script must
// never hand server data to an HTML parser.
func TestDashboardScriptNeverParsesHTML(t *testing.T) {
	t.Parallel()
	src := readAssets(t)[filepath.Join("assets", "app.js")]
	for _, sink := range []string{"innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval(", "new Function", "createContextualFragment"} {
		require.NotContains(t, src, sink)
	}
}

// Every control is named for assistive technology: form fields have a
// label, tables have column headers.
func TestDashboardPageIsLabelled(t *testing.T) {
	t.Parallel()
	page := readAssets(t)[filepath.Join("assets", "index.html")]
	ids := regexp.MustCompile(`<(?:select|input)[^>]*\bid="([^"]+)"`).FindAllStringSubmatch(page, -1)
	require.NotEmpty(t, ids)
	for _, m := range ids {
		require.Contains(t, page, `<label for="`+m[1]+`">`, "field %s has no label", m[1])
	}
	require.Equal(t, strings.Count(page, "<table"), strings.Count(page, "<thead>"), "every table has a header row")
	require.Contains(t, page, `<html lang="en">`)
}
