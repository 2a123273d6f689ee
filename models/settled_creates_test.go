package models_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"
	"gorm.io/gorm"

	"github.com/wugsync/wugsync/models"
)

// TestSettledCreatesMigrationClearsLinkedRowsOnly: 00013 clears the create
// claim and mark that rows linked before it kept, and leaves those of an
// unlinked row, whose create may still be in flight or unanswered.
func TestSettledCreatesMigrationClearsLinkedRowsOnly(t *testing.T) {
	t.Parallel()
	forEachBackendAt(t, 12, func(t *testing.T, db *gorm.DB) {
		ctx := context.Background()

		require.NoError(t, db.Exec(`INSERT INTO wug_connections (id, name, host, username) VALUES (1, 'lab', 'wug.example.net', 'admin')`).Error)
		for _, q := range []string{
			// Linked, with the claim and mark of the run that created it.
			`INSERT INTO netbox_ip_exports (connection_id, object_type, netbox_object_id, netbox_device_id, export_status, wug_device_id,
				create_claim, create_claimed_at, create_attempted_at)
				VALUES (1, 'device', 1, 1, 'exported', '101', 'export:run:4:batch:1', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)`,
			// Not linked: its template call's answer may have been lost.
			`INSERT INTO netbox_ip_exports (connection_id, object_type, netbox_object_id, netbox_device_id, export_status,
				create_claim, create_claimed_at, create_attempted_at)
				VALUES (1, 'device', 2, 2, 'pending', 'export:run:4:batch:1', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)`,
		} {
			require.NoError(t, db.Exec(q).Error)
		}

		_, err := models.Migrate(ctx, db)
		require.NoError(t, err)

		store := models.NewStore(db)
		linked, err := store.Row(ctx, models.DeviceKey(1, 1))
		require.NoError(t, err)
		require.Equal(t, "101", linked.WUGDeviceID)
		require.Empty(t, linked.CreateClaim)
		require.Nil(t, linked.CreateClaimedAt)
		require.Nil(t, linked.CreateAttemptedAt)
		pending, err := store.Row(ctx, models.DeviceKey(1, 2))
		require.NoError(t, err)
		require.Equal(t, "export:run:4:batch:1", pending.CreateClaim)
		require.NotNil(t, pending.CreateClaimedAt)
		require.NotNil(t, pending.CreateAttemptedAt)
	})
}
