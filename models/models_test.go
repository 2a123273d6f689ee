package models_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"gorm.io/gorm"

	"github.com/wugsync/wugsync/export"
	"github.com/wugsync/wugsync/internal/testinfra"
	"github.com/wugsync/wugsync/models"
)

type testBundle struct {
	db     *gorm.DB
	sealer *models.Sealer
	url    string // the database's WUGSYNC_DATABASE_URL
}

// forEachBackend runs fn as a subtest on every database this run can reach,
// so SQLite and PostgreSQL pass the same suite.
func forEachBackend(t *testing.T, fn func(t *testing.T, bundle testBundle)) {
	t.Helper()
	for _, backend := range testinfra.DatabaseBackends(t) {
		t.Run(backend.Backend, func(t *testing.T) {
			t.Parallel()
			sealer, err := models.NewSealer(make([]byte, 32))
			require.NoError(t, err)
			fn(t, testBundle{db: testinfra.OpenMigrated(t, backend), sealer: sealer, url: backend.URL})
		})
	}
}

// forEachBackendAt runs fn on a fresh database of each kind migrated up
// to version only (0: not at all): a migration's test writes rows as that
// older schema knows them, then runs models.Migrate itself.
func forEachBackendAt(t *testing.T, version int64, fn func(t *testing.T, db *gorm.DB)) {
	t.Helper()
	for _, backend := range testinfra.DatabaseBackends(t) {
		t.Run(backend.Backend, func(t *testing.T) {
			t.Parallel()
			db, err := models.Open(context.Background(), backend.URL)
			require.NoError(t, err)
			t.Cleanup(func() { _ = models.Close(db) })
			if version > 0 {
				require.NoError(t, models.MigrateUpTo(context.Background(), db, version))
			}
			fn(t, db)
		})
	}
}

func newConnection(t *testing.T, bundle testBundle, name string) models.WUGConnection {
	t.Helper()
	conn := models.NewWUGConnection()
	conn.Name, conn.Host, conn.Username = name, "wug.example.net", "admin"
	require.NoError(t, conn.SetPassword(bundle.sealer, "s3cret-pass"))
	require.NoError(t, bundle.db.Create(&conn).Error)
	return conn
}

func TestConnectionNameIsUnique(t *testing.T) {
	t.Parallel()
	forEachBackend(t, func(t *testing.T, bundle testBundle) {
		newConnection(t, bundle, "lab")
		dup := models.NewWUGConnection()
		dup.Name, dup.Host, dup.Username = "lab", "other.example.net", "admin"
		err := bundle.db.Create(&dup).Error
		require.Error(t, err)
		require.True(t, models.IsUniqueViolation(err), "want a unique violation, got %v", err)
	})
}

func TestExportRowIsUniquePerConnectionAndDevice(t *testing.T) {
	t.Parallel()
	forEachBackend(t, func(t *testing.T, bundle testBundle) {
		a := newConnection(t, bundle, "a")
		b := newConnection(t, bundle, "b")
		row := func(conn uint) *models.NetBoxIPExport {
			return &models.NetBoxIPExport{ConnectionID: conn, NetBoxDeviceID: 42, IPAddress: "10.0.0.1",
				ExportReason: models.ReasonNewDevice, ExportStatus: models.ExportPending}
		}
		require.NoError(t, bundle.db.Create(row(a.ID)).Error)
		require.NoError(t, bundle.db.Create(row(b.ID)).Error, "the same device on another connection is a separate row")
		err := bundle.db.Create(row(a.ID)).Error
		require.True(t, models.IsUniqueViolation(err), "want a unique violation, got %v", err)
	})
}

func TestOneActiveExportRunPerConnection(t *testing.T) {
	t.Parallel()
	forEachBackend(t, func(t *testing.T, bundle testBundle) {
		conn := newConnection(t, bundle, "lab")
		run := func(status models.RunStatus) *models.WUGSyncLog {
			return &models.WUGSyncLog{ConnectionID: conn.ID, SyncType: models.SyncExport,
				Trigger: models.TriggerManual, Status: status}
		}
		first := run(models.RunQueued)
		require.NoError(t, bundle.db.Create(first).Error)
		err := bundle.db.Create(run(models.RunRunning)).Error
		require.True(t, models.IsUniqueViolation(err), "a second active run must be refused, got %v", err)
		require.NoError(t, bundle.db.Model(first).Update("status", models.RunCompleted).Error)
		require.NoError(t, bundle.db.Create(run(models.RunQueued)).Error, "a new run once the first ended")
	})
}

func TestDatabaseRejectsUnknownEnumValues(t *testing.T) {
	t.Parallel()
	forEachBackend(t, func(t *testing.T, bundle testBundle) {
		conn := newConnection(t, bundle, "lab")
		bad := &models.NetBoxIPExport{ConnectionID: conn.ID, NetBoxDeviceID: 1,
			ExportReason: models.ReasonManual, ExportStatus: "done"}
		require.Error(t, bundle.db.Create(bad).Error, "export_status outside the enum")
		bad = &models.NetBoxIPExport{ConnectionID: conn.ID, NetBoxDeviceID: 1,
			ExportReason: "because", ExportStatus: models.ExportPending}
		require.Error(t, bundle.db.Create(bad).Error, "export_reason outside the enum")
		require.Error(t, bundle.db.Model(&conn).Update("decommission_action", "explode").Error)
		require.Error(t, bundle.db.Model(&conn).Update("batch_size", 500).Error, "batch_size above 499")
		require.Error(t, bundle.db.Create(&models.WUGSyncLog{ConnectionID: conn.ID, SyncType: "export",
			Trigger: models.TriggerManual, Status: "paused"}).Error)
	})
}

func TestConnectionDefaultsRoundTrip(t *testing.T) {
	t.Parallel()
	forEachBackend(t, func(t *testing.T, bundle testBundle) {
		conn := models.NewWUGConnection()
		conn.Name, conn.Host, conn.Username = "defaults", "wug", "admin"
		conn.UseSSL = false // an explicit false must survive GORM's zero-value handling
		conn.DeviceFilters = models.DeviceFilters{Sites: []string{"nyc1", export.FilterID(7)}, Tags: []string{"monitor"}}
		require.NoError(t, bundle.db.Create(&conn).Error)

		var got models.WUGConnection
		require.NoError(t, bundle.db.First(&got, conn.ID).Error)
		require.Equal(t, 9644, got.Port)
		require.False(t, got.UseSSL)
		require.True(t, got.VerifySSL)
		require.True(t, got.IsActive)
		require.Equal(t, 180, got.ExportIntervalMinutes)
		require.Equal(t, "{site}", got.GroupTemplate)
		require.Equal(t, models.DecommissionNone, got.DecommissionAction)
		require.Equal(t, 100, got.BatchSize)
		require.Equal(t, models.FilterValues{"nyc1", export.FilterID(7)}, got.DeviceFilters.Sites, "ids survive the database as ids")
		require.Equal(t, models.FilterValues{"monitor"}, got.DeviceFilters.Tags)
	})
}

func TestRawInsertGetsDatabaseDefaults(t *testing.T) {
	t.Parallel()
	forEachBackend(t, func(t *testing.T, bundle testBundle) {
		require.NoError(t, bundle.db.Exec(
			"INSERT INTO wug_connections (name, host, username) VALUES ('raw', 'wug', 'admin')").Error)
		var got models.WUGConnection
		require.NoError(t, bundle.db.Where("name = ?", "raw").First(&got).Error)
		want := models.NewWUGConnection()
		require.Equal(t, want.Port, got.Port)
		require.Equal(t, want.UseSSL, got.UseSSL)
		require.Equal(t, want.VerifySSL, got.VerifySSL)
		require.Equal(t, want.EnableNetBoxExport, got.EnableNetBoxExport)
		require.Equal(t, want.AutoScanExportedIPs, got.AutoScanExportedIPs)
		require.Equal(t, want.CreateMissingGroups, got.CreateMissingGroups)
		require.Equal(t, want.RateLimitPerSecond, got.RateLimitPerSecond)
		require.Equal(t, want.MaxConcurrentRequests, got.MaxConcurrentRequests)
		require.Equal(t, want.BatchSize, got.BatchSize)
	})
}

func TestExportHistorySurvivesAndTimestampsPersist(t *testing.T) {
	t.Parallel()
	forEachBackend(t, func(t *testing.T, bundle testBundle) {
		conn := newConnection(t, bundle, "lab")
		at := time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)
		row := models.NetBoxIPExport{ConnectionID: conn.ID, NetBoxDeviceID: 7, IPAddress: "10.1.1.1",
			ExportReason: models.ReasonNewDevice, ExportStatus: models.ExportExported, WUGDeviceID: "14",
			ExportedAt: &at}
		require.NoError(t, bundle.db.Create(&row).Error)
		attempt := models.ExportAttempt{ExportID: &row.ID, TaskType: "netbox:export:batch", Attempt: 1,
			Error: "wug: HTTP 500", OccurredAt: at}
		require.NoError(t, bundle.db.Create(&attempt).Error)

		var got models.NetBoxIPExport
		require.NoError(t, bundle.db.First(&got, row.ID).Error)
		require.NotNil(t, got.ExportedAt)
		require.True(t, at.Equal(*got.ExportedAt), "exported_at %v", got.ExportedAt)
		var attempts []models.ExportAttempt
		require.NoError(t, bundle.db.Where("export_id = ?", row.ID).Find(&attempts).Error)
		require.Len(t, attempts, 1)
		require.Equal(t, "wug: HTTP 500", attempts[0].Error)
	})
}

// SQLite is opened for one writer and many readers: write-ahead log,
// commits that do not wait for the disk (synchronous NORMAL), foreign keys
// enforced, a busy timeout, and a log that grows to 10,000 pages between
// checkpoints.
func TestSQLiteOpensWithItsPragmas(t *testing.T) {
	t.Parallel()
	db, err := models.Open(context.Background(), "sqlite://"+filepath.Join(t.TempDir(), "wugsync.db"))
	require.NoError(t, err)
	t.Cleanup(func() { _ = models.Close(db) })
	want := map[string]string{"journal_mode": "wal", "synchronous": "1", "foreign_keys": "1",
		"busy_timeout": "15000", "wal_autocheckpoint": "10000"}
	for pragma, value := range want {
		var got string
		require.NoError(t, db.Raw("PRAGMA "+pragma).Row().Scan(&got))
		require.Equal(t, value, got, pragma)
	}
}

func TestMigrateTwiceIsNoOp(t *testing.T) {
	t.Parallel()
	forEachBackendAt(t, 0, func(t *testing.T, db *gorm.DB) {
		pending, err := models.PendingMigrations(context.Background(), db)
		require.NoError(t, err)
		require.Positive(t, pending, "an empty database has migrations to apply")

		first, err := models.Migrate(context.Background(), db)
		require.NoError(t, err)
		require.Len(t, first.Applied, pending)
		second, err := models.Migrate(context.Background(), db)
		require.NoError(t, err)
		require.Empty(t, second.Applied, "second run applies nothing")
		require.Equal(t, first.Version, second.Version)

		pending, err = models.PendingMigrations(context.Background(), db)
		require.NoError(t, err)
		require.Zero(t, pending)
	})
}

func TestSchemasMatchAcrossDatabases(t *testing.T) {
	t.Parallel()
	want := map[string][]string{}
	for _, backend := range testinfra.DatabaseBackends(t) {
		db := testinfra.OpenMigrated(t, backend)
		got := map[string][]string{}
		for _, table := range []string{"wug_connections", "netbox_ip_exports", "wug_sync_logs", "sync_plan_entries", "sync_run_batches", "export_attempts"} {
			cols, err := db.Migrator().ColumnTypes(table)
			require.NoError(t, err, "%s: %s", backend.Backend, table)
			for _, c := range cols {
				got[table] = append(got[table], c.Name())
			}
		}
		if len(want) == 0 {
			want = got
			continue
		}
		require.Equal(t, want, got, "%s has different columns", backend.Backend)
	}
	require.Contains(t, want["wug_connections"], "password_encrypted")
	require.NotContains(t, want["wug_connections"], "password", "no plaintext password column")
}

func TestSchemaVersionReadsWithoutWriting(t *testing.T) {
	t.Parallel()
	latest, err := models.LatestMigration()
	require.NoError(t, err)
	require.Positive(t, latest)
	for _, d := range testinfra.DatabaseBackends(t) {
		t.Run(d.Backend, func(t *testing.T) {
			db, err := models.Open(context.Background(), d.URL)
			require.NoError(t, err)
			defer models.Close(db)

			v, err := models.SchemaVersion(context.Background(), db)
			require.NoError(t, err)
			require.Zero(t, v, "an empty database has no schema")
			require.False(t, db.Migrator().HasTable("goose_db_version"), "reading the version created nothing")

			_, err = models.Migrate(context.Background(), db)
			require.NoError(t, err)
			v, err = models.SchemaVersion(context.Background(), db)
			require.NoError(t, err)
			require.Equal(t, latest, v)
		})
	}
}

// TestConsoleURLColumnMigrates: migration 00004 applies on a fresh
// database of each kind even while version 3 is missing (versions are
// numbered ahead by work in progress elsewhere), and the column round-trips.
func TestConsoleURLColumnMigrates(t *testing.T) {
	t.Parallel()
	forEachBackendAt(t, 0, func(t *testing.T, db *gorm.DB) {
		res, err := models.Migrate(context.Background(), db)
		require.NoError(t, err)
		require.Contains(t, res.Applied, int64(4))
		require.True(t, db.Migrator().HasColumn(&models.WUGConnection{}, "wug_console_url"))

		sealer, err := models.NewSealer(make([]byte, 32))
		require.NoError(t, err)
		conn := newConnection(t, testBundle{db: db, sealer: sealer}, "console")
		var stored models.WUGConnection
		require.NoError(t, db.First(&stored, conn.ID).Error)
		require.Empty(t, stored.WUGConsoleURL, "the column's default is the default URL")
		require.Equal(t, "https://wug.example.net/NmConsole/", stored.ConsoleURL())
		require.NoError(t, db.Model(&stored).Update("wug_console_url", "https://c.example.net/#device/{id}").Error)
		require.NoError(t, db.First(&stored, conn.ID).Error)
		require.Equal(t, "https://c.example.net/#device/a%2Fb", stored.ConsoleDeviceURL("a/b"), "the id is escaped")
	})
}

// TestExportVirtualMachinesColumnMigrates: migration 00005 adds
// export_virtual_machines, off for existing and new connections alike, on
// each database kind; the flag round-trips.
func TestExportVirtualMachinesColumnMigrates(t *testing.T) {
	t.Parallel()
	forEachBackendAt(t, 0, func(t *testing.T, db *gorm.DB) {
		res, err := models.Migrate(context.Background(), db)
		require.NoError(t, err)
		require.Contains(t, res.Applied, int64(5))
		require.True(t, db.Migrator().HasColumn(&models.WUGConnection{}, "export_virtual_machines"))

		sealer, err := models.NewSealer(make([]byte, 32))
		require.NoError(t, err)
		conn := newConnection(t, testBundle{db: db, sealer: sealer}, "vms")
		var stored models.WUGConnection
		require.NoError(t, db.First(&stored, conn.ID).Error)
		require.False(t, stored.ExportVirtualMachines, "an upgrade exports no VM until a person opts in")
		require.False(t, models.NewWUGConnection().ExportVirtualMachines)
		require.NoError(t, db.Model(&stored).Update("export_virtual_machines", true).Error)
		require.NoError(t, db.First(&stored, conn.ID).Error)
		require.True(t, stored.ExportVirtualMachines)
	})
}
