package workers

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
	"golang.org/x/sync/errgroup"
	"golang.org/x/sync/singleflight"

	"github.com/wugsync/wugsync/export"
	"github.com/wugsync/wugsync/models"
	"github.com/wugsync/wugsync/wug"
)

// groupCacheTTL bounds how stale a process's view of a WUG group tree may
// be; a group the view lacks is created, and a create that WUG refuses
// (the name is taken under that parent) re-reads the tree.
const groupCacheTTL = time.Minute

// errGroupMissing means a device's group does not exist in WUG and the
// connection may not create it. Retrying cannot help.
var errGroupMissing = errors.New("WUG group does not exist and create_missing_groups is off")

// groupCreateParallel bounds the creates one batch has in flight at once
// (the WUG limiter bounds them per connection anyway).
const groupCreateParallel = 8

// groupCache is a process's view of each connection's WUG group tree,
// shared by every batch of every run: a run's batches read the tree once
// between them, and each new group is created once.
type groupCache struct {
	mu     sync.Mutex
	byConn map[uint]groupTree
	// loads makes the batches of a process that miss the cache together
	// share one read of the tree.
	loads singleflight.Group
	// creates makes the batches that need the same new group together
	// share one create, keyed by connection, parent and name.
	creates singleflight.Group
}

type groupTree struct {
	fetched time.Time
	groups  []wug.Group
	// added are the groups this process created, with when: a read of the
	// tree that began before a create may lack that group, and must not
	// make the process forget it (put).
	added []addedGroup
}

type addedGroup struct {
	group wug.Group
	at    time.Time
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

// put stores a tree read that began at started, keeping the groups this
// process created since then that the read may have missed: a read that
// began after a create and lacks its group means WUG lost it, and the
// group is forgotten.
func (c *groupCache) put(connID uint, groups []wug.Group, started time.Time) []wug.Group {
	c.mu.Lock()
	defer c.mu.Unlock()
	var keep []addedGroup
	for _, a := range c.byConn[connID].added {
		if !a.at.Before(started) && !slices.ContainsFunc(groups, func(g wug.Group) bool { return g.ID == a.group.ID }) {
			keep = append(keep, a)
		}
	}
	for _, a := range keep {
		groups = append(slices.Clip(groups), a.group)
	}
	c.byConn[connID] = groupTree{fetched: started, groups: groups, added: keep}
	return groups
}

// add records a group this process created, or found after WUG refused
// to create it, at now. The tree is copied, not appended to in place:
// batches read the slice they got without the lock.
func (c *groupCache) add(connID uint, g wug.Group, now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if t, ok := c.byConn[connID]; ok {
		if !slices.ContainsFunc(t.groups, func(h wug.Group) bool { return h.ID == g.ID }) {
			t.groups = append(slices.Clip(t.groups), g)
		}
		t.added = append(slices.Clip(t.added), addedGroup{group: g, at: now})
		c.byConn[connID] = t
	}
}

// forget drops a connection's tree, and the groups this process created
// with it: WUG said a group of it does not exist (someone deleted it), so
// the next look reads the tree again instead of trusting the rest of it
// until the TTL.
func (c *groupCache) forget(connID uint) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.byConn, connID)
}

// pathKey is the map key of a group path ("AMER/nyc1").
func pathKey(path []string) string { return strings.Join(path, "/") }

// findPath walks path from "My Network" and returns the id of its last
// level, or the index of the first missing level and its parent's id.
func findPath(groups []wug.Group, path []string) (id string, missingAt int, parentID string) {
	parentID = wug.RootGroupID
	for i, name := range path {
		next := childOf(groups, parentID, name)
		if next == "" {
			return "", i, parentID
		}
		parentID = next
	}
	return parentID, -1, ""
}

// childOf is the id of the group named name under parentID, "" if none:
// the oldest of that name, as WUG itself picks.
func childOf(groups []wug.Group, parentID, name string) string {
	id := ""
	for _, g := range groups {
		if g.ParentID == parentID && strings.EqualFold(strings.TrimSpace(g.Name), name) {
			if id == "" || export.LessID(g.ID, id) {
				id = g.ID
			}
		}
	}
	return id
}

// groupTree is the connection's group tree: the process's cached view,
// or one read of WUG shared by the batches that miss it together.
func (w *Worker) groupTree(ctx context.Context, conn models.WUGConnection, client *wug.Client) ([]wug.Group, error) {
	if groups, ok := w.groups.get(conn.ID, w.now()); ok {
		return groups, nil
	}
	loaded, err, _ := w.groups.loads.Do(strconv.FormatUint(uint64(conn.ID), 10), func() (any, error) {
		started := w.now()
		groups, err := retryRead(ctx, client.ListGroups)
		if err != nil {
			return nil, err
		}
		return w.groups.put(conn.ID, groups, started), nil
	})
	if err != nil {
		return nil, fmt.Errorf("list WUG groups: %w", err)
	}
	return loaded.([]wug.Group), nil
}

// resolveGroups returns the WUG group id of every path, creating missing
// groups when the connection allows it (createPaths).
func (w *Worker) resolveGroups(ctx context.Context, conn models.WUGConnection, client *wug.Client, paths [][]string) (map[string]string, error) {
	groups, err := w.groupTree(ctx, conn, client)
	if err != nil {
		return nil, err
	}
	out := map[string]string{}
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

// createPaths creates the missing levels of paths a level at a time: the
// missing groups of one level at once, each through createGroup, then the
// next level under them. A cold export meets dozens of new sites in its
// first batches, and at 50 ms a call one create after another (under one
// lock per connection, after a re-read of the tree each time, as before)
// took longer than all of its template calls.
func (w *Worker) createPaths(ctx context.Context, conn models.WUGConnection, client *wug.Client, paths [][]string) (map[string]string, error) {
	type level struct{ parentID, name, label string }
	out := make(map[string]string, len(paths))
	depth := 0
	for _, path := range paths {
		depth = max(depth, len(path))
	}
	rereads := 0 // the tree was dropped, a parent being gone (at most once)
	for round := 0; len(paths) > 0; round++ {
		groups, err := w.groupTree(ctx, conn, client)
		if err != nil {
			return nil, err
		}
		if round > depth+rereads {
			return nil, fmt.Errorf("create WUG group %q: still missing after it was created", "My Network/"+pathKey(paths[0]))
		}
		var needs []level
		seen := map[string]bool{}
		var next [][]string
		for _, path := range paths {
			id, at, parent := findPath(groups, path)
			if at < 0 {
				out[pathKey(path)] = id
				continue
			}
			next = append(next, path)
			if k := groupKey(conn.ID, parent, path[at]); !seen[k] {
				seen[k] = true
				needs = append(needs, level{parentID: parent, name: path[at], label: "My Network/" + pathKey(path[:at+1])})
			}
		}
		g, gctx := errgroup.WithContext(ctx)
		g.SetLimit(groupCreateParallel)
		for _, l := range needs {
			g.Go(func() error { return w.createGroup(gctx, conn, client, l.parentID, l.name, l.label) })
		}
		if err := g.Wait(); err != nil {
			if !errors.Is(err, wug.ErrNotFound) || rereads > 0 {
				return nil, err
			}
			// A parent the cached tree holds is gone from WUG (createGroup
			// dropped the tree): the same paths again, on a fresh read,
			// once.
			rereads++
			continue
		}
		paths = next
	}
	return out, nil
}

// groupKey names one group of a connection by its parent and name (WUG
// compares names case-insensitively).
func groupKey(connID uint, parentID, name string) string {
	return fmt.Sprintf("%d:%s:%s", connID, parentID, strings.ToLower(strings.TrimSpace(name)))
}

// createGroup makes sure the group name exists under parentID and records
// it in the process's tree. The batches of a process that need it
// together share one create; other processes are kept out by a Redis
// lock on that one group, so groups of different sites are created at the
// same time. WUG refuses a second group of the same name under a parent:
// a refusal means another process or a person created it since the tree
// was read, and the tree is read again to take theirs.
func (w *Worker) createGroup(ctx context.Context, conn models.WUGConnection, client *wug.Client, parentID, name, label string) error {
	key := groupKey(conn.ID, parentID, name)
	_, err, _ := w.groups.creates.Do(key, func() (any, error) {
		if groups, ok := w.groups.get(conn.ID, w.now()); ok && childOf(groups, parentID, name) != "" {
			return nil, nil // a create that ended since the caller read the tree
		}
		unlock, err := w.lock(ctx, "wugsync:wug:group-lock:"+key)
		if err != nil {
			return nil, err
		}
		defer unlock()
		created, err := client.CreateChildGroup(ctx, parentID, name, "Created by wugsync from NetBox")
		for refused := 0; rateLimited(err) && refused < refusedRounds; refused++ {
			// A 429 made nothing: resend as it is, with no re-read and no
			// failed batch; the limiter waits out the connection's cool-down.
			created, err = client.CreateChildGroup(ctx, parentID, name, "Created by wugsync from NetBox")
		}
		if errors.Is(err, wug.ErrRejected) {
			started := w.now()
			reread, err := retryRead(ctx, client.ListGroups)
			if err != nil {
				return nil, fmt.Errorf("list WUG groups: %w", err)
			}
			w.groups.put(conn.ID, reread, started)
			id := childOf(reread, parentID, name)
			if id == "" {
				return nil, fmt.Errorf("create WUG group %q: refused, and it does not exist", label)
			}
			// Kept like a create of ours: a read begun before it must not
			// make the process forget the group.
			w.groups.add(conn.ID, wug.Group{ID: id, Name: name, ParentID: parentID}, w.now())
			return nil, nil
		}
		if errors.Is(err, wug.ErrNotFound) {
			// The parent the cached tree holds is gone: drop the tree, so
			// this process does not keep trusting it until the TTL.
			w.groups.forget(conn.ID)
		}
		if err != nil {
			return nil, fmt.Errorf("create WUG group %q: %w", label, err)
		}
		w.connectionLog(conn).WithField("group", strings.TrimPrefix(label, "My Network/")).Info("created WUG group")
		w.groups.add(conn.ID, created, w.now())
		return nil, nil
	})
	return err
}

// unlockScript deletes the lock only if this holder still owns it.
var unlockScript = redis.NewScript(`
if redis.call("GET", KEYS[1]) == ARGV[1] then return redis.call("DEL", KEYS[1]) end
return 0`)

// lock takes a short Redis lock, waiting for it when another worker holds
// it. The TTL frees a lock whose holder died.
func (w *Worker) lock(ctx context.Context, key string) (func(), error) {
	token := lockToken()
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
