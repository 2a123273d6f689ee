package main

import (
	"bytes"
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/spf13/cobra"
	"github.com/stretchr/testify/require"

	"github.com/wugsync/wugsync/config"
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
