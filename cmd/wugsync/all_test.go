package main

import (
	"context"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/wugsync/wugsync/config"
	"github.com/wugsync/wugsync/models"
	"github.com/wugsync/wugsync/sim/netboxsim"
)

// TestAllRunsEmbeddedAndStopsCleanly starts `wugsync all` with nothing but
// a NetBox configured: embedded Redis, SQLite, a generated token. It serves
// the API over real HTTP until its context ends, then stops without error.
func TestAllRunsEmbeddedAndStopsCleanly(t *testing.T) {
	t.Parallel()
	nb, err := netboxsim.New(netboxsim.Options{Devices: 5, Seed: 3})
	require.NoError(t, err)
	nbServer := httptest.NewServer(nb)
	t.Cleanup(nbServer.Close)
	dbPath := filepath.Join(t.TempDir(), "wugsync.db")

	env := testEnvironment(map[string]string{
		config.EnvNetBoxURL:   nbServer.URL,
		config.EnvNetBoxToken: netboxsim.DefaultToken,
		config.EnvDatabaseURL: "sqlite://" + dbPath,
		config.EnvHTTPAddr:    "127.0.0.1:0",
	})
	started := make(chan startedInfo, 1)
	env.started = func(info startedInfo) { started <- info }
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	cmd := newAllCommand(env)
	var out strings.Builder
	cmd.SetOut(&out)
	cmd.SetArgs([]string{})
	done := make(chan error, 1)
	go func() { done <- cmd.ExecuteContext(ctx) }()

	var info startedInfo
	select {
	case info = <-started:
	case err := <-done:
		t.Fatalf("all stopped before serving: %v", err)
	}
	require.True(t, info.Services.Redis.Embedded(), "no WUGSYNC_REDIS_URL: embedded Redis")
	require.Len(t, info.APIToken, 64, "no WUGSYNC_API_TOKEN: a generated one")
	require.FileExists(t, models.KeyFilePath(dbPath), "SQLite without WUGSYNC_SECRET_KEY: a key file beside the database")
	pending, err := models.PendingMigrations(ctx, info.Services.DB)
	require.NoError(t, err)
	require.Zero(t, pending, "migrations ran at start")

	require.Equal(t, http.StatusOK, status(t, info.APIURL+"/healthz", ""))
	require.Equal(t, http.StatusOK, status(t, info.APIURL+"/readyz", ""))
	require.Equal(t, http.StatusUnauthorized, status(t, info.APIURL+"/api/v1/connections", ""))
	require.Equal(t, http.StatusForbidden, status(t, info.APIURL+"/api/v1/connections", "Token "+strings.Repeat("x", 64)))
	require.Equal(t, http.StatusOK, status(t, info.APIURL+"/api/v1/connections", "Token "+info.APIToken))

	printed := out.String()
	require.Equal(t, 1, strings.Count(printed, info.APIToken), "the generated token is printed once")
	require.Contains(t, printed, info.APIURL+dashboardPath)

	cancel()
	require.NoError(t, <-done, "a stop signal ends `all` cleanly")
	_, err = http.Get(info.APIURL + "/healthz")
	require.Error(t, err, "the API no longer listens")
}

// TestAllKeepsAConfiguredToken checks that a configured token is used and
// never printed.
func TestAllKeepsAConfiguredToken(t *testing.T) {
	t.Parallel()
	nb, err := netboxsim.New(netboxsim.Options{})
	require.NoError(t, err)
	nbServer := httptest.NewServer(nb)
	t.Cleanup(nbServer.Close)
	token := strings.Repeat("t", 40)
	env := testEnvironment(map[string]string{
		config.EnvNetBoxURL:   nbServer.URL,
		config.EnvNetBoxToken: netboxsim.DefaultToken,
		config.EnvDatabaseURL: "sqlite://" + filepath.Join(t.TempDir(), "wugsync.db"),
		config.EnvHTTPAddr:    "127.0.0.1:0",
		config.EnvAPIToken:    token,
	})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var info startedInfo
	env.started = func(i startedInfo) {
		info = i
		cancel() // stop right after the start
	}
	printed, err := execute(ctx, newAllCommand(env))
	require.NoError(t, err)
	require.Equal(t, token, info.APIToken)
	require.NotContains(t, printed, token)
}
