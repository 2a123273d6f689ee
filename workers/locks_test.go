package workers

import (
	"context"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/require"
)

// TestLockReleasedWhenRedisComesBack: a lock whose release fails because
// Redis is restarting is released once Redis is back, instead of blocking
// every other worker for the rest of its TTL (miniredis keeps TTLs frozen
// here, so without the retry the lock would stay forever).
func TestLockReleasedWhenRedisComesBack(t *testing.T) {
	t.Parallel()
	mr := miniredis.RunT(t)
	client := redis.NewClient(&redis.Options{Addr: mr.Addr(), MaxRetries: -1})
	t.Cleanup(func() { _ = client.Close() })
	w := NewWorker(Params{Redis: client})

	unlock, err := w.lock(context.Background(), "wugsync:test:lock")
	require.NoError(t, err)
	mr.Close()
	unlock() // Redis is away: the release cannot happen now
	require.NoError(t, mr.Restart())
	require.True(t, mr.Exists("wugsync:test:lock"), "the lock survived the restart, as with persistence")

	deadline := time.Now().Add(20 * time.Second)
	for mr.Exists("wugsync:test:lock") {
		require.False(t, time.Now().After(deadline), "the lock was not released after Redis came back")
		time.Sleep(20 * time.Millisecond) // polling the server's state
	}
}
