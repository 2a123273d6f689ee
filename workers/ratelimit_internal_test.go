package workers

import (
	"context"
	"errors"
	"sort"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/require"

	"github.com/wugsync/wugsync/internal/testinfra"
)

// These tests drive the WUG limiter with a test clock: its schedule, its
// sleeps and Redis's idea of "now" are the clock's, so what is counted is
// exactly which send times it hands out, with no waiting.

const testPerSecond = 20

// limiterBundle is one Redis shared by the limiters of several processes
// of one connection, and the clock they all read.
type limiterBundle struct {
	t     *testing.T
	redis testinfra.Redis
	clock *testinfra.Clock
}

func setupLimiter(t *testing.T) *limiterBundle {
	t.Helper()
	return &limiterBundle{t: t, redis: testinfra.NewRedis(t),
		clock: testinfra.NewClock(time.Now().Truncate(time.Second))}
}

// process returns the limiter of one more worker process: a Redis client
// of its own, on the shared clock. Its sleeps advance the clock by what it
// asked, plus what late returns for that sleep (a slow wake-up).
func (b *limiterBundle) process(late func(d time.Duration) time.Duration) *WUGLimiter {
	shared := b.redis.Client.Options()
	rdb := redis.NewClient(&redis.Options{Addr: shared.Addr, DB: shared.DB})
	b.t.Cleanup(func() { _ = rdb.Close() })
	l := NewWUGLimiter(rdb, 1, testPerSecond, 4)
	l.clock = b.clock.Now
	l.sleep = func(_ context.Context, d time.Duration) error {
		b.clock.Advance(d)
		if late != nil {
			b.clock.Advance(late(d))
		}
		return nil
	}
	return l
}

// send is one admitted request: it goes out at the clock's time.
func (b *limiterBundle) send(l *WUGLimiter) time.Time {
	b.t.Helper()
	release, err := l.Acquire(context.Background(), "test")
	require.NoError(b.t, err)
	release()
	return b.clock.Now()
}

// busiestSecond is the most send times in any one-second window (every
// window that starts at a send, which covers every wall-clock second).
func busiestSecond(sends []time.Time) int {
	sort.Slice(sends, func(i, j int) bool { return sends[i].Before(sends[j]) })
	most := 0
	for i := range sends {
		n := sort.Search(len(sends), func(j int) bool { return !sends[j].Before(sends[i].Add(time.Second)) }) - i
		most = max(most, n)
	}
	return most
}

// TestLimiterProcessesShareOneScheduleAtFullPace has two processes take
// turns sending, each waking 3 ms late from every wait: together they never
// send more than the limit in any second, and they keep the pace of the
// schedule (the limit less its 5% slack), losing nothing to the late
// wake-ups. An admission check that starts the next interval when a caller
// is admitted loses those 3 ms each time: 52.5 ms become 55.5, 90% of the
// limit instead of 95%.
func TestLimiterProcessesShareOneScheduleAtFullPace(t *testing.T) {
	t.Parallel()
	b := setupLimiter(t)
	late := func(time.Duration) time.Duration { return 3 * time.Millisecond }
	procs := []*WUGLimiter{b.process(late), b.process(late)}
	var sends []time.Time
	for i := range 200 {
		sends = append(sends, b.send(procs[i%2]))
	}
	require.LessOrEqual(t, busiestSecond(sends), testPerSecond)
	span := sends[len(sends)-1].Sub(sends[0])
	perSecond := float64(len(sends)-1) / span.Seconds()
	require.GreaterOrEqual(t, perSecond, 0.95*testPerSecond, "sent at %.2f/s", perSecond)
}

// TestLimiterCallerWokenTooLateTakesANewSlot has one process book a slot
// and wake 60 ms after it, while another booked the slots after it and
// sends on time. Sent at 60 ms late, the first request would come within
// one second of the 20 after it; instead it gives the slot up and sends at
// the first free one, after those booked meanwhile.
func TestLimiterCallerWokenTooLateTakesANewSlot(t *testing.T) {
	t.Parallel()
	b := setupLimiter(t)
	punctual := b.process(nil)
	interval := punctual.interval
	start := b.clock.Now()

	var sends []time.Time
	sends = append(sends, b.send(punctual)) // at start: the schedule is idle
	// The next slot is start+interval. While the late process waits for it,
	// the punctual one books the three after it (as far ahead as the
	// horizon lets it), then the late one wakes 60 ms after its slot.
	var booked []time.Duration
	sleeps := 0
	late := b.process(nil)
	late.sleep = func(_ context.Context, d time.Duration) error {
		sleeps++
		if sleeps == 1 {
			for range 3 {
				kind, wait, err := punctual.reserve(context.Background(), b.clock.Now())
				require.NoError(t, err)
				require.EqualValues(t, reserveBooked, kind)
				booked = append(booked, wait)
			}
			b.clock.Advance(d + 60*time.Millisecond)
			return nil
		}
		b.clock.Advance(d)
		return nil
	}
	lateSend := b.send(late)
	require.Equal(t, []time.Duration{2 * interval, 3 * interval, 4 * interval}, booked)
	require.Equal(t, start.Add(5*interval), lateSend, "sent at the first slot after those booked meanwhile")
	require.Equal(t, 2, sleeps, "one wait for the missed slot, one for the new")
	for _, w := range booked {
		sends = append(sends, start.Add(w))
	}
	sends = append(sends, lateSend)
	for len(sends) < 60 {
		sends = append(sends, b.send(punctual))
	}
	require.LessOrEqual(t, busiestSecond(sends), testPerSecond)
}

// TestLimiterSlowDownPausesEveryProcess has one process book its slot and,
// while it waits for it, another meet a 429 with Retry-After: the first
// does not send at its slot, and neither it nor a third process sends
// until the cool-down is over (here longer than a caller waits in-process,
// so each snoozes its task); once it is over, sending resumes.
func TestLimiterSlowDownPausesEveryProcess(t *testing.T) {
	t.Parallel()
	b := setupLimiter(t)
	const retryAfter = 10 * time.Minute
	hit := b.process(nil)
	b.send(hit) // the schedule's next slot is one interval ahead

	booked := b.process(nil)
	booked.sleep = func(_ context.Context, d time.Duration) error {
		// The other process's request is answered 429 meanwhile.
		require.NoError(t, hit.Cooldown(context.Background(), retryAfter))
		b.clock.Advance(d)
		return nil
	}
	for _, l := range []*WUGLimiter{booked, b.process(nil), hit} {
		release, err := l.Acquire(context.Background(), "test")
		require.Nil(t, release, "no process sends during the cool-down")
		var snooze *SnoozeError
		require.True(t, errors.As(err, &snooze), "%v", err)
		require.Contains(t, snooze.Reason, "cool-down")
		require.Greater(t, snooze.RetryIn, retryAfter-time.Minute)
		booked.sleep = func(_ context.Context, d time.Duration) error { b.clock.Advance(d); return nil }
	}

	// Retry-After has passed.
	b.clock.Advance(retryAfter)
	require.NoError(t, b.redis.Client.Del(context.Background(), "wugsync:wug:1:cooldown").Err())
	before := b.clock.Now()
	require.Equal(t, before, b.send(booked), "the schedule went idle: the next request goes at once")
}
