package process

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/sirupsen/logrus"
	"github.com/stretchr/testify/require"

	"github.com/wugsync/wugsync/config"
	"github.com/wugsync/wugsync/models"
)

func quietLog() *logrus.Entry {
	l := logrus.New()
	l.SetLevel(logrus.ErrorLevel)
	return logrus.NewEntry(l)
}

func loadConfig(t *testing.T, env map[string]string) config.Config {
	t.Helper()
	cfg, err := config.Load(func(k string) (string, bool) { v, ok := env[k]; return v, ok })
	require.NoError(t, err)
	return cfg
}

func TestOpenAllInOneUsesEmbeddedRedisAndGeneratesAKeyFile(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "w.db")
	cfg := loadConfig(t, map[string]string{config.EnvDatabaseURL: "sqlite://" + path})
	svc, err := Open(context.Background(), cfg, quietLog(), Options{Role: "all", EmbeddedRedis: true, Migrate: true, Sealer: true})
	require.NoError(t, err)
	defer svc.Close()

	require.True(t, svc.Redis.Embedded())
	require.NoError(t, svc.Ready(context.Background()))
	require.FileExists(t, models.KeyFilePath(path))
	sealed, err := svc.Sealer.Seal("pw", 1)
	require.NoError(t, err)
	plain, err := svc.Sealer.Open(sealed, 1)
	require.NoError(t, err)
	require.Equal(t, "pw", plain)
	families, err := svc.Registry.Gather()
	require.NoError(t, err)
	require.NotEmpty(t, families, "the registry carries the Go and process collectors")
}

func TestOpenWithoutRedisNamesTheVariableAndRole(t *testing.T) {
	t.Parallel()
	cfg := loadConfig(t, map[string]string{config.EnvDatabaseURL: "sqlite://" + filepath.Join(t.TempDir(), "w.db")})
	_, err := Open(context.Background(), cfg, quietLog(), Options{Role: "worker"})
	require.ErrorIs(t, err, config.ErrInvalid)
	require.ErrorContains(t, err, config.EnvRedisURL)
	require.ErrorContains(t, err, `"worker"`)
}

func TestOpenWithoutMigrateRefusesPendingMigrations(t *testing.T) {
	t.Parallel()
	cfg := loadConfig(t, map[string]string{config.EnvDatabaseURL: "sqlite://" + filepath.Join(t.TempDir(), "w.db")})
	_, err := Open(context.Background(), cfg, quietLog(), Options{Role: "api", EmbeddedRedis: true})
	require.ErrorIs(t, err, ErrPendingMigrations)
}

func TestOpenWithPostgresNeedsTheSecretKeyOnlyForTheSealer(t *testing.T) {
	t.Parallel()
	// The key is checked before any connection, so no server is needed:
	// LoadSealer refuses PostgreSQL without WUGSYNC_SECRET_KEY.
	cfg := loadConfig(t, map[string]string{config.EnvDatabaseURL: "postgres://u:p@db.invalid/x"})
	_, err := loadSealer(cfg, quietLog())
	require.ErrorIs(t, err, models.ErrKeyRequired)
}

func TestDatabaseDescriptionsHidePasswords(t *testing.T) {
	t.Parallel()
	for _, raw := range []string{
		"postgres://wugsync:topsecret@db:5432/wugsync?sslmode=verify-full",
		"postgres://wugsync@db:5432/wugsync?password=topsecret",
	} {
		got := DescribeDatabase(raw)
		require.NotContains(t, got, "topsecret")
		require.Contains(t, got, "db:5432/wugsync")
	}
	require.Equal(t, "sqlite /var/lib/wugsync/w.db", DescribeDatabase("sqlite:///var/lib/wugsync/w.db"))
}
