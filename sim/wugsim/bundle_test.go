package wugsim_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/wugsync/wugsync/internal/testinfra"
	"github.com/wugsync/wugsync/sim/wugsim"
)

// bundle is a simulator behind a real HTTP server, a logged-in token and the simulator's clock.
type bundle struct {
	sim   *wugsim.Server
	srv   *httptest.Server
	token string
	clock *testinfra.Clock
}

func setup(t *testing.T, opts wugsim.Options) *bundle {
	t.Helper()
	c := testinfra.NewClock(time.Date(2026, 3, 8, 12, 0, 0, 0, time.UTC))
	if opts.Now == nil {
		opts.Now = c.Now
	}
	sim := wugsim.New(opts)
	srv := httptest.NewServer(sim)
	t.Cleanup(srv.Close)
	t.Cleanup(sim.Close)
	b := &bundle{sim: sim, srv: srv, clock: c}
	user, pass := wugsim.DefaultUsername, wugsim.DefaultPassword
	for u, p := range opts.Users { // tests configure one user at most
		user, pass = u, p
	}
	res := b.form(t, url.Values{"grant_type": {"password"}, "username": {user}, "password": {pass}}.Encode(), "application/x-www-form-urlencoded")
	require.Equal(t, http.StatusOK, res.status, string(res.body))
	b.token = res.json(t)["access_token"].(string)
	return b
}

type response struct {
	status int
	header http.Header
	body   []byte
}

// json decodes the body as an object.
func (r response) json(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	require.NoError(t, json.Unmarshal(r.body, &m), string(r.body))
	return m
}

// data returns the "data" member of a Result envelope.
func (r response) data(t *testing.T) any {
	t.Helper()
	m := r.json(t)
	require.Contains(t, m, "data", string(r.body))
	return m["data"]
}

func (r response) dataMap(t *testing.T) map[string]any {
	t.Helper()
	d, ok := r.data(t).(map[string]any)
	require.True(t, ok, string(r.body))
	return d
}

// send makes one request; body may be empty.
func (b *bundle) send(t *testing.T, method, path, body string, header http.Header) response {
	t.Helper()
	var reader io.Reader
	if body != "" {
		reader = strings.NewReader(body)
	}
	req, err := http.NewRequestWithContext(t.Context(), method, b.srv.URL+path, reader)
	require.NoError(t, err)
	for k, v := range header {
		req.Header[k] = v
	}
	res, err := b.srv.Client().Do(req)
	require.NoError(t, err)
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	require.NoError(t, err)
	return response{status: res.StatusCode, header: res.Header, body: raw}
}

// call is an authenticated JSON request, as WhatsUpGoldPS sends them.
func (b *bundle) call(t *testing.T, method, path, body string) response {
	t.Helper()
	return b.send(t, method, path, body, http.Header{"Authorization": {"Bearer " + b.token}, "Content-Type": {"application/json"}})
}

// form posts a token request with the given Content-Type.
func (b *bundle) form(t *testing.T, body, contentType string) response {
	t.Helper()
	return b.send(t, http.MethodPost, "/api/v1/token", body, http.Header{"Content-Type": {contentType}})
}

func (b *bundle) addDevice(t *testing.T, d wugsim.Device) string {
	t.Helper()
	stored, err := b.sim.AddDevice(d)
	require.NoError(t, err)
	return stored.ID
}

func fixture(t *testing.T, name string) string {
	t.Helper()
	// The fixtures of reference section 6 live with the client, their first user.
	raw, err := os.ReadFile(filepath.Join("..", "..", "wug", "testdata", name))
	require.NoError(t, err)
	return string(raw)
}

func devicesOf(t *testing.T, r response) []map[string]any {
	t.Helper()
	list, ok := r.dataMap(t)["devices"].([]any)
	require.True(t, ok, string(r.body))
	out := make([]map[string]any, len(list))
	for i, d := range list {
		out[i] = d.(map[string]any)
	}
	return out
}

func field(list []map[string]any, key string) []any {
	out := make([]any, len(list))
	for i, m := range list {
		out[i] = m[key]
	}
	return out
}

func q(values ...string) string {
	v := url.Values{}
	for i := 0; i+1 < len(values); i += 2 {
		v.Add(values[i], values[i+1])
	}
	return "?" + v.Encode()
}
