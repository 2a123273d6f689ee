package workers

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
	"golang.org/x/sync/singleflight"

	"github.com/wugsync/wugsync/export"
	"github.com/wugsync/wugsync/models"
	"github.com/wugsync/wugsync/wug"
)

// groupCacheTTL bounds how stale a process's view of a WUG group tree may
// be; a miss always re-reads the tree before creating anything.
const groupCacheTTL = time.Minute

// Group creation is rare (once per new site), so serialising it per
// connection costs nothing measurable.

// errGroupMissing means a device's group does not exist in WUG and the
// connection may not create it. Retrying cannot help.
var errGroupMissing = errors.New("WUG group does not exist and create_missing_groups is off")

type groupCache struct {
	mu     sync.Mutex
	byConn map[uint]groupTree
	// loads makes the batches of a process that miss the cache together
	// share one read of the tree.
	loads singleflight.Group
}

type groupTree struct {
	fetched time.Time
	groups  []wug.Group
}

func newGroupCache() *groupCache { return &groupCache{byConn: map[uint]groupTree{}} }

func (c *groupCache) get(connID uint, now time.Time) ([]wug.Group, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	t, ok := c.byConn[connID]
	if !ok || now.Sub(t.fetched) > groupCacheTTL {
		return nil, false
	}
	return t.groups, true
}

func (c *groupCache) put(connID uint, groups []wug.Group, now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.byConn[connID] = groupTree{fetched: now, groups: groups}
}

// pathKey is the map key of a group path ("AMER/nyc1").
func pathKey(path []string) string { return strings.Join(path, "/") }

// findPath walks path from "My Network" and returns the id of its last
// level, or the index of the first missing level and its parent's id.
func findPath(groups []wug.Group, path []string) (id string, missingAt int, parentID string) {
	parentID = wug.RootGroupID
	for i, name := range path {
		next := ""
		for _, g := range groups {
			if g.ParentID == parentID && strings.EqualFold(strings.TrimSpace(g.Name), name) {
				if next == "" || export.LessID(g.ID, next) {
					next = g.ID // the oldest group of that name, as WUG itself picks
				}
			}
		}
		if next == "" {
			return "", i, parentID
		}
		parentID = next
	}
	return parentID, -1, ""
}

// resolveGroups returns the WUG group id of every path, creating missing
// groups when the connection allows it. Creation happens under a Redis lock
// per connection and path, and the tree is re-read inside the lock, so many
// workers needing the same new group at the same moment create it once.
func (w *Worker) resolveGroups(ctx context.Context, conn models.WUGConnection, client *wug.Client, paths [][]string) (map[string]string, error) {
	out := map[string]string{}
	groups, cached := w.groups.get(conn.ID, w.now())
	if !cached {
		loaded, err, _ := w.groups.loads.Do(strconv.FormatUint(uint64(conn.ID), 10), func() (any, error) {
			groups, err := retryRead(ctx, client.ListGroups)
			if err == nil {
				w.groups.put(conn.ID, groups, w.now())
			}
			return groups, err
		})
		if err != nil {
			return nil, fmt.Errorf("list WUG groups: %w", err)
		}
		groups = loaded.([]wug.Group)
	}
	var missing [][]string
	for _, path := range paths {
		key := pathKey(path)
		if _, done := out[key]; done {
			continue
		}
		if id, at, _ := findPath(groups, path); at < 0 {
			out[key] = id
			continue
		}
		if !conn.CreateMissingGroups {
			return nil, fmt.Errorf("group %q: %w", "My Network/"+key, errGroupMissing)
		}
		out[key] = ""
		missing = append(missing, path)
	}
	if len(missing) == 0 {
		return out, nil
	}
	created, err := w.createPaths(ctx, conn, client, missing)
	if err != nil {
		return nil, err
	}
	for key, id := range created {
		out[key] = id
	}
	return out, nil
}

// createPaths creates the missing levels of every path under one lock and
// one re-read of the tree: a cold export meets dozens of new sites in a
// batch, and a re-read per group was most of its WUG reads.
func (w *Worker) createPaths(ctx context.Context, conn models.WUGConnection, client *wug.Client, paths [][]string) (map[string]string, error) {
	// One lock per connection, not per path: "AMER/NYC1" and "AMER/CHI1"
	// both need "AMER", and two creators of it would collide.
	unlock, err := w.lock(ctx, fmt.Sprintf("wugsync:wug:%d:group-lock", conn.ID))
	if err != nil {
		return nil, err
	}
	defer unlock()
	groups, err := retryRead(ctx, client.ListGroups)
	if err != nil {
		return nil, fmt.Errorf("list WUG groups: %w", err)
	}
	out := make(map[string]string, len(paths))
	for _, path := range paths {
		var id string
		if id, groups, err = w.createPath(ctx, conn, client, groups, path); err != nil {
			w.groups.put(conn.ID, groups, w.now()) // what was created stays known
			return nil, err
		}
		out[pathKey(path)] = id
	}
	w.groups.put(conn.ID, groups, w.now())
	return out, nil
}

// createPath creates the missing levels of path in a tree read under the
// group lock (createPaths), and returns the path's id and the tree with
// what it created.
func (w *Worker) createPath(ctx context.Context, conn models.WUGConnection, client *wug.Client, groups []wug.Group, path []string) (string, []wug.Group, error) {
	id, missing, parent := findPath(groups, path)
	refused := 0 // 429s: refused unhandled, so sent again as they are
	for missing >= 0 && missing < len(path) {
		created, err := client.CreateChildGroup(ctx, parent, path[missing], "Created by wugsync from NetBox")
		if rateLimited(err) && refused < refusedRounds {
			// WUG made nothing: no re-read, no failed batch; the limiter
			// waits out the connection's cool-down before the resend.
			refused++
			continue
		}
		if errors.Is(err, wug.ErrRejected) {
			// Refused, most likely because a person or another tool created
			// the same group a moment ago ("must be unique under parent"):
			// take theirs and carry on below it.
			refusedAt := missing
			reread, err := retryRead(ctx, client.ListGroups)
			if err != nil {
				return "", groups, fmt.Errorf("list WUG groups: %w", err)
			}
			groups = reread
			if id, missing, parent = findPath(groups, path); missing >= 0 && missing <= refusedAt {
				return "", groups, fmt.Errorf("create WUG group %q: refused, and it does not exist", "My Network/"+pathKey(path[:missing+1]))
			}
			continue
		}
		if err != nil {
			return "", groups, fmt.Errorf("create WUG group %q: %w", "My Network/"+pathKey(path[:missing+1]), err)
		}
		w.connectionLog(conn).WithField("group", pathKey(path[:missing+1])).Info("created WUG group")
		groups = append(groups, created)
		parent, id = created.ID, created.ID
		missing++
	}
	return id, groups, nil
}

// unlockScript deletes the lock only if this holder still owns it.
var unlockScript = redis.NewScript(`
if redis.call("GET", KEYS[1]) == ARGV[1] then return redis.call("DEL", KEYS[1]) end
return 0`)

// lock takes a short Redis lock, waiting for it when another worker holds
// it. The TTL frees a lock whose holder died.
func (w *Worker) lock(ctx context.Context, key string) (func(), error) {
	token := strconv.FormatInt(time.Now().UnixNano(), 36)
	for {
		ok, err := w.p.Redis.SetNX(ctx, key, token, 30*time.Second).Result()
		if err != nil {
			return nil, fmt.Errorf("take lock %s: %w", key, err)
		}
		if ok {
			return func() { releaseLock(w.p.Redis, key, token, 30*time.Second) }, nil
		}
		if err := sleep(ctx, 20*time.Millisecond); err != nil {
			return nil, err
		}
	}
}
