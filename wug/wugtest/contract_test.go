package wugtest_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/wugsync/wugsync/sim/wugsim"
	"github.com/wugsync/wugsync/wug"
	"github.com/wugsync/wugsync/wug/wugtest"
)

const (
	simUser     = "svc-contract"
	simPassword = "c0ntract-p@ss"
	// simPageLimit is small so that the seeded inventory and the sandbox cases span pages.
	simPageLimit = 5
)

// simBundle is a simulator seeded with more devices and groups than one page holds, served
// over real HTTP, and the target that points the suite at it.
type simBundle struct {
	sim    *wugsim.Server
	target wugtest.Target
}

// setupSim starts a simulator for a simulator profile; wrap, when given, sits between the
// client and the simulator (to break the server on purpose).
func setupSim(t *testing.T, profile string, wrap func(http.Handler) http.Handler) *simBundle {
	t.Helper()
	p, err := wugtest.ProfileByName(profile)
	require.NoError(t, err)
	p.Features.PageSize = simPageLimit
	// Addresses that contain 10.20.30.1 come first, the exact one last: a search that stops
	// after a page misses it.
	var devices []wugsim.Device
	for host := 10; host <= 19; host++ {
		devices = append(devices, wugsim.Device{Name: "near-" + itoa(host), NetworkAddress: "10.20.30." + itoa(host), Groups: []string{"Sites/B/Rack"}})
	}
	devices = append(devices,
		wugsim.Device{Name: "core-1", NetworkAddress: "10.20.30.1", Groups: []string{"Sites/A"}},
		wugsim.Device{Name: "lab-1", NetworkAddress: "172.16.0.9", Groups: []string{"Lab/Bench", "Sites/A"}},
	)
	sim := wugsim.New(wugsim.Options{
		Users:        map[string]string{simUser: simPassword},
		PageLimit:    simPageLimit,
		StrictGroups: profile == wugtest.ProfileSimulatorStrictGroups,
		Groups:       []string{"Sites/A", "Sites/B/Rack", "Lab/Bench"},
		Devices:      devices,
	})
	var h http.Handler = sim
	if wrap != nil {
		h = wrap(sim)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	t.Cleanup(sim.Close)
	return &simBundle{sim: sim, target: wugtest.Target{
		Config:        wug.Config{Name: profile, BaseURL: srv.URL, Username: simUser, Password: simPassword, Timeout: 10 * time.Second},
		Profile:       p,
		Controls:      sim,
		ScanAddress:   "192.0.2.10",
		ScanReachable: true,
		CaseTimeout:   20 * time.Second,
	}}
}

func itoa(n int) string { return string(rune('0'+n/10)) + string(rune('0'+n%10)) }

// runSuite runs every case as a subtest: failures fail, and not-applicable cases are skipped
// on a real WUG but fail on the simulator, which must support every case. It returns the
// results by case name.
func runSuite(t *testing.T, target wugtest.Target, simulator bool) map[string]wugtest.Result {
	t.Helper()
	r, err := wugtest.NewRunner(target)
	require.NoError(t, err)
	ctx := t.Context()
	results := map[string]wugtest.Result{}
	run := func(t *testing.T, res wugtest.Result) {
		t.Helper()
		results[res.Name] = res
		switch res.Status {
		case wugtest.StatusOK:
			t.Log(res.Detail)
		case wugtest.StatusNotApplicable:
			if simulator {
				t.Errorf("not applicable on the simulator, which must support every case: %s", res.Detail)
				return
			}
			t.Skip(res.Detail)
		default:
			t.Errorf("%s\nfix: %s", res.Detail, res.Fix)
		}
	}
	t.Run("read-only", func(t *testing.T) {
		for _, c := range wugtest.ReadOnlyCases() {
			t.Run(c.Name, func(t *testing.T) { run(t, r.Run(ctx, c)) })
		}
	})
	t.Cleanup(func() {
		// Only when a failure or a panic left the sandbox open.
		cctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if res := r.CloseSandbox(cctx); res.Status == wugtest.StatusFailed {
			t.Errorf("cleanup: %s\nfix: %s", res.Detail, res.Fix)
		}
	})
	t.Run("sandbox", func(t *testing.T) {
		t.Run("open", func(t *testing.T) { run(t, r.OpenSandbox(ctx)) })
		for _, c := range wugtest.SandboxCases() {
			t.Run(c.Name, func(t *testing.T) { run(t, r.Run(ctx, c)) })
		}
		t.Run("cleanup", func(t *testing.T) { run(t, r.CloseSandbox(ctx)) })
	})
	return results
}

// TestContract runs the whole suite against the simulator, once per simulator profile, and
// against a real WUG when WUGSYNC_TEST_WUG_URL names one (an explicit opt-in: without it there
// is no real run at all, not a skipped one).
func TestContract(t *testing.T) {
	t.Parallel()
	for _, profile := range []string{wugtest.ProfileSimulator, wugtest.ProfileSimulatorStrictGroups} {
		t.Run(profile, func(t *testing.T) {
			t.Parallel()
			b := setupSim(t, profile, nil)
			devices, groups := b.sim.Devices(), b.sim.Groups()

			results := runSuite(t, b.target, true)

			require.Len(t, results, len(wugtest.ReadOnlyCases())+len(wugtest.SandboxCases())+2)
			require.Equal(t, devices, b.sim.Devices(), "the suite left WUG's devices as it found them")
			require.Equal(t, groups, b.sim.Groups(), "the suite left WUG's groups as it found them")
		})
	}
	if target, ok, err := wugtest.TargetFromEnv(); ok {
		t.Run("real", func(t *testing.T) {
			require.NoError(t, err)
			runSuite(t, target, false)
		})
	}
}
