package workers

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/wugsync/wugsync/internal/testinfra"
	"github.com/wugsync/wugsync/models"
)

func TestCleanTextKeepsNoControlCharacter(t *testing.T) {
	t.Parallel()
	require.Equal(t, "site \\x00 not found", cleanText("site \x00 not found"))
	require.Equal(t, "bad \uFFFD byte, tab\\x09 and \\x1b[31m", cleanText("bad \xff byte, tab\t and \x1b[31m"))
	require.Equal(t, "Zürich ok", cleanText("Zürich ok"))
	require.Equal(t, "site  not found", plainText("site \x00 not found"))
}

// TestFailingARunCannotFail: NetBox's error text quoting a NUL and invalid
// UTF-8 (PostgreSQL refuses both) still ends the run, as failed, with a
// readable message; before, the write failed and the run stayed running,
// holding its connection.
func TestFailingARunCannotFail(t *testing.T) {
	t.Parallel()
	for _, database := range testinfra.DatabaseBackends(t) {
		t.Run(database.Backend, func(t *testing.T) {
			t.Parallel()
			db := testinfra.OpenMigrated(t, database)
			redis := testinfra.NewRedis(t)
			w := NewWorker(Params{DB: db, Redis: redis.Client})
			conn := models.NewWUGConnection()
			conn.Name, conn.Host = "nul", "192.0.2.1"
			require.NoError(t, db.Create(&conn).Error)
			run := models.WUGSyncLog{ConnectionID: conn.ID, SyncType: models.SyncExport, Trigger: models.TriggerManual, Status: models.RunRunning}
			require.NoError(t, db.Create(&run).Error)

			w.failRun(context.Background(), run.ID, errors.New("netbox: 400 {\"site\": [\"unknown \x00 site \xff\"]}"))

			require.NoError(t, db.First(&run, run.ID).Error)
			require.Equal(t, models.RunFailed, run.Status)
			require.Contains(t, run.ErrorMessage, `unknown \x00 site`)
			require.False(t, strings.ContainsRune(run.ErrorMessage, 0))
		})
	}
}
