package workers_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/wugsync/wugsync/models"
	"github.com/wugsync/wugsync/tasks"
)

// TestABatchCreatesItsNewGroupsWithOneReadOfTheTree: a cold export into
// an empty WUG meets many new site groups in one batch. They are created
// under one lock after one re-read of the group tree, not one re-read per
// group.
func TestABatchCreatesItsNewGroupsWithOneReadOfTheTree(t *testing.T) {
	t.Parallel()
	b := setup(t, bundleOptions{devices: 300, conn: func(c *models.WUGConnection) { c.BatchSize = models.MaxBatchSize }})
	run := b.export(tasks.ExportRequest{})
	require.Equal(t, models.RunCompleted, run.Status, run.ErrorMessage)
	require.Equal(t, 1, run.BatchesTotal)

	created := b.wug.CountRequests("POST /api/v1/device-groups/{groupId}/child")
	require.Greater(t, created, 3, "the inventory's sites and regions are new groups")
	require.Equal(t, 2, b.wug.CountRequests("GET /api/v1/device-groups/-"),
		"one read to resolve the batch's paths, one under the lock before creating them all")
}
