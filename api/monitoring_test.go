package api

import (
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestMonitoringHasAContentSecurityPolicy: asynqmon's answers carry a
// policy that allows exactly its own inline scripts, by hash, and nothing
// from other origins but its fonts. The browser test checks it loads.
func TestMonitoringHasAContentSecurityPolicy(t *testing.T) {
	t.Parallel()
	b := setup(t)
	r := b.call(t, http.MethodGet, MonitoringRoot+"/", nil)
	require.Equal(t, http.StatusOK, r.Status)
	csp := r.Header.Get("Content-Security-Policy")
	require.NotEmpty(t, csp)
	directives := map[string]string{}
	for _, d := range strings.Split(csp, ";") {
		name, value, _ := strings.Cut(strings.TrimSpace(d), " ")
		directives[name] = value
	}
	require.Equal(t, "'none'", directives["default-src"])
	require.Equal(t, "'none'", directives["frame-ancestors"])
	require.Equal(t, "'self'", directives["connect-src"])
	require.NotContains(t, directives["script-src"], "unsafe-inline")
	require.NotContains(t, directives["script-src"], "unsafe-eval")
	scripts := inlineScript.FindAllStringSubmatch(string(r.Body), -1)
	require.NotEmpty(t, scripts)
	for _, m := range scripts {
		sum := sha256.Sum256([]byte(m[1]))
		require.Contains(t, directives["script-src"], "'sha256-"+base64.StdEncoding.EncodeToString(sum[:])+"'",
			"every inline script of the page is allowed by its hash")
	}
	require.Len(t, strings.Fields(directives["script-src"]), len(scripts)+1, "and nothing else inline")

	r = b.call(t, http.MethodGet, MonitoringRoot+"/api/queues", nil)
	require.Equal(t, csp, r.Header.Get("Content-Security-Policy"), "asynqmon's API answers carry it too")
}
