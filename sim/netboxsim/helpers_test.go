package netboxsim_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/wugsync/wugsync/sim/netboxsim"
)

// simBundle is a simulator served over real HTTP.
type simBundle struct {
	sim *netboxsim.Server
	srv *httptest.Server
}

func setup(t *testing.T, opts netboxsim.Options) *simBundle {
	t.Helper()
	sim, err := netboxsim.New(opts)
	require.NoError(t, err)
	t.Cleanup(sim.Close)
	srv := httptest.NewServer(sim)
	t.Cleanup(srv.Close)
	return &simBundle{sim: sim, srv: srv}
}

// answer is one HTTP exchange with a decoded JSON body.
type answer struct {
	status int
	header http.Header
	raw    []byte
	body   map[string]any
}

func (b *simBundle) do(t *testing.T, method, path string, payload any, headers map[string]string) answer {
	t.Helper()
	var rd io.Reader
	if payload != nil {
		raw, err := json.Marshal(payload)
		require.NoError(t, err)
		rd = bytes.NewReader(raw)
	}
	req, err := http.NewRequest(method, b.srv.URL+path, rd)
	require.NoError(t, err)
	req.Header.Set("Authorization", "Token "+netboxsim.DefaultToken)
	req.Header.Set("Content-Type", "application/json")
	for k, v := range headers {
		if v == "" {
			req.Header.Del(k)
		} else {
			req.Header.Set(k, v)
		}
	}
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	a := answer{status: resp.StatusCode, header: resp.Header, raw: raw}
	if len(raw) > 0 && raw[0] == '{' {
		require.NoError(t, json.Unmarshal(raw, &a.body), string(raw))
	}
	return a
}

func (b *simBundle) get(t *testing.T, path string) answer {
	t.Helper()
	return b.do(t, http.MethodGet, path, nil, nil)
}

// results returns the ids of a list answer's results.
func (a answer) ids(t *testing.T) []int {
	t.Helper()
	results, ok := a.body["results"].([]any)
	require.True(t, ok, string(a.raw))
	ids := make([]int, len(results))
	for i, r := range results {
		ids[i] = int(r.(map[string]any)["id"].(float64))
	}
	return ids
}

func (a answer) count() int { return int(a.body["count"].(float64)) }

func itoa(i int) string { return strconv.Itoa(i) }

func decodeJSON(t *testing.T, raw []byte, out any) {
	t.Helper()
	require.NoError(t, json.Unmarshal(raw, out), string(raw))
}
