package workers

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"time"

	"github.com/go-redis/redis_rate/v10"
	"github.com/redis/go-redis/v9"
)

// DefaultNetBoxRateLimit is WUGSYNC_NETBOX_RATE_LIMIT's default, in requests
// per second.
const DefaultNetBoxRateLimit = 10

// NetBoxLimiter holds every process's calls to one NetBox to one rate
// (WUGSYNC_NETBOX_RATE_LIMIT), in Redis like the WUG limiter, so a big
// first export with write-back never floods NetBox however many workers
// run. It implements netbox.Limiter.
type NetBoxLimiter struct {
	rate  *redis_rate.Limiter
	key   string
	limit redis_rate.Limit
	// MaxWait is how long Acquire waits before giving up with a
	// SnoozeError, so a task behind a long queue goes back to asynq
	// instead of holding a worker.
	MaxWait time.Duration
	// OnWait is called with the time spent waiting, for metrics.
	OnWait func(time.Duration)
}

// NewNetBoxLimiter builds the limiter of the NetBox at server (its base
// URL: every process that reads the same NetBox shares the budget).
func NewNetBoxLimiter(rdb redis.UniversalClient, server string, perSecond int) *NetBoxLimiter {
	if perSecond <= 0 {
		perSecond = DefaultNetBoxRateLimit
	}
	sum := sha256.Sum256([]byte(server))
	return &NetBoxLimiter{
		rate: redis_rate.NewLimiter(rdb),
		key:  "wugsync:netbox:" + hex.EncodeToString(sum[:8]) + ":rate",
		// As for WUG: burst 1 spaces requests evenly, and 5% headroom keeps
		// the jitter between admission and arrival from putting perSecond+1
		// requests into one wall-clock second at NetBox.
		limit:   redis_rate.Limit{Rate: perSecond, Burst: 1, Period: time.Second + time.Second/20},
		MaxWait: 2 * time.Minute,
	}
}

// Acquire waits for a rate slot. There is nothing to release: NetBox's
// limit is a rate only.
func (l *NetBoxLimiter) Acquire(ctx context.Context, op string) (func(), error) {
	start := time.Now()
	deadline := start.Add(l.MaxWait)
	for {
		res, err := l.rate.Allow(ctx, l.key, l.limit)
		if err != nil {
			return nil, fmt.Errorf("netbox rate limiter: %w", err)
		}
		if res.Allowed > 0 {
			if l.OnWait != nil {
				if d := time.Since(start); d > time.Millisecond {
					l.OnWait(d)
				}
			}
			return func() {}, nil
		}
		if time.Now().Add(res.RetryAfter).After(deadline) {
			return nil, &SnoozeError{RetryIn: res.RetryAfter, Reason: "NetBox rate limit reached (" + op + ")"}
		}
		if err := sleep(ctx, res.RetryAfter); err != nil {
			return nil, err
		}
	}
}
