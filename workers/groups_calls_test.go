package workers_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/wugsync/wugsync/models"
	"github.com/wugsync/wugsync/tasks"
)

// TestABatchCreatesItsNewGroupsWithOneReadOfTheTree: a cold export into
// an empty WUG meets many new site groups in one batch. They are created
// after the one read of the group tree, with no re-read per group or per
// batch.
func TestABatchCreatesItsNewGroupsWithOneReadOfTheTree(t *testing.T) {
	t.Parallel()
	b := setup(t, bundleOptions{devices: 300, conn: func(c *models.WUGConnection) { c.BatchSize = models.MaxBatchSize }})
	run := b.export(tasks.ExportRequest{})
	require.Equal(t, models.RunCompleted, run.Status, run.ErrorMessage)
	require.Equal(t, 1, run.BatchesTotal)

	created := b.wug.CountRequests("POST /api/v1/device-groups/{groupId}/child")
	require.Greater(t, created, 3, "the inventory's sites and regions are new groups")
	require.Equal(t, 1, b.wug.CountRequests("GET /api/v1/device-groups/-"),
		"one read to resolve the batch's paths, and none before creating the missing ones")
}

// TestTheBatchesOfARunShareOneReadOfTheTree: the batches of a cold export
// run side by side and meet the same new sites; between them they read
// the group tree once and create each group once.
func TestTheBatchesOfARunShareOneReadOfTheTree(t *testing.T) {
	t.Parallel()
	b := setup(t, bundleOptions{devices: 300, conn: func(c *models.WUGConnection) { c.BatchSize = 30 }})
	before := len(b.wug.Groups())
	run := b.export(tasks.ExportRequest{})
	require.Equal(t, models.RunCompleted, run.Status, run.ErrorMessage)
	require.Greater(t, run.BatchesTotal, 5)

	created := len(b.wug.Groups()) - before
	require.Greater(t, created, 3, "the inventory's sites and regions are new groups")
	require.Equal(t, created, b.wug.CountRequests("POST /api/v1/device-groups/{groupId}/child"), "each group created once")
	require.Equal(t, 1, b.wug.CountRequests("GET /api/v1/device-groups/-"), "one read of the tree for the whole run")
}
