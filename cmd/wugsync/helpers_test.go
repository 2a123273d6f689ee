package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/spf13/cobra"
	"github.com/stretchr/testify/require"

	"github.com/wugsync/wugsync/config"
	"github.com/wugsync/wugsync/sim/wugsim"
)

// hangGuard turns a wait for an event that never comes into a failure
// instead of a hung test binary. It bounds no behaviour's speed.
const hangGuard = 2 * time.Minute

// testEnvironment is an environment whose only variables are vars, so tests
// run in parallel without touching the process environment. Logs are kept
// to errors unless vars say otherwise.
func testEnvironment(vars map[string]string) environment {
	if _, set := vars[config.EnvLogLevel]; !set {
		vars[config.EnvLogLevel] = "error"
	}
	return environment{lookup: func(name string) (string, bool) {
		v, ok := vars[name]
		return v, ok
	}}
}

// execute runs cmd with args and returns what it printed and its error.
func execute(ctx context.Context, cmd *cobra.Command, args ...string) (string, error) {
	var out bytes.Buffer
	cmd.SetOut(&out)
	cmd.SetErr(&out)
	cmd.SetArgs(append([]string{}, args...)) // never nil: cobra would read os.Args
	err := cmd.ExecuteContext(ctx)
	return out.String(), err
}

// status GETs url with an optional Authorization header and returns the
// status code.
func status(t *testing.T, url, auth string) int {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	require.NoError(t, err)
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	return resp.StatusCode
}

// createConnection creates a WUG connection named "lab" to the simulated
// WUG at wugURL through the API, as a person would, and returns its id.
func createConnection(t *testing.T, apiURL, token, wugURL string) uint {
	t.Helper()
	return createConnectionNamed(t, apiURL, token, wugURL, "lab")
}

// createConnectionNamed is createConnection with a name of the caller's.
func createConnectionNamed(t *testing.T, apiURL, token, wugURL, name string) uint {
	t.Helper()
	u, err := url.Parse(wugURL)
	require.NoError(t, err)
	port, err := strconv.Atoi(u.Port())
	require.NoError(t, err)
	payload := fmt.Sprintf(`{"name": %q, "host": "127.0.0.1", "port": %d, "use_ssl": false, "username": %q, "password": %q}`,
		name, port, wugsim.DefaultUsername, wugsim.DefaultPassword)
	req, err := http.NewRequest(http.MethodPost, apiURL+"/api/v1/connections", strings.NewReader(payload))
	require.NoError(t, err)
	req.Header.Set("Authorization", "Token "+token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	var created struct {
		ID uint `json:"id"`
	}
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&created))
	require.Equal(t, http.StatusCreated, resp.StatusCode)
	return created.ID
}

// newServer serves handler over HTTP until the test ends and returns its URL.
func newServer(t *testing.T, handler http.Handler) string {
	t.Helper()
	srv := httptest.NewServer(handler)
	t.Cleanup(srv.Close)
	return srv.URL
}
