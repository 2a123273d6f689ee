package wugtest_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/wugsync/wugsync/wug"
	"github.com/wugsync/wugsync/wug/wugtest"
)

func statuses(results []wugtest.Result) map[string]wugtest.Status {
	out := map[string]wugtest.Status{}
	for _, r := range results {
		out[r.Name] = r.Status
	}
	return out
}

func caseNames(cases []wugtest.Case) []string {
	var out []string
	for _, c := range cases {
		out = append(out, c.Name)
	}
	return out
}

func resultNames(results []wugtest.Result) []string {
	var out []string
	for _, r := range results {
		out = append(out, r.Name)
	}
	return out
}

func TestCheckReadOnlyChoosesTheProfileByVersionAndWritesNothing(t *testing.T) {
	t.Parallel()
	b := setupSim(t, wugtest.ProfileSimulator, nil)

	results := wugtest.CheckReadOnly(t.Context(), b.target.Config, wugtest.Profile{})

	require.Equal(t, caseNames(wugtest.ReadOnlyCases()), resultNames(results))
	for _, r := range results {
		require.Equal(t, wugtest.StatusOK, r.Status, "%s: %s", r.Name, r.Detail)
	}
	require.Contains(t, results[1].Detail, "profile wug-2026 (chosen from version 2026.0.0)")
	// wug-2026 does not know the page size, so paging is checked by the page count alone.
	require.Equal(t, "12 devices over 3 pages", results[4].Detail)
	for _, e := range b.sim.RequestLog() {
		if e.Method != http.MethodGet {
			require.Equal(t, "POST /api/v1/token", e.Route, "a read-only check sent %s %s", e.Method, e.Path)
		}
	}
	require.Equal(t, 1, b.sim.CountRequests("POST /api/v1/token"), "one login for every check")
}

func TestCheckReadOnlyStopsAfterAFailedLogin(t *testing.T) {
	t.Parallel()
	b := setupSim(t, wugtest.ProfileSimulator, nil)
	cfg := b.target.Config
	cfg.Password = "not-the-password"

	results := wugtest.CheckReadOnly(t.Context(), cfg, wugtest.Profile{})

	require.Equal(t, caseNames(wugtest.ReadOnlyCases()), resultNames(results))
	require.Equal(t, wugtest.StatusFailed, results[0].Status)
	require.Contains(t, results[0].Detail, "Invalid username/password")
	require.Contains(t, results[0].Fix, "credentials")
	require.NotContains(t, results[0].Detail, "not-the-password")
	for _, r := range results[1:] {
		require.Equal(t, wugtest.StatusFailed, r.Status)
		require.Equal(t, "not checked: login failed", r.Detail)
		require.Equal(t, results[0].Fix, r.Fix)
	}
	require.Equal(t, 1, b.sim.CountRequests("*"), "one refused token request, nothing else")
}

func TestCheckReadOnlyNamesAnUnreachableServer(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL
	srv.Close()
	b := setupSim(t, wugtest.ProfileSimulator, nil)
	cfg := b.target.Config
	cfg.BaseURL = url

	results := wugtest.CheckReadOnly(t.Context(), cfg, wugtest.Profile{})

	require.Equal(t, wugtest.StatusFailed, results[0].Status)
	require.Contains(t, results[0].Fix, "base URL")
}

func TestCheckReadOnlyReportsBadConfigAsAFailedLogin(t *testing.T) {
	t.Parallel()
	results := wugtest.CheckReadOnly(t.Context(), wug.Config{BaseURL: "ftp://wug:9644", Username: "u", Password: "p"}, wugtest.Profile{})
	require.Equal(t, caseNames(wugtest.ReadOnlyCases()), resultNames(results))
	require.Equal(t, wugtest.StatusFailed, results[0].Status)
	require.Contains(t, results[0].Detail, "scheme must be https or http")
	require.Contains(t, results[0].Fix, "connection settings")
	require.Equal(t, "not checked: login failed", results[1].Detail)
}

func TestAProfileForAnotherVersionFailsTheVersionCaseAndProbesWhatItLeavesOpen(t *testing.T) {
	t.Parallel()
	b := setupSim(t, wugtest.ProfileSimulator, nil)
	p, err := wugtest.ProfileByName(wugtest.ProfileWUG2024)
	require.NoError(t, err)

	results := wugtest.CheckReadOnly(t.Context(), b.target.Config, p)

	got := statuses(results)
	require.Equal(t, wugtest.StatusFailed, got["product_version"])
	require.Contains(t, results[1].Detail, "wug-2026 would")
	require.Equal(t, wugtest.StatusNotApplicable, got["device_count"], "wug-2024 leaves view=detail open")
	require.True(t, strings.HasPrefix(results[2].Detail, "profile wug-2024 leaves DeviceCountDetail open"), results[2].Detail)
	require.Contains(t, results[2].Detail, "probe passed: 12 devices")
	require.Equal(t, wugtest.StatusOK, got["device_listing"])
	require.Contains(t, results[3].Detail, "not compared with DeviceCount")
}
