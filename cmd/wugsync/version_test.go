package main

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/wugsync/wugsync/config"
	"github.com/wugsync/wugsync/internal/buildinfo"
	"github.com/wugsync/wugsync/internal/testinfra"
	"github.com/wugsync/wugsync/models"
	"github.com/wugsync/wugsync/sim/netboxsim"
	"github.com/wugsync/wugsync/sim/wugsim"
	"github.com/wugsync/wugsync/tasks"
)

func TestVersionAndTheVersionFlagPrintTheBuild(t *testing.T) {
	t.Parallel()
	for _, args := range [][]string{{"version"}, {"--version"}} {
		out, err := execute(context.Background(), newRootCommand(), args...)
		require.NoError(t, err)
		require.Equal(t, buildinfo.Summary()+"\n", out, "wugsync %s", args[0])
		require.Contains(t, out, "wugsync "+buildinfo.Version()+" ")
		require.Contains(t, out, "commit "+buildinfo.Commit())
		require.Contains(t, out, buildinfo.GoVersion())
	}
}

// userAgents records the User-Agent of every request a simulator gets.
type userAgents struct {
	mu   sync.Mutex
	seen map[string]int
}

func (u *userAgents) wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u.mu.Lock()
		if u.seen == nil {
			u.seen = map[string]int{}
		}
		u.seen[r.UserAgent()]++
		u.mu.Unlock()
		next.ServeHTTP(w, r)
	})
}

func (u *userAgents) all() map[string]int {
	u.mu.Lock()
	defer u.mu.Unlock()
	out := map[string]int{}
	for k, v := range u.seen {
		out[k] = v
	}
	return out
}

// TestCallsToWUGAndNetBoxNameTheVersion runs an export through `all` and
// expects every request the simulated WUG and NetBox received, the API's
// connection test included, to carry User-Agent: wugsync/<version>.
func TestCallsToWUGAndNetBoxNameTheVersion(t *testing.T) {
	t.Parallel()
	var wugAgents, netboxAgents userAgents
	nb, err := netboxsim.New(netboxsim.Options{Devices: 20, Seed: 4})
	require.NoError(t, err)
	nbServer := httptest.NewServer(netboxAgents.wrap(nb))
	t.Cleanup(nbServer.Close)
	wug := wugsim.New(wugsim.Options{})
	wugServer := httptest.NewServer(wugAgents.wrap(wug))
	t.Cleanup(wugServer.Close)

	token := strings.Repeat("u", 32)
	all := startRole(t, newAllCommand, map[string]string{
		config.EnvRedisURL:    testinfra.NewRedis(t).URL,
		config.EnvDatabaseURL: testinfra.NewDatabase(t).URL,
		config.EnvSecretKey:   strings.Repeat("5a", 32),
		config.EnvNetBoxURL:   nbServer.URL,
		config.EnvNetBoxToken: netboxsim.DefaultToken,
		config.EnvAPIToken:    token,
		config.EnvHTTPAddr:    "127.0.0.1:0",
	})
	connID := createConnection(t, all.info.APIURL, token, wugServer.URL)
	req, err := http.NewRequest(http.MethodPost, all.info.APIURL+"/api/v1/connections/"+strconv.FormatUint(uint64(connID), 10)+"/test", nil)
	require.NoError(t, err)
	req.Header.Set("Authorization", "Token "+token)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)

	svc := all.info.Services
	ctx, cancel := context.WithTimeout(context.Background(), hangGuard)
	defer cancel()
	run, err := tasks.StartExport(ctx, models.NewStore(svc.DB), svc.Enqueuer, tasks.ExportRequest{ConnectionID: connID, Trigger: models.TriggerManual})
	require.NoError(t, err)
	run, err = tasks.WaitRunEnded(ctx, svc.Redis.Client, svc.DB, run.ID)
	require.NoError(t, err)
	require.Equal(t, models.RunCompleted, run.Status, run.ErrorMessage)
	require.Positive(t, run.DevicesCreated)

	want := "wugsync/" + buildinfo.Version()
	require.Equal(t, map[string]int{want: wug.CountRequests("*")}, wugAgents.all(), "every WUG request")
	require.Equal(t, []string{want}, keysOf(netboxAgents.all()), "every NetBox request")
}

func keysOf(m map[string]int) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}
