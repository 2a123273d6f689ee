package doctor

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/wugsync/wugsync/config"
	"github.com/wugsync/wugsync/internal/process"
)

// minRedisMajor is the oldest Redis asynq supports (its README: 4.0).
const minRedisMajor = 4

// requiredEvictionPolicy keeps every key: asynq loses tasks, leases and
// locks when Redis evicts its keys (reference/asynq-notes.md).
const requiredEvictionPolicy = "noeviction"

// redis checks the configured Redis: it answers, is recent enough for
// asynq, never evicts keys, and its clock.
func (r *run) redis(ctx context.Context) {
	url := r.p.Config.RedisURL
	if url == "" {
		r.section("Redis").skip("reachable", config.EnvRedisURL+" is not set: `all` and `demo` use an embedded Redis, which keeps nothing across restarts",
			"set "+config.EnvRedisURL+" for api, worker and scheduler, which refuse to start without it")
		return
	}
	if r.invalid(config.EnvRedisURL) {
		r.section("Redis").skip("reachable", "not checked: "+config.EnvRedisURL+" is invalid (see Configuration)", "")
		return
	}
	rdb, err := process.ConnectRedis(ctx, url)
	if err != nil {
		r.section("Redis").fail("reachable", err.Error(), "check "+config.EnvRedisURL+": host, port, password, database and TLS (rediss://)")
		return
	}
	defer rdb.Close()
	s := r.section("Redis " + rdb.Description)
	s.pass("reachable", "answers PING")

	info, err := rdb.Client.Info(ctx, "server").Result()
	version := infoField(info, "redis_version")
	switch {
	case err != nil || version == "":
		s.skip("version", fmt.Sprintf("INFO server did not say (%v)", errOr(err, "no redis_version")),
			fmt.Sprintf("check by hand that the server is Redis %d.0 or later", minRedisMajor))
	case majorVersion(version) < minRedisMajor:
		s.fail("version", "Redis "+version, fmt.Sprintf("upgrade to Redis %d.0 or later (asynq needs it)", minRedisMajor))
	default:
		s.pass("version", "Redis "+version)
	}

	policy, err := rdb.Client.ConfigGet(ctx, "maxmemory-policy").Result()
	switch {
	case err != nil:
		s.skip("maxmemory-policy", fmt.Sprintf("CONFIG GET is not allowed here (%v), as on many managed services", err),
			"make sure the server's configuration (redis.conf or the service's parameter group) sets maxmemory-policy "+requiredEvictionPolicy)
	case policy["maxmemory-policy"] != requiredEvictionPolicy:
		s.fail("maxmemory-policy", fmt.Sprintf("%q: Redis may evict asynq's keys and lose tasks", policy["maxmemory-policy"]),
			"set maxmemory-policy "+requiredEvictionPolicy+" (redis-cli CONFIG SET maxmemory-policy noeviction, and in redis.conf or the service's parameter group so it survives a restart)")
	default:
		s.pass("maxmemory-policy", requiredEvictionPolicy)
	}

	sent := r.now()
	if t, err := rdb.Client.Time(ctx).Result(); err == nil {
		r.clock("Redis", clockSample{remote: t, sent: sent, received: r.now()})
	}
}

// infoField reads one "key:value" line of an INFO answer.
func infoField(info, key string) string {
	for _, line := range strings.Split(info, "\n") {
		if k, v, ok := strings.Cut(strings.TrimSpace(line), ":"); ok && k == key {
			return v
		}
	}
	return ""
}

// majorVersion is the number before the first dot of a version; 0 when
// there is none.
func majorVersion(v string) int {
	major, _, _ := strings.Cut(v, ".")
	n, _ := strconv.Atoi(major)
	return n
}

func errOr(err error, otherwise string) string {
	if err != nil {
		return err.Error()
	}
	return otherwise
}
