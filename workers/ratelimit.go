package workers

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strconv"
	"time"

	"github.com/go-redis/redis_rate/v10"
	"github.com/redis/go-redis/v9"
)

// SnoozeError asks for the task to run again after RetryIn without counting
// a failure: waiting for a WUG server's capacity is not the task's fault.
// The server's IsFailure and RetryDelayFunc honour it.
type SnoozeError struct {
	RetryIn time.Duration
	Reason  string
}

func (e *SnoozeError) Error() string {
	return fmt.Sprintf("snoozed for %s: %s", e.RetryIn.Round(time.Millisecond), e.Reason)
}

// IsSnooze reports whether err asks for a snooze, and for how long. A WUG
// 429 or 503 is one from its first occurrence, for its Retry-After: waiting
// for the server is not the task's fault either.
func IsSnooze(err error) (time.Duration, bool) {
	var s *SnoozeError
	if errors.As(err, &s) {
		return s.RetryIn, true
	}
	return slowDown(err)
}

// semaphoreAcquire takes a slot of a Redis-wide concurrency cap. Slots are
// members of a sorted set scored by their expiry, so a process that dies
// holding one frees it when the lease runs out.
//
// KEYS[1] -> the semaphore's sorted set
// ARGV[1] -> now in milliseconds
// ARGV[2] -> lease expiry in milliseconds
// ARGV[3] -> max concurrent holders
// ARGV[4] -> this holder's token
// Output: 1 when the slot was taken, 0 when the cap is reached.
var semaphoreAcquire = redis.NewScript(`
redis.call("ZREMRANGEBYSCORE", KEYS[1], "-inf", ARGV[1])
if redis.call("ZCARD", KEYS[1]) < tonumber(ARGV[3]) then
  redis.call("ZADD", KEYS[1], ARGV[2], ARGV[4])
  redis.call("PEXPIRE", KEYS[1], 600000)
  return 1
end
return 0
`)

// WUGLimiter enforces one WUG connection's rate_limit_per_second and
// max_concurrent_requests across every worker process, in Redis: a GCRA
// limiter (redis_rate) for the rate and a leased semaphore for concurrency.
// A 429 or 503 from the server sets a cool-down that every process honours.
// It implements wug.Limiter.
type WUGLimiter struct {
	rdb           redis.UniversalClient
	rate          *redis_rate.Limiter
	connectionID  uint
	limit         redis_rate.Limit
	maxConcurrent int
	// MaxWait is how long Acquire waits in-process before giving up with a
	// SnoozeError, so a task stuck behind a long cool-down goes back to the
	// queue instead of holding a worker.
	MaxWait time.Duration
	// Lease bounds how long a crashed holder keeps a concurrency slot.
	Lease time.Duration
	// OnWait is called with the time spent waiting for capacity, for metrics.
	OnWait func(time.Duration)
}

// NewWUGLimiter builds the limiter of one connection.
func NewWUGLimiter(rdb redis.UniversalClient, connectionID uint, perSecond, maxConcurrent int) *WUGLimiter {
	return &WUGLimiter{
		rdb:          rdb,
		rate:         redis_rate.NewLimiter(rdb),
		connectionID: connectionID,
		// Burst 1 spaces requests evenly, and 5% headroom keeps the jitter
		// between admission and arrival from ever putting perSecond+1
		// requests into one wall-clock second at the server.
		limit:         redis_rate.Limit{Rate: perSecond, Burst: 1, Period: time.Second + time.Second/20},
		maxConcurrent: max(1, maxConcurrent),
		MaxWait:       2 * time.Minute,
		Lease:         2 * time.Minute,
	}
}

func (l *WUGLimiter) key(kind string) string {
	return "wugsync:wug:" + strconv.FormatUint(uint64(l.connectionID), 10) + ":" + kind
}

// Cooldown stops every process from calling this connection for d, after the
// server answered 429 or 503.
func (l *WUGLimiter) Cooldown(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return nil
	}
	return l.rdb.Set(ctx, l.key("cooldown"), "1", d).Err()
}

// Acquire waits for a rate slot and a concurrency slot. It returns a
// SnoozeError when the wait would exceed MaxWait.
func (l *WUGLimiter) Acquire(ctx context.Context, op string) (func(), error) {
	start := time.Now()
	deadline := start.Add(l.MaxWait)
	waited := func() {
		if l.OnWait != nil {
			if d := time.Since(start); d > time.Millisecond {
				l.OnWait(d)
			}
		}
	}

	// Cool-down first: nothing goes out while the server is throttling us.
	for {
		ttl, err := l.rdb.PTTL(ctx, l.key("cooldown")).Result()
		if err != nil {
			return nil, fmt.Errorf("rate limiter: read cool-down: %w", err)
		}
		if ttl <= 0 {
			break
		}
		if time.Now().Add(ttl).After(deadline) {
			waited()
			return nil, &SnoozeError{RetryIn: ttl, Reason: "WUG asked to slow down (cool-down)"}
		}
		if err := sleep(ctx, ttl); err != nil {
			return nil, err
		}
	}

	token := strconv.FormatInt(time.Now().UnixNano(), 36) + strconv.FormatUint(rand.Uint64(), 36)
	for {
		now := time.Now()
		ok, err := semaphoreAcquire.Run(ctx, l.rdb, []string{l.key("inflight")},
			now.UnixMilli(), now.Add(l.Lease).UnixMilli(), l.maxConcurrent, token).Int()
		if err != nil {
			return nil, fmt.Errorf("rate limiter: acquire concurrency slot: %w", err)
		}
		if ok == 1 {
			break
		}
		if now.After(deadline) {
			waited()
			return nil, &SnoozeError{RetryIn: 5 * time.Second, Reason: "all concurrency slots of the WUG server are busy"}
		}
		if err := sleep(ctx, time.Duration(5+rand.IntN(20))*time.Millisecond); err != nil {
			return nil, err
		}
	}
	release := func() {
		// A fresh context: the caller's may be cancelled, and a slot left
		// behind would block others until its lease expires.
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		_ = l.rdb.ZRem(ctx, l.key("inflight"), token).Err()
	}

	for {
		res, err := l.rate.Allow(ctx, l.key("rate"), l.limit)
		if err != nil {
			release()
			return nil, fmt.Errorf("rate limiter: %w", err)
		}
		if res.Allowed > 0 {
			waited()
			return release, nil
		}
		if time.Now().Add(res.RetryAfter).After(deadline) {
			release()
			waited()
			return nil, &SnoozeError{RetryIn: res.RetryAfter, Reason: "WUG rate limit reached"}
		}
		if err := sleep(ctx, res.RetryAfter); err != nil {
			release()
			return nil, err
		}
	}
}

// sleep waits for d or until ctx ends. Waiting for capacity is the
// limiter's job, so it is a real wait, not test synchronisation.
func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
