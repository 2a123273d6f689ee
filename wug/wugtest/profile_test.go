package wugtest_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/wugsync/wugsync/wug/wugtest"
)

func TestProfileForVersion(t *testing.T) {
	t.Parallel()
	for version, want := range map[string]string{
		"2026.0.0":  wugtest.ProfileWUG2026,
		"26.1.12":   wugtest.ProfileWUG2026,
		"2024.0.1":  wugtest.ProfileWUG2024,
		" 24.0.3 ":  wugtest.ProfileWUG2024,
		"2023.1":    wugtest.ProfileWUG,
		"":          wugtest.ProfileWUG,
		"v1 (2026)": wugtest.ProfileWUG,
	} {
		require.Equal(t, want, wugtest.ProfileForVersion(version).Name, version)
	}
}

func TestProfileByNameListsTheKnownNames(t *testing.T) {
	t.Parallel()
	p, err := wugtest.ProfileByName(wugtest.ProfileSimulatorStrictGroups)
	require.NoError(t, err)
	require.Equal(t, wugtest.GroupMissError, p.Features.MissingTemplateGroup)
	_, err = wugtest.ProfileByName("wug-1999")
	require.EqualError(t, err, `unknown WUG profile "wug-1999"; known profiles: simulator, simulator-strict-groups, wug, wug-2024, wug-2026`)
}

// The real-WUG profiles claim nothing the reference leaves open (wug-api.md §9).
func TestRealProfilesProbeWhatTheReferenceLeavesOpen(t *testing.T) {
	t.Parallel()
	for _, name := range []string{wugtest.ProfileWUG2024, wugtest.ProfileWUG2026, wugtest.ProfileWUG} {
		f := wugtest.Profiles()[name].Features
		require.Zero(t, f.PageSize, name)
		require.Empty(t, f.MissingTemplateGroup, name)
		for feature, s := range map[string]wugtest.Support{
			"TemplateGroupPath": f.TemplateGroupPath, "TemplateRejection": f.TemplateRejection,
			"MissingDeviceNotFound": f.MissingDeviceNotFound, "ScanCompletion": f.ScanCompletion,
		} {
			require.Equal(t, wugtest.Unknown, s, "%s: %s", name, feature)
		}
	}
}

func TestUnsupportedFeaturesAreNotApplicableAndNotRun(t *testing.T) {
	t.Parallel()
	b := setupSim(t, wugtest.ProfileSimulator, nil)
	b.target.Profile.Name = "no-maintenance"
	b.target.Profile.Features.MaintenanceState = wugtest.Unsupported
	b.target.Profile.Features.AttributeUpsert = wugtest.Unsupported
	r, err := wugtest.NewRunner(b.target)
	require.NoError(t, err)

	results := map[string]wugtest.Result{}
	for _, res := range r.RunAll(t.Context()) {
		results[res.Name] = res
	}

	require.Equal(t, wugtest.Result{Name: "maintenance", Status: wugtest.StatusNotApplicable,
		Detail: "profile no-maintenance: MaintenanceState is not supported by this WUG version"}, results["maintenance"])
	require.Equal(t, wugtest.StatusNotApplicable, results["attributes_upsert"].Status)
	require.Zero(t, b.sim.CountRequests("PUT /api/v1/devices/{deviceId}/config/maintenance"))
	require.Zero(t, b.sim.CountRequests("PATCH /api/v1/devices/-/config/maintenance"))
	require.Zero(t, b.sim.CountRequests("PATCH /api/v1/devices/{deviceId}/attributes/-"))
	for name, res := range results {
		if name != "maintenance" && name != "attributes_upsert" {
			require.Equal(t, wugtest.StatusOK, res.Status, "%s: %s", name, res.Detail)
		}
	}
}

func TestCasesWithoutControlsAreNotApplicableOnARealServer(t *testing.T) {
	t.Parallel()
	b := setupSim(t, wugtest.ProfileSimulator, nil)
	b.target.Controls = nil
	r, err := wugtest.NewRunner(b.target)
	require.NoError(t, err)
	for _, c := range wugtest.SandboxCases()[:2] {
		res := r.Run(t.Context(), c)
		require.Equal(t, wugtest.StatusNotApplicable, res.Status, c.Name)
		require.Contains(t, res.Detail, "needs a server the suite controls")
	}
	require.Zero(t, b.sim.CountRequests("*"), "nothing was sent")
}

func TestSandboxCasesNeedAnOpenSandbox(t *testing.T) {
	t.Parallel()
	b := setupSim(t, wugtest.ProfileSimulator, nil)
	r, err := wugtest.NewRunner(b.target)
	require.NoError(t, err)
	res := r.Run(t.Context(), wugtest.SandboxCases()[2])
	require.Equal(t, wugtest.StatusFailed, res.Status)
	require.Contains(t, res.Detail, "no sandbox group")
	require.Equal(t, wugtest.StatusNotApplicable, r.CloseSandbox(t.Context()).Status)
}

func TestTargetFromEnv(t *testing.T) {
	for _, k := range []string{wugtest.EnvURL, wugtest.EnvUsername, wugtest.EnvPassword, wugtest.EnvInsecure, wugtest.EnvProfile, wugtest.EnvScanAddress} {
		t.Setenv(k, "")
	}
	_, ok, err := wugtest.TargetFromEnv()
	require.NoError(t, err)
	require.False(t, ok, "no URL, no real run")

	t.Setenv(wugtest.EnvURL, "https://wug.lab:9644")
	_, ok, err = wugtest.TargetFromEnv()
	require.True(t, ok)
	require.EqualError(t, err, "WUGSYNC_TEST_WUG_URL is set, so WUGSYNC_TEST_WUG_USERNAME and WUGSYNC_TEST_WUG_PASSWORD must be set too")

	t.Setenv(wugtest.EnvUsername, "api")
	t.Setenv(wugtest.EnvPassword, "secret")
	t.Setenv(wugtest.EnvInsecure, "sometimes")
	_, _, err = wugtest.TargetFromEnv()
	require.EqualError(t, err, `WUGSYNC_TEST_WUG_INSECURE="sometimes": want 1, true, 0 or false`)

	t.Setenv(wugtest.EnvInsecure, "1")
	t.Setenv(wugtest.EnvProfile, "wug-3000")
	_, _, err = wugtest.TargetFromEnv()
	require.ErrorContains(t, err, `WUGSYNC_TEST_WUG_PROFILE: unknown WUG profile "wug-3000"`)

	t.Setenv(wugtest.EnvProfile, wugtest.ProfileWUG2024)
	t.Setenv(wugtest.EnvScanAddress, "10.9.8.7")
	target, ok, err := wugtest.TargetFromEnv()
	require.NoError(t, err)
	require.True(t, ok)
	require.Equal(t, "https://wug.lab:9644", target.Config.BaseURL)
	require.Equal(t, "api", target.Config.Username)
	require.Equal(t, "secret", target.Config.Password)
	require.True(t, target.Config.InsecureSkipVerify)
	require.Equal(t, wugtest.ProfileWUG2024, target.Profile.Name)
	require.Equal(t, "10.9.8.7", target.ScanAddress)
	require.True(t, target.ScanReachable)
	require.Nil(t, target.Controls)
}
