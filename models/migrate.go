package models

import (
	"context"
	"embed"
	"fmt"
	"io/fs"

	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"
	"gorm.io/gorm"

	"github.com/wugsync/wugsync/config"
)

// migrationFiles holds the versioned SQL of both databases inside the binary,
// so `wugsync migrate` needs no files on disk. The two directories carry the
// same versions and the same schema, in each database's own types. Steps
// that SQL cannot do (re-encrypting passwords) are Go migrations with their
// own versions (goMigrations), shared by both databases.
//
//go:embed migrations/postgres/*.sql migrations/sqlite/*.sql
var migrationFiles embed.FS

// MigrationResult says what Migrate applied.
type MigrationResult struct {
	Applied []int64 // versions applied by this call; empty when up to date
	Version int64   // schema version after the call
}

// MigrateOption adjusts Migrate.
type MigrateOption func(*migrateOptions)

type migrateOptions struct {
	sealer func() (*Sealer, error)
}

// WithSealer gives the migrations that re-encrypt stored passwords (00002)
// the key. load is called only when a stored password needs it, so a
// database without any needs no key to migrate.
func WithSealer(load func() (*Sealer, error)) MigrateOption {
	return func(o *migrateOptions) { o.sealer = load }
}

// Migrate applies every pending migration. Running it again is a no-op. On
// PostgreSQL a session advisory lock makes concurrent starts (several pods
// running `wugsync migrate`) take turns instead of racing.
func Migrate(ctx context.Context, db *gorm.DB, opts ...MigrateOption) (MigrationResult, error) {
	provider, err := newProvider(db, opts...)
	if err != nil {
		return MigrationResult{}, err
	}
	results, err := provider.Up(ctx)
	if err != nil {
		return MigrationResult{}, fmt.Errorf("apply migrations: %w", err)
	}
	out := MigrationResult{}
	for _, r := range results {
		out.Applied = append(out.Applied, r.Source.Version)
	}
	if out.Version, err = provider.GetDBVersion(ctx); err != nil {
		return MigrationResult{}, fmt.Errorf("read schema version: %w", err)
	}
	return out, nil
}

// PendingMigrations reports how many migrations are not yet applied, so
// processes other than `migrate` can refuse to run on an old schema.
func PendingMigrations(ctx context.Context, db *gorm.DB) (int, error) {
	provider, err := newProvider(db)
	if err != nil {
		return 0, err
	}
	status, err := provider.Status(ctx)
	if err != nil {
		return 0, fmt.Errorf("read migration status: %w", err)
	}
	pending := 0
	for _, s := range status {
		if s.State == goose.StatePending {
			pending++
		}
	}
	return pending, nil
}

func newProvider(db *gorm.DB, migrateOpts ...MigrateOption) (*goose.Provider, error) {
	var mo migrateOptions
	for _, o := range migrateOpts {
		o(&mo)
	}
	sqlDB, err := db.DB()
	if err != nil {
		return nil, err
	}
	dialect, dir := goose.DialectSQLite3, "migrations/sqlite"
	opts := []goose.ProviderOption{goose.WithGoMigrations(goMigrations(Dialect(db), mo)...)}
	if Dialect(db) == config.DatabasePostgres {
		dialect, dir = goose.DialectPostgres, "migrations/postgres"
		locker, err := lock.NewPostgresSessionLocker()
		if err != nil {
			return nil, fmt.Errorf("migration lock: %w", err)
		}
		opts = append(opts, goose.WithSessionLocker(locker))
	}
	sub, err := fs.Sub(migrationFiles, dir)
	if err != nil {
		return nil, err
	}
	opts = append(opts, goose.WithDisableGlobalRegistry(true))
	provider, err := goose.NewProvider(dialect, sqlDB, sub, opts...)
	if err != nil {
		return nil, fmt.Errorf("load migrations: %w", err)
	}
	return provider, nil
}
