package testinfra

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/require"
)

// Redis is one isolated Redis for one test.
type Redis struct {
	Backend string // "miniredis" or "redis"
	URL     string // a WUGSYNC_REDIS_URL value reaching only this test's keys
	Client  *redis.Client
	// Mini is the embedded server, nil on real Redis.
	Mini *miniredis.Miniredis
}

// firstTestDB and lastTestDB bound the logical databases tests may claim on a
// real server; 0 is left to people.
const (
	firstTestDB = 1
	lastTestDB  = 15
	claimTTL    = 15 * time.Minute
)

// NewRedis returns a Redis of its own for t: a claimed logical database on
// the real server when WUGSYNC_TEST_REDIS_URL is set, else a fresh miniredis.
// asynq's keys have fixed names, so a key prefix could not isolate queues;
// a database number can.
func NewRedis(t testing.TB) Redis {
	t.Helper()
	if base := os.Getenv(EnvTestRedisURL); base != "" {
		return claimRealRedis(t, base)
	}
	return newMiniRedis(t)
}

// RedisBackends returns one isolated Redis per backend this run can reach:
// miniredis always, the real server too when configured.
func RedisBackends(t testing.TB) []Redis {
	t.Helper()
	out := []Redis{newMiniRedis(t)}
	if base := os.Getenv(EnvTestRedisURL); base != "" {
		out = append(out, claimRealRedis(t, base))
	}
	return out
}

// newMiniRedis starts a miniredis whose TTLs follow the wall clock, as on a
// real server and as the embedded Redis of wugsync runs it: miniredis
// freezes them by default, so a short WUG cool-down would never end.
func newMiniRedis(t testing.TB) Redis {
	mr := miniredis.RunT(t)
	mr.ClockTTL(true)
	client := redis.NewClient(&redis.Options{Addr: mr.Addr()})
	t.Cleanup(func() { _ = client.Close() })
	return Redis{Backend: "miniredis", URL: "redis://" + mr.Addr() + "/0", Client: client, Mini: mr}
}

// claimRealRedis takes a free logical database with SET NX on database 0, so
// test binaries of several packages running at once never share one.
func claimRealRedis(t testing.TB, base string) Redis {
	t.Helper()
	opts, err := redis.ParseURL(base)
	require.NoError(t, err, "parse %s", EnvTestRedisURL)
	opts.DB = 0
	lockClient := redis.NewClient(opts)
	t.Cleanup(func() { _ = lockClient.Close() })

	ctx := context.Background()
	owner := fmt.Sprintf("%d-%s", os.Getpid(), randomHex(4))
	deadline := time.Now().Add(3 * time.Minute)
	backoff := 10 * time.Millisecond
	for {
		for db := firstTestDB; db <= lastTestDB; db++ {
			key := "wugsync:test:db-claim:" + strconv.Itoa(db)
			ok, err := lockClient.SetNX(ctx, key, owner, claimTTL).Result()
			require.NoError(t, err, "claim a Redis test database")
			if !ok {
				continue
			}
			dbOpts := *opts
			dbOpts.DB = db
			client := redis.NewClient(&dbOpts)
			require.NoError(t, client.FlushDB(ctx).Err())
			t.Cleanup(func() {
				_ = client.FlushDB(context.Background()).Err()
				_ = client.Close()
				_ = lockClient.Del(context.Background(), key).Err()
			})
			u, err := url.Parse(base)
			require.NoError(t, err)
			u.Path = "/" + strconv.Itoa(db)
			return Redis{Backend: "redis", URL: u.String(), Client: client}
		}
		// Waiting for another test to free a database is waiting for a
		// resource, not synchronising on behaviour.
		if time.Now().After(deadline) {
			t.Fatalf("no free Redis test database among %d..%d after 3 minutes", firstTestDB, lastTestDB)
		}
		time.Sleep(backoff)
		if backoff < 500*time.Millisecond {
			backoff *= 2
		}
	}
}
