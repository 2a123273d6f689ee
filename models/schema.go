package models

import (
	"context"
	"fmt"
	"io/fs"
	"path"
	"strconv"
	"strings"

	"gorm.io/gorm"

	"github.com/wugsync/wugsync/config"
)

// gooseVersionTable is where goose records the applied migrations.
const gooseVersionTable = "goose_db_version"

// LatestMigration is the newest migration version this binary carries: the
// schema version `wugsync migrate` brings a database to.
func LatestMigration() (int64, error) {
	var latest int64
	for _, dir := range []string{"migrations/postgres", "migrations/sqlite"} {
		entries, err := fs.ReadDir(migrationFiles, dir)
		if err != nil {
			return 0, fmt.Errorf("list migrations: %w", err)
		}
		for _, e := range entries {
			prefix, _, ok := strings.Cut(e.Name(), "_")
			if !ok || path.Ext(e.Name()) != ".sql" {
				continue
			}
			v, err := strconv.ParseInt(prefix, 10, 64)
			if err != nil {
				return 0, fmt.Errorf("migration %s/%s: version %q is not a number", dir, e.Name(), prefix)
			}
			latest = max(latest, v)
		}
	}
	// Go migrations (the password re-seal) have no file; they count too.
	for _, m := range goMigrations("", migrateOptions{}) {
		latest = max(latest, m.Version)
	}
	return latest, nil
}

// SchemaVersion reads the highest applied migration version without
// changing anything: 0 when no migration ever ran (no version table). Unlike
// goose's own status calls, which create the version table, it only reads,
// so `wugsync doctor` can use it on any database.
func SchemaVersion(ctx context.Context, db *gorm.DB) (int64, error) {
	db = db.WithContext(ctx)
	exists, err := versionTableExists(db)
	if err != nil {
		return 0, fmt.Errorf("look for the migration table: %w", err)
	}
	if !exists {
		return 0, nil
	}
	var version int64
	err = db.Raw("SELECT COALESCE(MAX(version_id), 0) FROM " + gooseVersionTable + " WHERE is_applied").Scan(&version).Error
	if err != nil {
		return 0, fmt.Errorf("read schema version: %w", err)
	}
	return version, nil
}

// versionTableExists looks for the goose table where the connection's
// search_path (PostgreSQL) or the main database (SQLite) would find it.
func versionTableExists(db *gorm.DB) (bool, error) {
	var n int64
	var err error
	if Dialect(db) == config.DatabasePostgres {
		err = db.Raw("SELECT COUNT(*) FROM pg_catalog.pg_class c WHERE c.oid = to_regclass(?)", gooseVersionTable).Scan(&n).Error
	} else {
		err = db.Raw("SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = ?", gooseVersionTable).Scan(&n).Error
	}
	return n > 0, err
}
