package workers

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strconv"
	"time"

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
// holding one frees it when the lease runs out. It takes none while the
// connection cools down: a caller would only hold the slot while it waits.
//
// KEYS[1] -> the semaphore's sorted set
// KEYS[2] -> the connection's cool-down
// ARGV[1] -> now in milliseconds
// ARGV[2] -> lease expiry in milliseconds
// ARGV[3] -> max concurrent holders
// ARGV[4] -> this holder's token
// Output: {1, 0} when the slot was taken, {0, 0} when the cap is reached,
// {2, ms} while the cool-down has ms to run.
var semaphoreAcquire = redis.NewScript(`
local cool = redis.call("PTTL", KEYS[2])
if cool > 0 then
  return {2, cool}
end
redis.call("ZREMRANGEBYSCORE", KEYS[1], "-inf", ARGV[1])
if redis.call("ZCARD", KEYS[1]) < tonumber(ARGV[3]) then
  redis.call("ZADD", KEYS[1], ARGV[2], ARGV[4])
  redis.call("PEXPIRE", KEYS[1], 600000)
  return {1, 0}
end
return {0, 0}
`)

// rateReserve books the next send time of a connection: a GCRA whose
// theoretical arrival time (TAT) moves by one interval per booking. Unlike
// an admission check ("may I send now?"), it books a slot up to a horizon
// ahead, and the caller sends at that slot. The schedule then keeps its
// pace however late callers wake up or reach Redis: with "admit now, next
// slot one interval later", every millisecond of lateness is lost for
// good, and a saturated limiter ran at 53.7 ms per request instead of 52.5
// (2.2% of the rate). An idle connection starts from now: no burst.
//
// KEYS[1] -> the TAT, in microseconds
// KEYS[2] -> the connection's cool-down
// ARGV[1] -> the interval between two sends, in microseconds
// ARGV[2] -> the horizon: how far ahead a slot may be booked, in microseconds
// ARGV[3] -> now in microseconds, or 0 for the Redis server's clock (every
//
//	process then shares one clock, whatever their skew)
//
// Output: {0, µs} the slot is booked, µs from now; {1, µs} no slot within
// the horizon, ask again in µs; {2, µs} the connection cools down for µs.
var rateReserve = redis.NewScript(`
local now = tonumber(ARGV[3])
if now == 0 then
  redis.replicate_commands()
  local t = redis.call("TIME")
  now = tonumber(t[1]) * 1000000 + tonumber(t[2])
end
local cool = redis.call("PTTL", KEYS[2])
if cool > 0 then
  return {2, cool * 1000}
end
local interval = tonumber(ARGV[1])
local horizon = tonumber(ARGV[2])
local tat = tonumber(redis.call("GET", KEYS[1]) or "0")
local slot = math.max(tat, now)
local wait = slot - now
if wait > horizon then
  return {1, wait - horizon}
end
redis.call("SET", KEYS[1], string.format("%.0f", slot + interval), "PX", math.floor(wait / 1000) + 60000)
return {0, wait}
`)

// limiterSlack is the margin of the rate: perSecond requests are spaced
// over one second plus limiterSlack, so that requests arriving up to
// limiterSlack later than their slot, relative to each other, never put
// perSecond+1 of them into one second at the server.
const limiterSlack = time.Second / 20

// maxLate is how late after its slot a caller may still send. A caller
// woken later (a stalled process, a slow Redis) gives the slot up and books
// another: sent that late, its request could arrive in the same second as
// a whole second's worth of punctual ones. The rest of the slack (30 ms)
// is left to the trip from the check to the server, which a loaded
// machine stretches too: allowing 30 ms here, one second in several
// hundred saw limit+1 requests with 2 cores shared by a dozen busy
// processes. About 1% of wake-ups come later than 20 ms there, each
// costing one slot.
const maxLate = limiterSlack * 2 / 5

// reserveAhead is how many intervals ahead a slot may be booked, at
// least: the limiter allows max_concurrent_requests intervals when that is
// more, so that every caller holding a concurrency slot (only those book)
// waits with a booking, and the schedule never runs dry while there is
// work.
const reserveAhead = 4

// WUGLimiter enforces one WUG connection's rate_limit_per_second and
// max_concurrent_requests across every worker process, in Redis: a GCRA
// schedule of send slots for the rate and a leased semaphore for
// concurrency. A 429 or 503 from the server sets a cool-down that every
// process honours, also a caller that booked its slot before it began.
// It implements wug.Limiter.
type WUGLimiter struct {
	rdb           redis.UniversalClient
	connectionID  uint
	interval      time.Duration
	maxConcurrent int
	// MaxWait is how long Acquire waits in-process before giving up with a
	// SnoozeError, so a task stuck behind a long cool-down goes back to the
	// queue instead of holding a worker.
	MaxWait time.Duration
	// Lease bounds how long a crashed holder keeps a concurrency slot.
	Lease time.Duration
	// OnWait is called with the time spent waiting for capacity, for metrics.
	OnWait func(time.Duration)

	// clock, when set, replaces both the local clock and Redis's: tests
	// drive the schedule with it. sleep waits; tests advance their clock.
	clock func() time.Time
	sleep func(context.Context, time.Duration) error
}

// NewWUGLimiter builds the limiter of one connection.
func NewWUGLimiter(rdb redis.UniversalClient, connectionID uint, perSecond, maxConcurrent int) *WUGLimiter {
	return &WUGLimiter{
		rdb:           rdb,
		connectionID:  connectionID,
		interval:      (time.Second + limiterSlack) / time.Duration(max(1, perSecond)),
		maxConcurrent: max(1, maxConcurrent),
		MaxWait:       2 * time.Minute,
		Lease:         2 * time.Minute,
		sleep:         sleep,
	}
}

func (l *WUGLimiter) key(kind string) string {
	return "wugsync:wug:" + strconv.FormatUint(uint64(l.connectionID), 10) + ":" + kind
}

func (l *WUGLimiter) now() time.Time {
	if l.clock != nil {
		return l.clock()
	}
	return time.Now()
}

// Cooldown stops every process from calling this connection for d, after the
// server answered 429 or 503.
func (l *WUGLimiter) Cooldown(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return nil
	}
	return l.rdb.Set(ctx, l.key("cooldown"), "1", d).Err()
}

// Acquire waits for a concurrency slot, then for its booked send slot. It
// returns a SnoozeError when the wait would exceed MaxWait.
func (l *WUGLimiter) Acquire(ctx context.Context, op string) (func(), error) {
	start := l.now()
	deadline := start.Add(l.MaxWait)
	waited := func() {
		if l.OnWait != nil {
			if d := l.now().Sub(start); d > time.Millisecond {
				l.OnWait(d)
			}
		}
	}
	// pause waits d, or snoozes the task when that would pass MaxWait.
	pause := func(d time.Duration, snooze time.Duration, reason string) error {
		if l.now().Add(d).After(deadline) {
			waited()
			return &SnoozeError{RetryIn: snooze, Reason: reason}
		}
		return l.sleep(ctx, d)
	}

	token := strconv.FormatInt(time.Now().UnixNano(), 36) + strconv.FormatUint(rand.Uint64(), 36)
	for {
		now := l.now()
		res, err := semaphoreAcquire.Run(ctx, l.rdb, []string{l.key("inflight"), l.key("cooldown")},
			now.UnixMilli(), now.Add(l.Lease).UnixMilli(), l.maxConcurrent, token).Int64Slice()
		if err == nil && len(res) != 2 {
			err = fmt.Errorf("unexpected answer %v", res)
		}
		if err != nil {
			return nil, fmt.Errorf("rate limiter: acquire concurrency slot: %w", err)
		}
		if res[0] == 1 {
			break
		}
		if res[0] == 2 {
			// Nothing goes out while the server is throttling us.
			ttl := time.Duration(res[1]) * time.Millisecond
			if err := pause(ttl, ttl, "WUG asked to slow down (cool-down)"); err != nil {
				return nil, err
			}
			continue
		}
		if err := pause(time.Duration(5+rand.IntN(20))*time.Millisecond, 5*time.Second,
			"all concurrency slots of the WUG server are busy"); err != nil {
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
		asked := l.now()
		kind, wait, err := l.reserve(ctx, asked)
		if err != nil {
			release()
			return nil, err
		}
		switch kind {
		case reserveCooling:
			err = pause(wait, wait, "WUG asked to slow down (cool-down)")
		case reserveLater:
			err = pause(wait, wait, "WUG rate limit reached")
		case reserveBooked:
			if wait > 0 {
				if err = l.sleep(ctx, wait); err != nil {
					break
				}
				// A 429 may have come while this caller slept.
				var ttl time.Duration
				if ttl, err = l.rdb.PTTL(ctx, l.key("cooldown")).Result(); err != nil {
					err = fmt.Errorf("rate limiter: read cool-down: %w", err)
					break
				}
				if ttl > 0 {
					continue // the slot is given up; the next booking waits the cool-down out
				}
			}
			// Measured from before the booking, so a slow answer from Redis
			// counts as lateness too.
			if now := l.now(); now.Sub(asked.Add(wait)) > maxLate {
				if now.After(deadline) {
					// This process is too slow to keep any slot.
					release()
					waited()
					return nil, &SnoozeError{RetryIn: time.Second, Reason: "woken too late for every WUG rate slot"}
				}
				continue // too late for this slot: book another
			}
			waited()
			return release, nil
		}
		if err != nil {
			release()
			return nil, err
		}
	}
}

// Answers of rateReserve.
const (
	reserveBooked  = 0
	reserveLater   = 1
	reserveCooling = 2
)

// reserve books a send slot (see rateReserve) and returns the answer's kind
// and how long to wait.
func (l *WUGLimiter) reserve(ctx context.Context, now time.Time) (int64, time.Duration, error) {
	var clock int64
	if l.clock != nil {
		clock = now.UnixMicro()
	}
	res, err := rateReserve.Run(ctx, l.rdb, []string{l.key("rate"), l.key("cooldown")},
		l.interval.Microseconds(), (time.Duration(max(reserveAhead, l.maxConcurrent)) * l.interval).Microseconds(), clock).Int64Slice()
	if err != nil {
		return 0, 0, fmt.Errorf("rate limiter: book a slot: %w", err)
	}
	if len(res) != 2 {
		return 0, 0, fmt.Errorf("rate limiter: book a slot: unexpected answer %v", res)
	}
	return res[0], time.Duration(res[1]) * time.Microsecond, nil
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
