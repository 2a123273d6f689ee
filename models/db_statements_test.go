package models_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/wugsync/wugsync/models"
)

// A list statement (a multi-row INSERT here: a batch's new rows, inserted
// claimed) has a new SQL text for each number of rows; on PostgreSQL none
// of them stays prepared on the connection, where each held its text and
// parameter types for the rest of the process (the bench's memory line).
// The statements still do their work on both databases.
func TestListStatementsStayUnprepared(t *testing.T) {
	t.Parallel()
	forEachBackend(t, func(t *testing.T, bundle testBundle) {
		ctx := context.Background()
		sqlDB, err := bundle.db.DB()
		require.NoError(t, err)
		// One connection: PostgreSQL lists the statements of a session.
		sqlDB.SetMaxOpenConns(1)
		conn := newConnection(t, bundle, "lab")
		store := models.NewStore(bundle.db)

		const sizes = 30
		next := int64(1)
		for n := 1; n <= sizes; n++ {
			rows := make([]models.NetBoxIPExport, n)
			for i := range rows {
				rows[i] = models.NetBoxIPExport{ConnectionID: conn.ID, ObjectType: models.ObjectDevice, NetBoxObjectID: next,
					NetBoxDeviceID: next, NetBoxDeviceName: "sw", IPAddress: "10.0.0.1",
					ExportReason: models.ReasonNewDevice, ExportStatus: models.ExportPending}
				next++
			}
			inserted, err := store.InsertClaimedCreates(ctx, rows, "task-1", time.Now())
			require.NoError(t, err)
			require.Len(t, inserted, n)
		}
		var stored int64
		require.NoError(t, bundle.db.Model(&models.NetBoxIPExport{}).Where("connection_id = ?", conn.ID).Count(&stored).Error)
		require.Equal(t, next-1, stored, "every row of every statement")

		if models.Dialect(bundle.db) != "postgres" {
			return
		}
		var prepared []struct {
			Params    int
			Statement string
		}
		require.NoError(t, bundle.db.Raw(`SELECT cardinality(parameter_types) AS params, statement
			FROM pg_prepared_statements WHERE statement LIKE '%netbox_ip_exports%'`).Scan(&prepared).Error)
		for _, p := range prepared {
			require.LessOrEqual(t, p.Params, models.ListParams, "a list statement stayed prepared: %.80s", p.Statement)
		}
		// The inserts of a row or two (up to ListParams parameters) may
		// stay: they recur with the same text.
		require.Less(t, len(prepared), sizes/3, "prepared inserts of export rows")
	})
}
