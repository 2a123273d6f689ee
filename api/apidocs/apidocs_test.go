package apidocs_test

import (
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/wugsync/wugsync/api/apidocs"
)

func get(t *testing.T, h http.Handler, method, path string) *http.Response {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(method, path, nil))
	return rec.Result()
}

func TestThePageAndItsAssetsAreServedWithAStrictPolicy(t *testing.T) {
	t.Parallel()
	h := apidocs.Handler()
	for path, contentType := range map[string]string{
		apidocs.Prefix + "/":         "text/html; charset=utf-8",
		apidocs.Prefix + "/docs.js":  "text/javascript; charset=utf-8",
		apidocs.Prefix + "/docs.css": "text/css; charset=utf-8",
	} {
		resp := get(t, h, http.MethodGet, path)
		require.Equal(t, http.StatusOK, resp.StatusCode, path)
		require.Equal(t, contentType, resp.Header.Get("Content-Type"), path)
		require.Contains(t, resp.Header.Get("Content-Security-Policy"), "script-src 'self'", path)
		require.Equal(t, "nosniff", resp.Header.Get("X-Content-Type-Options"))
	}
	body, err := io.ReadAll(get(t, h, http.MethodGet, apidocs.Prefix+"/").Body)
	require.NoError(t, err)
	require.Contains(t, string(body), `<script src="docs.js" defer></script>`)

	resp := get(t, h, http.MethodGet, apidocs.Prefix)
	require.Equal(t, http.StatusMovedPermanently, resp.StatusCode)
	require.Equal(t, apidocs.Prefix+"/", resp.Header.Get("Location"))
	require.Equal(t, http.StatusNotFound, get(t, h, http.MethodGet, apidocs.Prefix+"/missing.js").StatusCode)
	require.Equal(t, http.StatusMethodNotAllowed, get(t, h, http.MethodPost, apidocs.Prefix+"/").StatusCode)
}

// TestNothingLoadsFromElsewhere keeps the page usable offline: no asset
// names another host, and the script never builds HTML from text.
func TestNothingLoadsFromElsewhere(t *testing.T) {
	t.Parallel()
	external := regexp.MustCompile(`(?i)(src|href)\s*=\s*["']?(https?:)?//|@import|url\(\s*["']?(https?:)?//`)
	err := fs.WalkDir(os.DirFS("assets"), ".", func(name string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(filepath.Join("assets", name))
		require.NoError(t, err)
		require.NotRegexp(t, external, string(data), "%s loads something from another host", name)
		if filepath.Ext(name) == ".js" {
			require.NotRegexp(t, `innerHTML|outerHTML|insertAdjacentHTML|document\.write`, string(data), "%s parses text as HTML", name)
		}
		return nil
	})
	require.NoError(t, err)
}
