package config_test

import (
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
	}))
	require.NoError(t, err)
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
