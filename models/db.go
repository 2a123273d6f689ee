package models

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"time"

	"github.com/glebarez/sqlite"
	"gorm.io/driver/postgres"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"

	"github.com/wugsync/wugsync/config"
)

// Open connects to the database named by a WUGSYNC_DATABASE_URL value and
// checks that it answers. SQLite is opened in WAL mode with a busy timeout
// and immediate transactions, so several goroutines (API, workers,
// scheduler of `wugsync all`) can write without "database is locked".
func Open(ctx context.Context, rawURL string) (*gorm.DB, error) {
	parsed, err := config.ParseDatabaseURL(rawURL)
	if err != nil {
		return nil, err
	}
	gormCfg := &gorm.Config{
		Logger:                                   logger.Default.LogMode(logger.Silent),
		DisableForeignKeyConstraintWhenMigrating: true,
		NowFunc:                                  func() time.Time { return time.Now().UTC() },
	}
	var db *gorm.DB
	switch parsed.Kind {
	case config.DatabasePostgres:
		var pool *sql.DB
		if pool, err = openPostgres(parsed.DSN); err == nil {
			if db, err = gorm.Open(postgres.New(postgres.Config{Conn: pool}), gormCfg); err != nil {
				_ = pool.Close()
			}
		}
	case config.DatabaseSQLite:
		db, err = gorm.Open(sqlite.Open(sqliteDSN(parsed.DSN)), gormCfg)
	}
	if err != nil {
		return nil, fmt.Errorf("open %s database: %w", parsed.Kind, err)
	}
	sqlDB, err := db.DB()
	if err != nil {
		return nil, fmt.Errorf("open %s database: %w", parsed.Kind, err)
	}
	if parsed.Kind == config.DatabaseSQLite {
		// SQLite allows one writer at a time, and a writer that finds the
		// lock taken sleeps in its busy handler (up to 100 ms a try). One
		// connection queues callers in Go instead, which measured 20% faster
		// on a 30k-device export (BENCHMARKS.md). Nothing may hold a
		// transaction while it waits for another query outside it.
		sqlDB.SetMaxOpenConns(1)
	} else {
		sqlDB.SetMaxOpenConns(25)
		sqlDB.SetMaxIdleConns(10)
		sqlDB.SetConnMaxIdleTime(5 * time.Minute)
	}
	pingCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := sqlDB.PingContext(pingCtx); err != nil {
		_ = sqlDB.Close()
		return nil, fmt.Errorf("connect to %s database: %w", parsed.Kind, err)
	}
	return db, nil
}

// Dialect reports which database kind db talks to.
func Dialect(db *gorm.DB) string {
	if db.Dialector.Name() == "postgres" {
		return config.DatabasePostgres
	}
	return config.DatabaseSQLite
}

// sqliteWALPages is how many pages SQLite's write-ahead log grows to before
// a commit copies them into the database (wal_autocheckpoint; SQLite's
// default is 1,000). A run's batches each rewrite the same last pages of
// the export rows' table and of its eight indexes; between checkpoints the
// log holds each such page many times, and a checkpoint copies it into the
// database once. Ten times fewer checkpoints made a cold export of 10,000
// devices about 5% faster (BENCHMARKS.md, ninth pass), for a log of up to
// 40 MB on disk.
const sqliteWALPages = 10000

func sqliteDSN(path string) string {
	q := url.Values{}
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "busy_timeout(15000)")
	q.Add("_pragma", "foreign_keys(1)")
	q.Add("_pragma", "synchronous(NORMAL)")
	q.Add("_pragma", fmt.Sprintf("wal_autocheckpoint(%d)", sqliteWALPages))
	q.Set("_txlock", "immediate")
	return "file:" + path + "?" + q.Encode()
}

// Close releases the database pool.
func Close(db *gorm.DB) error {
	sqlDB, err := db.DB()
	if err != nil {
		return err
	}
	return sqlDB.Close()
}
