package process

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/sirupsen/logrus"
	"github.com/stretchr/testify/require"

	"github.com/wugsync/wugsync/models"
)

func TestOpenMigratedDatabaseRefusesAnOldSchema(t *testing.T) {
	t.Parallel()
	url := "sqlite://" + filepath.Join(t.TempDir(), "w.db")
	_, err := OpenMigratedDatabase(context.Background(), url)
	require.ErrorIs(t, err, ErrPendingMigrations)
	var pending *PendingMigrationsError
	require.ErrorAs(t, err, &pending)
	require.Positive(t, pending.Pending)
	require.Contains(t, err.Error(), "run `wugsync migrate` first")

	db, err := OpenAndMigrateDatabase(context.Background(), url, logrus.NewEntry(logrus.New()))
	require.NoError(t, err)
	n, err := models.PendingMigrations(context.Background(), db)
	require.NoError(t, err)
	require.Zero(t, n)
	require.NoError(t, models.Close(db))

	db, err = OpenMigratedDatabase(context.Background(), url)
	require.NoError(t, err, "a migrated database is accepted")
	require.NoError(t, models.Close(db))
}
