package api

import (
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/wugsync/wugsync/sim/wugsim"
)

// wugServer serves a simulated WUG over TLS with a self-signed certificate
// and returns it with the certificate's PEM.
func wugServer(t *testing.T, opts wugsim.Options) (*wugsim.Server, *httptest.Server, string) {
	t.Helper()
	sim := wugsim.New(opts)
	ts := httptest.NewUnstartedServer(sim)
	tlsConfig, certPEM, err := wugsim.SelfSignedTLS("127.0.0.1")
	require.NoError(t, err)
	ts.TLS = tlsConfig
	ts.StartTLS()
	t.Cleanup(ts.Close)
	return sim, ts, string(certPEM)
}

// connectionTo creates a connection to a test server's address.
func (b *testBundle) connectionTo(t *testing.T, name, serverURL string, extra map[string]any) uint {
	t.Helper()
	u, err := url.Parse(serverURL)
	require.NoError(t, err)
	body := map[string]any{"host": u.String(), "username": wugsim.DefaultUsername, "password": wugsim.DefaultPassword}
	for k, v := range extra {
		body[k] = v
	}
	return b.createConnection(t, name, body)
}

func (b *testBundle) probe(t *testing.T, id uint) map[string]any {
	t.Helper()
	r := b.call(t, http.MethodPost, path("/api/v1/connections/%d/test", id), nil)
	require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)
	require.NotContains(t, string(r.Body), wugsim.DefaultPassword+`"`)
	return r.json(t)
}

func TestConnectionTestPasses(t *testing.T) {
	t.Parallel()
	b := setup(t)
	_, ts, certPEM := wugServer(t, wugsim.Options{Version: "2024.1.0",
		Devices: []wugsim.Device{{Name: "sw1", NetworkAddress: "10.0.0.1"}, {Name: "sw2", NetworkAddress: "10.0.0.2"}}})
	id := b.connectionTo(t, "lab", ts.URL, map[string]any{"ca_cert_pem": certPEM})
	got := b.probe(t, id)
	require.Equal(t, true, got["ok"], "%v", got)
	require.Equal(t, "2024.1.0", got["version"])
	require.EqualValues(t, 2, got["device_count"])
}

func TestConnectionTestSaysWhatFailed(t *testing.T) {
	t.Parallel()
	b := setup(t)
	_, ts, certPEM := wugServer(t, wugsim.Options{})
	closed := httptest.NewServer(http.NotFoundHandler())
	closedURL := closed.URL
	closed.Close()

	cases := []struct {
		name  string
		setup func(t *testing.T) uint
		stage string
		kind  string
	}{
		{"bad credentials", func(t *testing.T) uint {
			return b.connectionTo(t, "badcreds", ts.URL, map[string]any{"ca_cert_pem": certPEM, "password": "wrong-password"})
		}, stageLogin, "bad_credentials"},
		{"untrusted certificate", func(t *testing.T) uint {
			return b.connectionTo(t, "untrusted", ts.URL, nil)
		}, stageLogin, "tls"},
		{"unreachable", func(t *testing.T) uint {
			return b.connectionTo(t, "unreachable", closedURL, nil)
		}, stageLogin, "unreachable"},
		{"version fails", func(t *testing.T) uint {
			sim, ts, pem := wugServer(t, wugsim.Options{})
			require.NoError(t, sim.SetFaults("GET /api/v1/product/version", wugsim.Fault{ErrorRate: 1}))
			return b.connectionTo(t, "noversion", ts.URL, map[string]any{"ca_cert_pem": pem})
		}, stageVersion, "server_error"},
		{"device count fails", func(t *testing.T) uint {
			sim, ts, pem := wugServer(t, wugsim.Options{})
			require.NoError(t, sim.SetFaults("GET /api/v1/device-groups/{groupId}", wugsim.Fault{ErrorRate: 1}))
			return b.connectionTo(t, "nocount", ts.URL, map[string]any{"ca_cert_pem": pem})
		}, stageDeviceCount, "server_error"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := b.probe(t, tc.setup(t))
			require.Equal(t, false, got["ok"])
			require.Equal(t, tc.stage, got["stage"], "%v", got)
			require.Equal(t, tc.kind, got["kind"], "%v", got)
			require.NotEmpty(t, got["error"])
		})
	}
	require.Equal(t, http.StatusNotFound, b.call(t, http.MethodPost, "/api/v1/connections/999/test", nil).Status)
}

func TestConnectionTestWithVerificationOff(t *testing.T) {
	t.Parallel()
	b := setup(t)
	_, ts, _ := wugServer(t, wugsim.Options{})
	host, port, err := net.SplitHostPort(ts.Listener.Addr().String())
	require.NoError(t, err)
	n, err := strconv.Atoi(port)
	require.NoError(t, err)
	id := b.createConnection(t, "insecure", map[string]any{"host": host, "port": n, "verify_ssl": false,
		"username": wugsim.DefaultUsername, "password": wugsim.DefaultPassword})
	require.Equal(t, true, b.probe(t, id)["ok"])
}
