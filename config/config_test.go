package config_test

import (
	"net/netip"
	"strings"
	"testing"

	"github.com/sirupsen/logrus"
	"github.com/stretchr/testify/require"

	"github.com/wugsync/wugsync/config"
)

func lookup(env map[string]string) config.LookupFunc {
	return func(k string) (string, bool) { v, ok := env[k]; return v, ok }
}

func TestDefaults(t *testing.T) {
	t.Parallel()
	cfg, err := config.Load(lookup(nil))
	require.NoError(t, err)
	require.Equal(t, ":8080", cfg.HTTPAddr)
	require.Equal(t, "sqlite://wugsync.db", cfg.DatabaseURL)
	require.Equal(t, 20, cfg.WorkerConcurrency)
	require.Equal(t, 10, cfg.NetBoxRateLimit, "WUGSYNC_NETBOX_RATE_LIMIT")
	require.Equal(t, logrus.InfoLevel, cfg.LogLevel)
	require.Empty(t, cfg.RedisURL)
	require.Contains(t, []string{"json", "text"}, cfg.LogFormat)
}

func TestValuesAreRead(t *testing.T) {
	t.Parallel()
	cfg, err := config.Load(lookup(map[string]string{
		config.EnvHTTPAddr:          "127.0.0.1:9000",
		config.EnvRedisURL:          "redis://localhost:6379/2",
		config.EnvDatabaseURL:       "postgres://u:p@db:5432/wugsync",
		config.EnvAPIToken:          "aaaaaaaaaaaaaaaa, bbbbbbbbbbbbbbbb",
		config.EnvLogLevel:          "DEBUG",
		config.EnvLogFormat:         "text",
		config.EnvWorkerConcurrency: "7",
		config.EnvNetBoxURL:         "https://netbox.example.com",
		config.EnvNetBoxRateLimit:   "25",
	}))
	require.NoError(t, err)
	require.Equal(t, 25, cfg.NetBoxRateLimit)
	require.Equal(t, []string{"aaaaaaaaaaaaaaaa", "bbbbbbbbbbbbbbbb"}, cfg.APITokens)
	require.Equal(t, logrus.DebugLevel, cfg.LogLevel)
	require.Equal(t, "text", cfg.LogFormat)
	require.Equal(t, 7, cfg.WorkerConcurrency)
}

func TestInvalidValuesNameTheVariable(t *testing.T) {
	t.Parallel()
	cases := []struct {
		variable, value, want string
	}{
		{config.EnvWorkerConcurrency, "-3", "out of range"},
		{config.EnvWorkerConcurrency, "many", "not a whole number"},
		{config.EnvNetBoxRateLimit, "0", "out of range"},
		{config.EnvNetBoxRateLimit, "fast", "not a whole number"},
		{config.EnvLogLevel, "verbose", "unknown level"},
		{config.EnvLogFormat, "xml", "unknown format"},
		{config.EnvRedisURL, "http://localhost:6379", "scheme"},
		{config.EnvRedisURL, "redis://", "no host"},
		{config.EnvDatabaseURL, "mysql://db/x", "unsupported database"},
		{config.EnvDatabaseURL, "sqlite://", "no file path"},
		{config.EnvDatabaseURL, "postgres:///nohost", "no host"},
		{config.EnvNetBoxURL, "netbox.local", "http"},
		{config.EnvHTTPAddr, "8080", "host:port"},
		{config.EnvAPIToken, "short", "at least 16"},
		{config.EnvMetricsToken, "scrape-me", "at least 16"},
		{config.EnvConnectionDeny, "169.254.0.0/33", "not a CIDR"},
		{config.EnvConnectionDeny, "metadata.internal", "not a CIDR"},
		{config.EnvConnectionDeny, " , ", "names no network"},
	}
	for _, tc := range cases {
		t.Run(tc.variable+"="+tc.value, func(t *testing.T) {
			t.Parallel()
			_, err := config.Load(lookup(map[string]string{tc.variable: tc.value}))
			require.ErrorIs(t, err, config.ErrInvalid)
			require.Contains(t, err.Error(), tc.variable+": ")
			require.Contains(t, err.Error(), tc.want)
		})
	}
}

func TestErrorsNeverEchoPasswords(t *testing.T) {
	t.Parallel()
	for _, env := range []map[string]string{
		{config.EnvRedisURL: "redis://:topsecret%zz@host:6379"},
		{config.EnvDatabaseURL: "postgres://u:topsecret%zz@db/x"},
	} {
		_, err := config.Load(lookup(env))
		require.Error(t, err)
		require.NotContains(t, err.Error(), "topsecret")
	}
}

func TestRequireRedisAndNetBox(t *testing.T) {
	t.Parallel()
	cfg, err := config.Load(lookup(nil))
	require.NoError(t, err)
	err = cfg.RequireRedis("worker")
	require.ErrorIs(t, err, config.ErrInvalid)
	require.Contains(t, err.Error(), config.EnvRedisURL)
	err = cfg.RequireNetBox()
	require.Contains(t, err.Error(), config.EnvNetBoxURL)
}

func TestConnectionDeny(t *testing.T) {
	t.Parallel()
	cfg, err := config.Load(lookup(nil))
	require.NoError(t, err)
	require.Equal(t, []netip.Prefix{netip.MustParsePrefix("169.254.0.0/16"), netip.MustParsePrefix("fe80::/10"),
		netip.MustParsePrefix("fd00:ec2::254/128")}, cfg.ConnectionDeny, "link-local and cloud metadata by default")

	cfg, err = config.Load(lookup(map[string]string{config.EnvConnectionDeny: "10.0.0.0/8, 192.0.2.7,2001:db8::1/64"}))
	require.NoError(t, err)
	require.Equal(t, []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("192.0.2.7/32"),
		netip.MustParsePrefix("2001:db8::/64")}, cfg.ConnectionDeny)

	cfg, err = config.Load(lookup(map[string]string{config.EnvConnectionDeny: "none"}))
	require.NoError(t, err)
	require.Empty(t, cfg.ConnectionDeny)
	require.NotNil(t, cfg.ConnectionDeny)
}

func TestMetricsTokenOfSixteenCharactersIsAccepted(t *testing.T) {
	t.Parallel()
	cfg, err := config.Load(lookup(map[string]string{config.EnvMetricsToken: "0123456789abcdef"}))
	require.NoError(t, err)
	require.Equal(t, "0123456789abcdef", cfg.MetricsToken)
}

func TestEveryProblemIsReportedAtOnce(t *testing.T) {
	t.Parallel()
	_, err := config.Load(lookup(map[string]string{
		config.EnvHTTPAddr:          "8080",
		config.EnvRedisURL:          "http://redis:6379",
		config.EnvLogLevel:          "loud",
		config.EnvWorkerConcurrency: "0",
		config.EnvSecretKey:         "too-short",
		config.EnvNetBoxToken:       "Token abc",
	}))
	require.ErrorIs(t, err, config.ErrInvalid)
	problems := config.Problems(err)
	var named []string
	for _, p := range problems {
		named = append(named, p.Variable)
	}
	require.Equal(t, []string{config.EnvHTTPAddr, config.EnvRedisURL, config.EnvNetBoxToken, config.EnvSecretKey,
		config.EnvLogLevel, config.EnvWorkerConcurrency}, named)
	lines := strings.Split(err.Error(), "\n")
	require.Len(t, lines, len(named), "one line per problem")
	for i, line := range lines {
		require.True(t, strings.HasPrefix(line, named[i]+": "), line)
	}
	require.NotContains(t, err.Error(), "too-short", "a mistyped key is not echoed")
}

func TestRolesNeedTheirVariables(t *testing.T) {
	t.Parallel()
	postgres := map[string]string{config.EnvDatabaseURL: "postgres://u:p@db/wugsync"}
	cases := []struct {
		role config.Role
		env  map[string]string
		want []string
	}{
		{config.RoleAPI, nil, []string{config.EnvRedisURL, config.EnvAPIToken}},
		{config.RoleAPI, postgres, []string{config.EnvRedisURL, config.EnvAPIToken, config.EnvSecretKey}},
		{config.RoleWorker, postgres, []string{config.EnvRedisURL, config.EnvNetBoxURL, config.EnvNetBoxToken, config.EnvSecretKey}},
		{config.RoleScheduler, postgres, []string{config.EnvRedisURL}},
		{config.RoleAll, nil, []string{config.EnvNetBoxURL, config.EnvNetBoxToken}},
		{config.RoleAll, postgres, []string{config.EnvNetBoxURL, config.EnvNetBoxToken, config.EnvSecretKey}},
		{config.RoleDemo, nil, nil},
		{config.RoleMigrate, postgres, nil},
	}
	for _, tc := range cases {
		_, err := config.LoadRole(lookup(tc.env), tc.role)
		var got []string
		for _, p := range config.Problems(err) {
			got = append(got, p.Variable)
			require.Contains(t, p.Problem, "required", "%s: %s", tc.role.Name, p)
		}
		require.Equal(t, tc.want, got, "role %s with %v", tc.role.Name, tc.env)
	}
}

func TestAVariableIsReportedOnce(t *testing.T) {
	t.Parallel()
	// A malformed key is a problem of its own; the role's need for a key
	// is not reported on top of it.
	_, err := config.LoadRole(lookup(map[string]string{
		config.EnvDatabaseURL: "postgres://u:p@db/wugsync",
		config.EnvRedisURL:    "redis://r:6379/0",
		config.EnvAPIToken:    strings.Repeat("a", 16),
		config.EnvSecretKey:   "zz",
	}), config.RoleAPI)
	problems := config.Problems(err)
	require.Len(t, problems, 1, err)
	require.Equal(t, config.EnvSecretKey, problems[0].Variable)
	require.Contains(t, problems[0].Problem, "64 hex characters")
}

// TestRetentionSettings: WUGSYNC_RETENTION_DAYS (30) and
// WUGSYNC_ATTEMPTS_PER_ROW (20) default, read 0 as "keep everything", and
// refuse what is not a whole number in range, naming the variable.
func TestRetentionSettings(t *testing.T) {
	t.Parallel()
	cfg, err := config.Load(lookup(nil))
	require.NoError(t, err)
	require.Equal(t, 30, cfg.RetentionDays)
	require.Equal(t, 20, cfg.AttemptsPerRow)

	cfg, err = config.Load(lookup(map[string]string{config.EnvRetentionDays: "0", config.EnvAttemptsPerRow: " 5 "}))
	require.NoError(t, err)
	require.Equal(t, 0, cfg.RetentionDays)
	require.Equal(t, 5, cfg.AttemptsPerRow)

	for _, tc := range []struct{ variable, value, want string }{
		{config.EnvRetentionDays, "-1", "out of range"},
		{config.EnvRetentionDays, "a month", "not a whole number"},
		{config.EnvAttemptsPerRow, "10001", "out of range"},
		{config.EnvAttemptsPerRow, "2.5", "not a whole number"},
	} {
		_, err := config.Load(lookup(map[string]string{tc.variable: tc.value}))
		require.Error(t, err, tc.value)
		require.Contains(t, err.Error(), tc.variable)
		require.Contains(t, err.Error(), tc.want)
	}
}
