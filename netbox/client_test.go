package netbox_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/wugsync/wugsync/netbox"
	"github.com/wugsync/wugsync/sim/netboxsim"
)

func TestNewRejectsBadConfig(t *testing.T) {
	t.Parallel()
	cases := map[string]netbox.Config{
		"empty url":            {},
		"no scheme":            {URL: "netbox.example.com"},
		"ftp scheme":           {URL: "ftp://netbox.example.com"},
		"no host":              {URL: "https:///api/"},
		"credentials in url":   {URL: "https://admin:secret@netbox.example.com"},
		"token with space":     {URL: "https://nb", Token: "abc def"},
		"unknown scheme":       {URL: "https://nb", Token: "abc", TokenScheme: "Basic"},
		"scheme without token": {URL: "https://nb", TokenScheme: "Token"},
		"ca pem without certs": {URL: "https://nb", CACertPEM: []byte("not a certificate")},
		"tls and http client":  {URL: "https://nb", InsecureSkipVerify: true, HTTPClient: &http.Client{}},
		"unknown paging mode":  {URL: "https://nb", Paging: netbox.PagingMode(7)},
	}
	for name, cfg := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			_, err := netbox.New(cfg)
			require.ErrorIs(t, err, netbox.ErrConfig)
			require.NotContains(t, err.Error(), "secret")
		})
	}
}

func TestNewNormalisesURL(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"https://nb.example.com":           "https://nb.example.com",
		"https://nb.example.com/api/":      "https://nb.example.com",
		"https://example.com/netbox/":      "https://example.com/netbox",
		" https://example.com/netbox/api ": "https://example.com/netbox",
	} {
		c, err := netbox.New(netbox.Config{URL: in})
		require.NoError(t, err)
		require.Equal(t, want, c.Server(), in)
	}
}

func TestTokenSchemeFollowsTokenForm(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, token, scheme, want string
	}{
		{"v1 key uses Token", netboxsim.DefaultToken, "", "Token"},
		{"v2 token uses Bearer", netboxsim.DefaultTokenV2, "", "Bearer"},
		{"override wins", netboxsim.DefaultTokenV2, "token", "Token"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			b := setup(t, netboxsim.Options{Version: netboxsim.Version45}, func(c *netbox.Config) {
				c.Token, c.TokenScheme = tc.token, tc.scheme
			})
			_, err := b.client.Status(context.Background())
			require.NoError(t, err)
			reqs := b.sim.Requests()
			require.Len(t, reqs, 1)
			require.Equal(t, tc.want, reqs[0].AuthScheme)
		})
	}
}

func TestAuthFailuresAreErrAuthNamingServer(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name    string
		version string
		token   string
		scheme  string
		detail  string
	}{
		{"bad v1 token on 4.4", netboxsim.Version44, "ffffffffffffffffffffffffffffffffffffffff", "", "Invalid token"},
		{"bearer before 4.5 is anonymous", netboxsim.Version44, netboxsim.DefaultToken, "Bearer", "Authentication credentials were not provided."},
		{"no token", netboxsim.Version44, "", "", "Authentication credentials were not provided."},
		{"bad v1 token on 4.5", netboxsim.Version45, "ffffffffffffffffffffffffffffffffffffffff", "", "Invalid v1 token"},
		{"bad v2 token on 4.5", netboxsim.Version45, "nbt_abcdefabcdef.nope", "", "Invalid v2 token"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			b := setup(t, netboxsim.Options{Version: tc.version}, func(c *netbox.Config) {
				c.Token, c.TokenScheme = tc.token, tc.scheme
			})
			_, err := b.client.GetDevice(context.Background(), 1)
			require.ErrorIs(t, err, netbox.ErrAuth)
			require.Contains(t, err.Error(), b.srv.URL)
			require.Contains(t, err.Error(), tc.detail)
			if tc.token != "" {
				require.NotContains(t, err.Error(), tc.token)
			}
			require.Equal(t, 1, b.sim.RequestCount("GET", "/api/dcim/devices/{id}/"), "auth failures are not retried")
		})
	}
}

func TestUnauthorizedFromProxyIsErrAuth(t *testing.T) {
	t.Parallel()
	proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("WWW-Authenticate", `Basic realm="sso"`)
		http.Error(w, "login required", http.StatusUnauthorized)
	}))
	t.Cleanup(proxy.Close)
	c, err := netbox.New(netbox.Config{URL: proxy.URL, Token: netboxsim.DefaultToken})
	require.NoError(t, err)
	_, err = c.Status(context.Background())
	require.ErrorIs(t, err, netbox.ErrAuth)
	var apiErr *netbox.APIError
	require.ErrorAs(t, err, &apiErr)
	require.Equal(t, http.StatusUnauthorized, apiErr.StatusCode)
	require.Equal(t, proxy.URL, apiErr.Server)
}

func TestStatusReportsVersion(t *testing.T) {
	t.Parallel()
	for _, v := range []string{netboxsim.Version42, netboxsim.Version44, netboxsim.Version45} {
		b := setup(t, netboxsim.Options{Version: v}, nil)
		st, err := b.client.Status(context.Background())
		require.NoError(t, err)
		require.Equal(t, v, st.APIVersion)
		require.Regexp(t, `^`+v+`\.\d+$`, st.NetBoxVersion)
		require.Positive(t, st.RQWorkersRunning)
	}
}

func TestRetriesTransientFailures(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name  string
		fault netboxsim.FaultRule
	}{
		{"500", netboxsim.FaultRule{PathPrefix: "/api/dcim/devices/", Status: 500, FirstN: 2}},
		{"502 from proxy", netboxsim.FaultRule{PathPrefix: "/api/dcim/devices/", Status: 502, FirstN: 2}},
		{"429", netboxsim.FaultRule{PathPrefix: "/api/dcim/devices/", Status: 429, FirstN: 2}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			b := setup(t, netboxsim.Options{Devices: 20, Faults: []netboxsim.FaultRule{tc.fault}}, nil)
			d, err := b.client.GetDevice(context.Background(), 3)
			require.NoError(t, err)
			require.Equal(t, int64(3), d.ID)
			require.Equal(t, 3, b.sim.RequestCount("GET", "/api/dcim/devices/{id}/"))
		})
	}
}

func TestGivesUpAfterMaxRetries(t *testing.T) {
	t.Parallel()
	b := setup(t, netboxsim.Options{Devices: 5, Faults: []netboxsim.FaultRule{{PathPrefix: "/api/", Status: 503}}},
		func(c *netbox.Config) { c.MaxRetries = 2 })
	_, err := b.client.GetDevice(context.Background(), 1)
	require.ErrorIs(t, err, netbox.ErrServer)
	require.Contains(t, err.Error(), "HTTP 503")
	require.Equal(t, 3, b.sim.RequestCount("GET", "/api/dcim/devices/{id}/"))
}

func TestNegativeMaxRetriesDisablesRetries(t *testing.T) {
	t.Parallel()
	b := setup(t, netboxsim.Options{Devices: 5, Faults: []netboxsim.FaultRule{{PathPrefix: "/api/", Status: 500}}},
		func(c *netbox.Config) { c.MaxRetries = -1 })
	_, err := b.client.GetDevice(context.Background(), 1)
	require.ErrorIs(t, err, netbox.ErrServer)
	require.Equal(t, 1, b.sim.RequestCount("GET", "/api/dcim/devices/{id}/"))
}

func TestAttemptTimeoutIsRetriedThenReported(t *testing.T) {
	t.Parallel()
	// The limiter counts attempts on the client's side: under load a
	// 20 ms attempt may time out before its request reaches the server.
	lim := &countingLimiter{}
	b := setup(t, netboxsim.Options{Devices: 5, Faults: []netboxsim.FaultRule{{PathPrefix: "/api/", Hang: true}}},
		func(c *netbox.Config) { c.Timeout, c.MaxRetries, c.Limiter = 20*time.Millisecond, 1, lim })
	_, err := b.client.Status(context.Background())
	require.ErrorIs(t, err, netbox.ErrServer)
	require.ErrorIs(t, err, context.DeadlineExceeded)
	require.Contains(t, err.Error(), "timed out")
	require.Equal(t, 2, lim.acquired, "one retry after the first timeout")
	require.Equal(t, 2, lim.released)
}

func TestCancelledContextStopsWithoutRetry(t *testing.T) {
	t.Parallel()
	b := setup(t, netboxsim.Options{Devices: 5}, nil)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := b.client.GetDevice(ctx, 1)
	require.True(t, errors.Is(err, context.Canceled), "got %v", err)
	require.Zero(t, b.sim.RequestCount("GET", "/api/dcim/devices/{id}/"))
}

func TestNotFoundIsNotRetried(t *testing.T) {
	t.Parallel()
	b := setup(t, netboxsim.Options{Devices: 5}, nil)
	_, err := b.client.GetDevice(context.Background(), 999)
	require.ErrorIs(t, err, netbox.ErrNotFound)
	require.Equal(t, 1, b.sim.RequestCount("GET", "/api/dcim/devices/{id}/"))
}
