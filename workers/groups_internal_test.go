package workers

import (
	"context"
	"testing"

	"github.com/sirupsen/logrus"
	"github.com/stretchr/testify/require"

	"github.com/wugsync/wugsync/internal/testinfra"
	"github.com/wugsync/wugsync/models"
	"github.com/wugsync/wugsync/netbox"
	"github.com/wugsync/wugsync/sim/netboxsim"
	"github.com/wugsync/wugsync/wug"
)

// A group the process's cached tree holds but WUG no longer has (someone
// deleted it) is not trusted until the cache expires: the create under it
// answers "not found", the tree is dropped and read again, and the path
// is created afresh in the same call. Counted: one failed create, one
// more read of the tree, the two levels created.
func TestAGroupGoneFromWUGIsDroppedFromTheCache(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	stack := testinfra.NewStack(t, testinfra.StackOptions{NetBox: netboxsim.Options{Devices: 1, Seed: 7}})
	nb, err := netbox.New(netbox.Config{URL: stack.NetBoxURL, Token: netboxsim.DefaultToken})
	require.NoError(t, err)
	conn := stack.NewConnection(t, "lab-wug", stack.WUGURL, func(c *models.WUGConnection) {
		c.RateLimitPerSecond, c.MaxConcurrentRequests = 500, 20
	})
	log := logrus.New()
	log.SetLevel(logrus.ErrorLevel)
	w := NewWorker(Params{DB: stack.DB, Redis: stack.Redis.Client, Enqueuer: stack.Enqueuer(), Sealer: stack.Sealer,
		NetBox: nb, Log: logrus.NewEntry(log)})
	client, _, err := w.wugClient(conn)
	require.NoError(t, err)

	_, err = w.groupTree(ctx, conn, client)
	require.NoError(t, err)
	const ghost = "999999"
	w.groups.add(conn.ID, wug.Group{ID: ghost, Name: "Ghost", ParentID: wug.RootGroupID}, w.now())

	ids, err := w.resolveGroups(ctx, conn, client, [][]string{{"Ghost", "lab"}})
	require.NoError(t, err)
	require.Equal(t, 2, stack.WUG.CountRequests("GET /api/v1/device-groups/-"), "the tree is read again once")
	require.Equal(t, 3, stack.WUG.CountRequests("POST /api/v1/device-groups/{groupId}/child"),
		"the refused create under the gone group, then both levels")
	groups, ok := w.groups.get(conn.ID, w.now())
	require.True(t, ok)
	made := childOf(groups, wug.RootGroupID, "Ghost")
	require.NotEmpty(t, made)
	require.NotEqual(t, ghost, made, "the gone group is no longer in the cache")
	require.Equal(t, childOf(groups, made, "lab"), ids["Ghost/lab"])
}
