package process

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/stretchr/testify/require"
)

func get(t *testing.T, url, auth string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	require.NoError(t, err)
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp.StatusCode, string(body)
}

func TestHealthHandlerProbes(t *testing.T) {
	t.Parallel()
	var readyErr error
	reg := prometheus.NewRegistry()
	counter := prometheus.NewCounter(prometheus.CounterOpts{Name: "wugsync_test_total", Help: "test"})
	reg.MustRegister(counter)
	counter.Inc()
	srv := httptest.NewServer(HealthHandler(func(context.Context) error { return readyErr }, reg, ""))
	defer srv.Close()

	status, _ := get(t, srv.URL+HealthPath, "")
	require.Equal(t, http.StatusOK, status)
	status, _ = get(t, srv.URL+ReadyPath, "")
	require.Equal(t, http.StatusOK, status)

	readyErr = errors.New("ping Redis at redis://r:6379: connection refused")
	status, body := get(t, srv.URL+ReadyPath, "")
	require.Equal(t, http.StatusServiceUnavailable, status)
	require.Contains(t, body, "connection refused")
	status, _ = get(t, srv.URL+HealthPath, "")
	require.Equal(t, http.StatusOK, status, "liveness ignores Redis: a restart would not bring it back")

	status, body = get(t, srv.URL+MetricsPath, "")
	require.Equal(t, http.StatusOK, status, "no metrics token: /metrics is open")
	require.Contains(t, body, "wugsync_test_total 1")
}

func TestMetricsTokenIsRequiredWhenSet(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(HealthHandler(func(context.Context) error { return nil }, prometheus.NewRegistry(), "metrics-token-0123456789"))
	defer srv.Close()
	for _, tc := range []struct {
		auth string
		want int
	}{
		{"", http.StatusUnauthorized},
		{"Basic abc", http.StatusUnauthorized},
		{"Bearer wrong-token", http.StatusForbidden},
		{"Bearer metrics-token-0123456789", http.StatusOK},
		{"Token metrics-token-0123456789", http.StatusOK},
	} {
		status, body := get(t, srv.URL+MetricsPath, tc.auth)
		require.Equal(t, tc.want, status, "Authorization %q", tc.auth)
		require.False(t, tc.want != http.StatusOK && strings.Contains(body, "metrics-token"), "the token is never echoed")
	}
	status, _ := get(t, srv.URL+HealthPath, "")
	require.Equal(t, http.StatusOK, status, "probes need no token")
}
