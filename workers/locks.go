package workers

import (
	"context"
	"math/rand/v2"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"
)

// lockToken is a holder's proof of ownership of a Redis lock: 64 random
// bits, so that two holders never share one (a clock-based token does when
// two processes take the lock in the same clock tick, and one could then
// release the other's lock).
func lockToken() string { return strconv.FormatUint(rand.Uint64(), 36) }

// releaseLock deletes a Redis lock this holder still owns. When Redis does
// not answer (it may be restarting), it keeps trying in the background until
// the lock's TTL would have freed it anyway: with persistence, Redis comes
// back with the lock of a holder that is alive and done, and every worker
// needing that lock would otherwise wait out the rest of the TTL.
func releaseLock(rdb redis.UniversalClient, key, token string, ttl time.Duration) {
	release := func() error {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		return unlockScript.Run(ctx, rdb, []string{key}, token).Err()
	}
	if release() == nil {
		return
	}
	go func() {
		give := time.Now().Add(ttl)
		for wait := 100 * time.Millisecond; time.Now().Before(give); wait = min(2*wait, 2*time.Second) {
			time.Sleep(wait) // waiting for Redis to come back
			if release() == nil {
				return
			}
		}
	}()
}
