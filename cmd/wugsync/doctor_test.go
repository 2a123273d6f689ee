package main

import (
	"context"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/alicebob/miniredis/v2/server"
	"github.com/stretchr/testify/require"

	"github.com/wugsync/wugsync/config"
	"github.com/wugsync/wugsync/export"
	"github.com/wugsync/wugsync/internal/testinfra"
	"github.com/wugsync/wugsync/models"
	"github.com/wugsync/wugsync/sim/netboxsim"
	"github.com/wugsync/wugsync/sim/wugsim"
)

// doctorBundle is a deployment for doctor to check: simulated NetBox and
// WUG, a Redis and a migrated database holding one connection to the WUG
// simulator, and the variables that reach them.
type doctorBundle struct {
	netbox   *netboxsim.Server
	wug      *wugsim.Server
	redis    testinfra.Redis
	database testinfra.Database
	conn     models.WUGConnection
	vars     map[string]string
}

func setupDoctor(t *testing.T) *doctorBundle {
	t.Helper()
	// Devices across several pages, so paging and search are exercised.
	var devices []wugsim.Device
	for i := 1; i <= 12; i++ {
		devices = append(devices, wugsim.Device{Name: "dev-" + strconv.Itoa(i), NetworkAddress: "10.9.0." + strconv.Itoa(i), Groups: []string{"Sites/A"}})
	}
	stack := testinfra.NewStack(t, testinfra.StackOptions{
		NetBox: netboxsim.Options{Devices: 40, Seed: 8},
		WUG:    wugsim.Options{PageLimit: 5, Groups: []string{"Sites/A"}, Devices: devices},
	})
	b := &doctorBundle{netbox: stack.NetBox, wug: stack.WUG, redis: stack.Redis, database: stack.Database, vars: stack.Vars()}
	if b.redis.Mini != nil {
		maxmemoryPolicy(t, b.redis.Mini, "noeviction") // as a real server is configured
	}
	b.conn = stack.NewConnection(t, "lab", stack.WUGURL, func(c *models.WUGConnection) {
		c.DeviceFilters.Sites = []string{b.netbox.Sites()[0].Slug}
	})
	return b
}

// doctor runs `wugsync doctor` with the bundle's variables changed by
// edits, and returns what it printed and its error.
func (b *doctorBundle) doctor(t *testing.T, edits map[string]string, now func() time.Time, args ...string) (string, error) {
	t.Helper()
	vars := map[string]string{}
	for k, v := range b.vars {
		vars[k] = v
	}
	for k, v := range edits {
		vars[k] = v
	}
	env := testEnvironment(vars)
	env.now = now
	return execute(context.Background(), newDoctorCommand(env), args...)
}

// maxmemoryPolicy teaches miniredis, which has no CONFIG command, to answer
// CONFIG GET maxmemory-policy as a Redis configured with policy does.
func maxmemoryPolicy(t *testing.T, mr *miniredis.Miniredis, policy string) {
	t.Helper()
	require.NoError(t, mr.Server().Register("CONFIG", func(c *server.Peer, _ string, args []string) {
		if len(args) == 2 && strings.EqualFold(args[0], "GET") && args[1] == "maxmemory-policy" {
			c.WriteLen(2)
			c.WriteBulk("maxmemory-policy")
			c.WriteBulk(policy)
			return
		}
		c.WriteError("ERR unsupported CONFIG subcommand")
	}))
}

// line finds the report line of a check by its mark and name.
func line(out, mark, name string) string {
	return regexp.MustCompile(`(?m)^  ` + regexp.QuoteMeta(mark) + ` ` + regexp.QuoteMeta(name) + `(: .*)?$`).FindString(out)
}

// section returns the lines of the report section whose heading starts
// with heading.
func section(out, heading string) string {
	i := strings.Index(out, "\n"+heading)
	if i < 0 {
		return ""
	}
	rest := out[i+1:]
	if end := strings.Index(rest, "\n\n"); end >= 0 {
		rest = rest[:end]
	}
	return rest + "\n"
}

func TestDoctorPassesOnAHealthyDeployment(t *testing.T) {
	t.Parallel()
	b := setupDoctor(t)

	out, err := b.doctor(t, nil, nil)
	require.NoError(t, err, out)
	require.NotContains(t, out, "✘", out)
	for _, check := range []string{"variables", "reachable", "schema", "secret key", "token", "version", "background workers",
		"read devices", "read IP addresses", "read sites", `filters of "lab"`, "login", "product_version", "device_count",
		"group_root", "NetBox", `WUG "lab"`, "Redis"} {
		require.NotEmpty(t, line(out, "✔", check), "✔ %s in:\n%s", check, out)
	}
	require.Contains(t, line(out, "✔", "secret key"), "opens all 1 stored password(s)")
	require.Contains(t, line(section(out, "NetBox"), "✔", "version"), "NetBox 4.4")
	require.NotEmpty(t, line(out, "✔", "device_paging"), out)
	require.NotEmpty(t, line(out, "✔", "search_by_ip"), out)
	require.Contains(t, line(out, "✔", `filters of "lab"`), "site="+b.conn.DeviceFilters.Sites[0])
	if b.redis.Mini == nil {
		require.NotEmpty(t, line(out, "✔", "maxmemory-policy"), out)
		require.Contains(t, line(section(out, "Redis"), "✔", "version"), "Redis ", out)
	}
	if b.database.Backend == "postgres" {
		require.NotEmpty(t, line(out, "✔", "PostgreSQL"), out)
	}
	// What doctor could not check without writing, said plainly.
	require.Contains(t, line(out, "?", "write rights"), "NetBox has no read-only way")
	require.Contains(t, out, "WUG has no read-only way")
	require.Regexp(t, `\d+ passed, 0 failed, \d+ not checked\n$`, out)

	// Read-only: NetBox saw only GETs, WUG only GETs besides its login.
	for route, n := range b.netbox.RequestCounts() {
		require.True(t, strings.HasPrefix(route, "GET "), "NetBox got %d × %s", n, route)
	}
	for _, r := range b.wug.RequestLog() {
		if r.Method != http.MethodGet {
			require.Equal(t, "POST /api/v1/token", r.Route)
		}
	}
	require.Equal(t, 12, b.wug.DeviceCount(), "no device written")
}

func TestDoctorNamesAWrongNetBoxToken(t *testing.T) {
	t.Parallel()
	b := setupDoctor(t)
	out, err := b.doctor(t, map[string]string{config.EnvNetBoxToken: strings.Repeat("9", 40)}, nil)
	require.ErrorContains(t, err, "check(s) failed")
	require.Contains(t, line(out, "✘", "token"), "403", out)
	require.Contains(t, out, "fix: check "+config.EnvNetBoxToken)
	require.NotEmpty(t, line(out, "✔", "login"), "the WUG checks still run:\n%s", out)
}

func TestDoctorRefusesAnEvictingRedis(t *testing.T) {
	t.Parallel()
	b := setupDoctor(t)
	lru := miniredis.RunT(t)
	maxmemoryPolicy(t, lru, "allkeys-lru")
	out, err := b.doctor(t, map[string]string{config.EnvRedisURL: "redis://" + lru.Addr() + "/0"}, nil)
	require.ErrorContains(t, err, "1 check(s) failed")
	require.Contains(t, line(out, "✘", "maxmemory-policy"), `"allkeys-lru"`, out)
	require.Contains(t, out, "fix: set maxmemory-policy noeviction")
}

func TestDoctorSaysWhenRedisHidesItsConfiguration(t *testing.T) {
	t.Parallel()
	b := setupDoctor(t)
	managed := miniredis.RunT(t) // no CONFIG command, as many managed services
	out, err := b.doctor(t, map[string]string{config.EnvRedisURL: "redis://" + managed.Addr() + "/0"}, nil)
	require.NoError(t, err, out)
	require.Contains(t, line(out, "?", "maxmemory-policy"), "CONFIG GET is not allowed", out)
}

func TestDoctorNamesAWrongSecretKey(t *testing.T) {
	t.Parallel()
	b := setupDoctor(t)
	out, err := b.doctor(t, map[string]string{config.EnvSecretKey: strings.Repeat("7d", 32)}, nil)
	require.Error(t, err)
	require.Contains(t, line(out, "✘", "secret key"), `does not open the password of "lab"`, out)
	require.NotEmpty(t, line(out, "✘", "password"), "the WUG checks cannot log in:\n%s", out)
	require.NotContains(t, out, wugsim.DefaultPassword)
}

func TestDoctorFlagsClocksOutOfStep(t *testing.T) {
	t.Parallel()
	b := setupDoctor(t)
	ahead := func() time.Time { return time.Now().Add(2 * time.Minute) }
	out, err := b.doctor(t, nil, ahead)
	require.Error(t, err)
	want := []string{"Redis", "NetBox", `WUG "lab"`}
	if b.database.Backend == "postgres" {
		want = append(want, "PostgreSQL")
	}
	for _, name := range want {
		require.Contains(t, line(out, "✘", name), "behind this machine (more than 30s)", out)
	}
	require.Contains(t, out, "fix: synchronise the clocks with NTP")
}

func TestDoctorNamesAFilterNetBoxDoesNotKnow(t *testing.T) {
	t.Parallel()
	b := setupDoctor(t)
	db := testinfra.OpenMigrated(t, b.database)
	b.conn.DeviceFilters.Sites = []string{"atlantis"}
	require.NoError(t, db.Model(&b.conn).Select("device_filters").Updates(&b.conn).Error)
	out, err := b.doctor(t, nil, nil)
	require.Error(t, err)
	require.Contains(t, line(out, "✘", `filters of "lab"`), `site="atlantis"`, out)
	require.Contains(t, out, "fix: correct the connection's device_filters (PATCH /api/v1/connections/")
}

func TestDoctorSendsTheExportsQueryForIDs(t *testing.T) {
	t.Parallel()
	b := setupDoctor(t)
	db := testinfra.OpenMigrated(t, b.database)
	b.conn.DeviceFilters.Sites = models.FilterValues{export.FilterID(int64(b.netbox.Sites()[0].ID))}
	b.conn.DeviceFilters.Roles = models.FilterValues{export.FilterID(999)}
	require.NoError(t, db.Model(&b.conn).Select("device_filters").Updates(&b.conn).Error)
	out, err := b.doctor(t, nil, nil)
	require.Error(t, err, "NetBox has no role 999")
	require.Contains(t, line(out, "✘", `filters of "lab"`), "role_id", out)
}

// A cluster given by name is checked as the export uses it (resolved to
// its id, since NetBox filters devices by cluster id only); an unknown
// name is named.
func TestDoctorResolvesClusterNames(t *testing.T) {
	t.Parallel()
	b := setupDoctor(t)
	db := testinfra.OpenMigrated(t, b.database)
	cluster := b.netbox.Inventory().Clusters[0]
	b.conn.DeviceFilters.Clusters = models.FilterValues{cluster.Name}
	require.NoError(t, db.Model(&b.conn).Select("device_filters").Updates(&b.conn).Error)
	out, err := b.doctor(t, nil, nil)
	require.NoError(t, err, out)
	require.Contains(t, line(out, "✔", `filters of "lab"`), "cluster="+cluster.Name, out)

	b.conn.DeviceFilters.Clusters = models.FilterValues{"no such cluster"}
	require.NoError(t, db.Model(&b.conn).Select("device_filters").Updates(&b.conn).Error)
	out, err = b.doctor(t, nil, nil)
	require.Error(t, err)
	require.Contains(t, line(out, "✘", `filters of "lab"`), `clusters="no such cluster"`, out)
}

func TestDoctorChecksOneConnection(t *testing.T) {
	t.Parallel()
	b := setupDoctor(t)
	out, err := b.doctor(t, nil, nil, "--connection", strconv.FormatUint(uint64(b.conn.ID), 10))
	require.NoError(t, err, out)
	require.Contains(t, out, `WUG connection "lab"`)

	out, err = b.doctor(t, nil, nil, "--connection", "999")
	require.Error(t, err)
	require.Contains(t, line(out, "✘", "connection"), "no connection has id 999", out)
}

func TestDoctorCreatesNoDatabase(t *testing.T) {
	t.Parallel()
	b := setupDoctor(t)
	missing := filepath.Join(t.TempDir(), "nothing-here.db")
	out, err := b.doctor(t, map[string]string{config.EnvDatabaseURL: "sqlite://" + missing}, nil)
	require.Error(t, err)
	require.Contains(t, line(out, "✘", "reachable"), "no database file at "+missing, out)
	require.NoFileExists(t, missing)
	require.NoFileExists(t, models.KeyFilePath(missing))
	require.Contains(t, out, "not checked: no database file")
}

// TestDoctorExitStatus runs doctor as a real process: 0 when every check
// passes, 1 when one fails.
func TestDoctorExitStatus(t *testing.T) {
	t.Parallel()
	b := setupDoctor(t)
	run := func(edits map[string]string) (int, string) {
		cmd := exec.Command(os.Args[0], "doctor")
		cmd.Env = []string{envRunMain + "=1"}
		for k, v := range b.vars {
			if e, ok := edits[k]; ok {
				v = e
			}
			cmd.Env = append(cmd.Env, k+"="+v)
		}
		out, err := cmd.CombinedOutput()
		var exit *exec.ExitError
		if err != nil {
			require.ErrorAs(t, err, &exit, string(out))
			return exit.ExitCode(), string(out)
		}
		return 0, string(out)
	}
	code, out := run(nil)
	require.Equal(t, 0, code, out)
	code, out = run(map[string]string{config.EnvNetBoxToken: strings.Repeat("9", 40)})
	require.Equal(t, 1, code, out)
	require.Contains(t, out, "wugsync: doctor: 1 check(s) failed")
}
