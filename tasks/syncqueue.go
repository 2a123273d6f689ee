package tasks

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// SyncCooldown is how long after a webhook sync of an object its next one
// waits. The first event of an object syncs at once (the leading edge);
// the events that come while it syncs, or within SyncCooldown after, make
// one trailing sync that reads the object's latest state. So a script that
// saves one device 2,000 times in a second costs two WUG updates, and a
// person's single edit reaches WUG without a debounce. It is longer than
// a second so that a one-second burst ends before its trailing sync reads
// NetBox, and short enough that the trailing sync still lands within two
// seconds of the burst's events.
const SyncCooldown = 1200 * time.Millisecond

// syncChainLease is how long a drain chain's mark lives without being
// renewed. A drain renews it on every step; a chain whose worker died
// frees its connection after this long, and the next webhook starts a new
// one.
const syncChainLease = 5 * time.Minute

// SyncObject is one NetBox object waiting for a webhook sync: a device, or
// a virtual machine when VM is set.
type SyncObject struct {
	VM bool
	ID int64
}

// member is the object's name in the Redis structures.
func (o SyncObject) member() string {
	if o.VM {
		return "vm:" + strconv.FormatInt(o.ID, 10)
	}
	return "device:" + strconv.FormatInt(o.ID, 10)
}

func parseMember(m string) (SyncObject, error) {
	kind, id, ok := strings.Cut(m, ":")
	n, err := strconv.ParseInt(id, 10, 64)
	if !ok || err != nil || n <= 0 || (kind != "vm" && kind != "device") {
		return SyncObject{}, fmt.Errorf("bad pending sync member %q", m)
	}
	return SyncObject{VM: kind == "vm", ID: n}, nil
}

// SyncQueue holds, per WUG connection, the NetBox objects that webhooks
// asked to sync and that no drain has applied yet, so that one drain task
// per connection syncs them in batches (one NetBox read and one WUG batch
// per batch_size objects) instead of one task, one read and one set of WUG
// calls per event. Per connection it keeps in Redis:
//
//   - due: a sorted set of objects by the time (ms) they may sync;
//   - ver: a hash of objects to the number of events seen, so a drain
//     removes only objects that had no event while it synced them;
//   - recent: a sorted set of objects by the time of their last sync, for
//     the cooldown;
//   - chain: a leased mark that a drain task of the connection is queued or
//     running, so one webhook in a burst enqueues it and the others only
//     add their objects.
//
// An object leaves due only after its sync was applied (Done): a drain that
// dies halfway leaves its objects for the retry, so delivery is at least
// once.
type SyncQueue struct {
	rdb      redis.UniversalClient
	now      func() time.Time
	cooldown time.Duration
}

// NewSyncQueue returns the sync queue on rdb with the production cooldown.
func NewSyncQueue(rdb redis.UniversalClient) *SyncQueue {
	return &SyncQueue{rdb: rdb, now: time.Now, cooldown: SyncCooldown}
}

// WithClock returns a SyncQueue that reads time from now, so tests can
// move through the cooldown without waiting.
func (q *SyncQueue) WithClock(now func() time.Time) *SyncQueue {
	c := *q
	c.now = now
	return &c
}

func syncKeys(connID uint) (due, ver, recent, chain, gen string) {
	p := fmt.Sprintf("wugsync:websync:%d:", connID)
	return p + "due", p + "ver", p + "recent", p + "chain", p + "gen"
}

func ms(t time.Time) int64 { return t.UnixMilli() }

// addScript records events for objects and starts the connection's drain
// chain when none is live.
//
// KEYS[1..5] -> due, ver, recent, chain, gen
// ARGV[1] -> now (ms); ARGV[2] -> cooldown (ms); ARGV[3] -> chain lease (ms)
// ARGV[4..] -> members
// Output: the new chain's generation when the caller must enqueue its
// drain task, else 0.
var addScript = redis.NewScript(`
local now = tonumber(ARGV[1])
local cool = tonumber(ARGV[2])
for i = 4, #ARGV do
  local m = ARGV[i]
  redis.call('HINCRBY', KEYS[2], m, 1)
  local due = now
  local last = redis.call('ZSCORE', KEYS[3], m)
  if last and tonumber(last) + cool > now then due = tonumber(last) + cool end
  local cur = redis.call('ZSCORE', KEYS[1], m)
  if (not cur) or due < tonumber(cur) then redis.call('ZADD', KEYS[1], due, m) end
end
if redis.call('EXISTS', KEYS[4]) == 1 then return 0 end
local gen = redis.call('INCR', KEYS[5])
redis.call('SET', KEYS[4], gen, 'PX', ARGV[3])
return gen
`)

// Add records one event for each object on a connection. An object not
// synced within the cooldown becomes due at once; one synced recently,
// when its cooldown ends. A positive gen means no drain chain was live:
// the caller must enqueue DrainPayload{ConnectionID: connID, Gen: gen}
// (EnqueueSync does both), and call Abandon if that fails.
func (q *SyncQueue) Add(ctx context.Context, connID uint, objs []SyncObject) (gen int64, err error) {
	if len(objs) == 0 {
		return 0, nil
	}
	due, ver, recent, chain, genKey := syncKeys(connID)
	args := []any{ms(q.now()), q.cooldown.Milliseconds(), syncChainLease.Milliseconds()}
	for _, o := range objs {
		args = append(args, o.member())
	}
	gen, err = addScript.Run(ctx, q.rdb, []string{due, ver, recent, chain, genKey}, args...).Int64()
	if err != nil {
		return 0, fmt.Errorf("queue the webhook sync of %d objects on connection %d: %w", len(objs), connID, err)
	}
	return gen, nil
}

// Taken is what one drain step took: objects due now, with the event count
// each had when taken.
type Taken struct {
	Objects  []SyncObject
	versions []string
	members  []string
}

// Subset is the part of t whose objects keep says, to mark done on its own.
func (t Taken) Subset(keep func(SyncObject) bool) Taken {
	var out Taken
	for i, o := range t.Objects {
		if keep(o) {
			out.Objects = append(out.Objects, o)
			out.members = append(out.members, t.members[i])
			out.versions = append(out.versions, t.versions[i])
		}
	}
	return out
}

// takeScript lists up to limit due objects with their event counts, the
// earliest due time left, and renews the chain's lease.
//
// KEYS[1..3] -> due, ver, chain
// ARGV[1] -> now (ms); ARGV[2] -> limit; ARGV[3] -> chain lease (ms)
// Output: {members, versions, earliest due (ms) of the rest or -1}
var takeScript = redis.NewScript(`
redis.call('PEXPIRE', KEYS[3], ARGV[3])
local ms = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, tonumber(ARGV[2]))
local vs = {}
for i, m in ipairs(ms) do
  vs[i] = redis.call('HGET', KEYS[2], m) or '0'
end
local first = -1
if #ms == 0 then
  local f = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
  if #f == 2 then first = tonumber(f[2]) end
end
return {ms, vs, first}
`)

// Take lists up to limit objects due now, leaving them in the queue until
// Done. With none due, next is when the earliest pending object becomes
// due (zero when nothing is pending).
func (q *SyncQueue) Take(ctx context.Context, connID uint, limit int) (t Taken, next time.Time, err error) {
	due, ver, _, chain, _ := syncKeys(connID)
	res, err := takeScript.Run(ctx, q.rdb, []string{due, ver, chain}, ms(q.now()), limit, syncChainLease.Milliseconds()).Slice()
	if err != nil {
		return t, next, fmt.Errorf("take webhook syncs of connection %d: %w", connID, err)
	}
	if len(res) != 3 {
		return t, next, fmt.Errorf("take webhook syncs of connection %d: unexpected answer %v", connID, res)
	}
	members, _ := res[0].([]any)
	versions, _ := res[1].([]any)
	for i, m := range members {
		s, _ := m.(string)
		o, err := parseMember(s)
		if err != nil {
			return t, next, err
		}
		v := ""
		if i < len(versions) {
			v, _ = versions[i].(string)
		}
		t.Objects = append(t.Objects, o)
		t.members = append(t.members, s)
		t.versions = append(t.versions, v)
	}
	if first, _ := res[2].(int64); first >= 0 && len(t.Objects) == 0 {
		next = time.UnixMilli(first).UTC()
	}
	return t, next, nil
}

// doneScript removes the synced objects that had no event since they were
// taken, and makes the others due when their cooldown ends (the trailing
// sync).
//
// KEYS[1..3] -> due, ver, recent
// ARGV[1] -> now (ms); ARGV[2] -> cooldown (ms); ARGV[3..] -> member, version pairs
var doneScript = redis.NewScript(`
local now = tonumber(ARGV[1])
local cool = tonumber(ARGV[2])
for i = 3, #ARGV, 2 do
  local m, v = ARGV[i], ARGV[i + 1]
  if (redis.call('HGET', KEYS[2], m) or '0') == v then
    redis.call('ZREM', KEYS[1], m)
    redis.call('HDEL', KEYS[2], m)
  else
    redis.call('ZADD', KEYS[1], 'XX', now + cool, m)
  end
  redis.call('ZADD', KEYS[3], now, m)
end
redis.call('ZREMRANGEBYSCORE', KEYS[3], '-inf', now - cool)
return 0
`)

// Done marks taken objects as synced: those with no event since Take
// leave the queue; the others stay for one trailing sync after the
// cooldown.
func (q *SyncQueue) Done(ctx context.Context, connID uint, t Taken) error {
	if len(t.members) == 0 {
		return nil
	}
	due, ver, recent, _, _ := syncKeys(connID)
	args := []any{ms(q.now()), q.cooldown.Milliseconds()}
	for i, m := range t.members {
		args = append(args, m, t.versions[i])
	}
	if err := doneScript.Run(ctx, q.rdb, []string{due, ver, recent}, args...).Err(); err != nil {
		return fmt.Errorf("mark %d webhook syncs of connection %d done: %w", len(t.members), connID, err)
	}
	return nil
}

// releaseScript ends the chain when nothing is pending.
//
// KEYS[1..2] -> due, chain
// Output: 1 when the chain ended, 0 when objects are pending.
var releaseScript = redis.NewScript(`
if redis.call('ZCARD', KEYS[1]) > 0 then return 0 end
redis.call('DEL', KEYS[2])
return 1
`)

// Release ends the connection's drain chain if nothing is pending, in one
// step with the check, so an event that arrives meanwhile either is seen
// by the drain or starts a new chain. It reports whether the chain ended.
func (q *SyncQueue) Release(ctx context.Context, connID uint) (bool, error) {
	due, _, _, chain, _ := syncKeys(connID)
	n, err := releaseScript.Run(ctx, q.rdb, []string{due, chain}).Int()
	if err != nil {
		return false, fmt.Errorf("end the webhook sync chain of connection %d: %w", connID, err)
	}
	return n == 1, nil
}

// Continue renews the chain under a new generation, for the drain task
// that takes over from the current one.
func (q *SyncQueue) Continue(ctx context.Context, connID uint) (int64, error) {
	_, _, _, chain, genKey := syncKeys(connID)
	gen, err := q.rdb.Incr(ctx, genKey).Result()
	if err == nil {
		err = q.rdb.Set(ctx, chain, gen, syncChainLease).Err()
	}
	if err != nil {
		return 0, fmt.Errorf("continue the webhook sync chain of connection %d: %w", connID, err)
	}
	return gen, nil
}

// restartScript starts a chain for objects no chain is draining.
//
// KEYS[1..3] -> due, chain, gen; ARGV[1] -> chain lease (ms)
// Output: the new chain's generation, or 0.
var restartScript = redis.NewScript(`
if redis.call('ZCARD', KEYS[1]) == 0 or redis.call('EXISTS', KEYS[2]) == 1 then return 0 end
local gen = redis.call('INCR', KEYS[3])
redis.call('SET', KEYS[2], gen, 'PX', ARGV[1])
return gen
`)

// Restart starts a drain chain on a connection whose objects wait with no
// chain to drain them (its drain gave up, or its worker died and the lease
// ran out): a positive gen means the caller must enqueue that drain.
func (q *SyncQueue) Restart(ctx context.Context, connID uint) (int64, error) {
	due, _, _, chain, genKey := syncKeys(connID)
	gen, err := restartScript.Run(ctx, q.rdb, []string{due, chain, genKey}, syncChainLease.Milliseconds()).Int64()
	if err != nil {
		return 0, fmt.Errorf("restart the webhook sync chain of connection %d: %w", connID, err)
	}
	return gen, nil
}

// Abandon drops the chain mark (its drain task could not be queued, or
// gave up), so that the next event starts a new chain. Pending objects
// stay.
func (q *SyncQueue) Abandon(ctx context.Context, connID uint) error {
	_, _, _, chain, _ := syncKeys(connID)
	if err := q.rdb.Del(ctx, chain).Err(); err != nil {
		return fmt.Errorf("drop the webhook sync chain of connection %d: %w", connID, err)
	}
	return nil
}

// Forget drops everything pending on a connection (it was deleted or
// stopped exporting: its objects sync nowhere).
func (q *SyncQueue) Forget(ctx context.Context, connID uint) error {
	due, ver, recent, chain, _ := syncKeys(connID)
	if err := q.rdb.Del(ctx, due, ver, recent, chain).Err(); err != nil {
		return fmt.Errorf("forget the webhook syncs of connection %d: %w", connID, err)
	}
	return nil
}

// Pending lists the objects waiting on a connection, the soonest due
// first.
func (q *SyncQueue) Pending(ctx context.Context, connID uint) ([]SyncObject, error) {
	due, _, _, _, _ := syncKeys(connID)
	members, err := q.rdb.ZRange(ctx, due, 0, -1).Result()
	if err != nil {
		return nil, fmt.Errorf("list the webhook syncs of connection %d: %w", connID, err)
	}
	out := make([]SyncObject, 0, len(members))
	for _, m := range members {
		o, err := parseMember(m)
		if err != nil {
			return nil, err
		}
		out = append(out, o)
	}
	return out, nil
}

// EnqueueSync records events for objects on a connection and, when no
// drain chain is live, enqueues the drain task that starts one, to run at
// once: the leading edge of a burst reaches WUG without a debounce.
func EnqueueSync(ctx context.Context, q *SyncQueue, enq *Enqueuer, connID uint, objs []SyncObject) error {
	gen, err := q.Add(ctx, connID, objs)
	if err != nil || gen == 0 {
		return err
	}
	err = enq.Enqueue(ctx, DrainPayload{ConnectionID: connID, Gen: gen})
	if err == nil || errors.Is(err, ErrAlreadyQueued) {
		return nil
	}
	// No drain will run: let the next event try again.
	if aerr := q.Abandon(context.WithoutCancel(ctx), connID); aerr != nil {
		return errors.Join(err, aerr)
	}
	return err
}
