// Package testinfra gives each test its own database and Redis, on the real
// servers when CI names them (WUGSYNC_TEST_DATABASE_URL,
// WUGSYNC_TEST_REDIS_URL) and on embedded ones otherwise, so every test runs
// unchanged on both.
package testinfra

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
	"gorm.io/gorm"

	"github.com/wugsync/wugsync/models"
)

// Environment variables CI sets to run the tests on real servers.
const (
	EnvTestDatabaseURL = "WUGSYNC_TEST_DATABASE_URL"
	EnvTestRedisURL    = "WUGSYNC_TEST_REDIS_URL"
)

// Database is one isolated database for one test.
type Database struct {
	Backend string // "sqlite" or "postgres"
	URL     string // a WUGSYNC_DATABASE_URL value reaching only this test's data
}

// DB returns a migrated database of its own for t, closed when t ends: on
// PostgreSQL when WUGSYNC_TEST_DATABASE_URL is set, else on SQLite.
func DB(t testing.TB) *gorm.DB {
	t.Helper()
	return OpenMigrated(t, NewDatabase(t))
}

// NewDatabase returns an isolated, empty (unmigrated) database for t.
func NewDatabase(t testing.TB) Database {
	t.Helper()
	if base := os.Getenv(EnvTestDatabaseURL); base != "" {
		return newPostgresSchema(t, base)
	}
	return newSQLiteFile(t)
}

// DatabaseBackends returns one isolated database per backend this run can
// reach: SQLite always, PostgreSQL too when configured. Conformance tests
// loop over it so both stores pass the same suite.
func DatabaseBackends(t testing.TB) []Database {
	t.Helper()
	out := []Database{newSQLiteFile(t)}
	if base := os.Getenv(EnvTestDatabaseURL); base != "" {
		out = append(out, newPostgresSchema(t, base))
	}
	return out
}

// OpenMigrated opens d, applies the migrations and closes it when t ends.
func OpenMigrated(t testing.TB, d Database) *gorm.DB {
	t.Helper()
	db, err := models.Open(context.Background(), d.URL)
	require.NoError(t, err, "open test database %s", d.Backend)
	t.Cleanup(func() { _ = models.Close(db) })
	_, err = models.Migrate(context.Background(), db)
	require.NoError(t, err, "migrate test database %s", d.Backend)
	return db
}

func newSQLiteFile(t testing.TB) Database {
	path := filepath.Join(t.TempDir(), "wugsync.db")
	return Database{Backend: "sqlite", URL: "sqlite://" + path}
}

// newPostgresSchema isolates t in a schema of its own, reached through
// search_path, which is far cheaper than a database per test.
func newPostgresSchema(t testing.TB, base string) Database {
	t.Helper()
	schema := "t_" + randomHex(8)
	admin, err := models.Open(context.Background(), base)
	require.NoError(t, err, "connect to %s", EnvTestDatabaseURL)
	require.NoError(t, admin.Exec("CREATE SCHEMA "+schema).Error)
	require.NoError(t, models.Close(admin))
	t.Cleanup(func() {
		admin, err := models.Open(context.Background(), base)
		if err != nil {
			t.Logf("drop test schema %s: %v", schema, err)
			return
		}
		defer models.Close(admin)
		if err := admin.Exec("DROP SCHEMA " + schema + " CASCADE").Error; err != nil {
			t.Logf("drop test schema %s: %v", schema, err)
		}
	})
	u, err := url.Parse(base)
	require.NoError(t, err)
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return Database{Backend: "postgres", URL: u.String()}
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
