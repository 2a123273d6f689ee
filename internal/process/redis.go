package process

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"

	"github.com/wugsync/wugsync/config"
)

// redisPingTimeout bounds the first PING, so a wrong address fails the start
// within seconds instead of on the first task.
const redisPingTimeout = 5 * time.Second

// defaultSentinelPort is Redis Sentinel's standard port, used when a sentinel
// address in the URL has none.
const defaultSentinelPort = "26379"

// Redis is the Redis server of a process: the one WUGSYNC_REDIS_URL names, or
// an embedded one for the all-in-one modes.
type Redis struct {
	// Client is shared by the asynq server, the enqueuer, the rate limiter
	// and run notifications, so a process holds a single connection pool.
	Client redis.UniversalClient
	// ConnOpt reaches the same server for code that opens its own
	// connections (asynqmon).
	ConnOpt asynq.RedisConnOpt
	// Description names the server without credentials, for logs.
	Description string

	embedded *miniredis.Miniredis
}

// Embedded reports whether this Redis lives inside the process and so keeps
// nothing across restarts.
func (r *Redis) Embedded() bool { return r.embedded != nil }

// Ping checks that the server answers; readiness probes call it.
func (r *Redis) Ping(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, redisPingTimeout)
	defer cancel()
	if err := r.Client.Ping(ctx).Err(); err != nil {
		return fmt.Errorf("ping Redis at %s: %w", r.Description, err)
	}
	return nil
}

// Close releases the pool and stops an embedded server.
func (r *Redis) Close() error {
	err := r.Client.Close()
	if r.embedded != nil {
		r.embedded.Close()
	}
	return err
}

// ConnectRedis connects to the server a WUGSYNC_REDIS_URL value names and
// checks that it answers. Besides asynq's forms it reads a user name for
// Redis ACLs (redis://user:password@host) and, in the sentinel form, the
// master's password and database:
//
//	redis-sentinel://:password@s1:26379,s2:26379,s3:26379/0?master=mymaster
//
// where the password authenticates to the master and, unless a
// sentinel_password parameter is given, to the sentinels too.
func ConnectRedis(ctx context.Context, rawURL string) (*Redis, error) {
	opt, description, err := parseRedisURL(rawURL)
	if err != nil {
		return nil, &config.Error{Variable: config.EnvRedisURL, Problem: err.Error()}
	}
	made := opt.MakeRedisClient()
	client, ok := made.(redis.UniversalClient)
	if !ok {
		return nil, fmt.Errorf("%s: asynq built an unexpected client type %T", config.EnvRedisURL, made)
	}
	r := &Redis{Client: client, ConnOpt: opt, Description: description}
	if err := r.Ping(ctx); err != nil {
		_ = client.Close()
		return nil, err
	}
	return r, nil
}

// StartEmbeddedRedis starts an in-process Redis (miniredis) on a free
// loopback port. TTLs follow the wall clock, as on a real server, so unique
// locks, worker heartbeats, schedule slots and rate-limit windows expire;
// miniredis leaves them frozen by default. Nothing survives the process.
func StartEmbeddedRedis() (*Redis, error) {
	mr := miniredis.NewMiniRedis()
	mr.ClockTTL(true)
	if err := mr.StartAddr("127.0.0.1:0"); err != nil {
		return nil, fmt.Errorf("start embedded Redis: %w", err)
	}
	opt := asynq.RedisClientOpt{Addr: mr.Addr()}
	made := opt.MakeRedisClient()
	client, ok := made.(redis.UniversalClient)
	if !ok {
		mr.Close()
		return nil, fmt.Errorf("start embedded Redis: unexpected client type %T", made)
	}
	return &Redis{Client: client, ConnOpt: opt, Description: "embedded " + mr.Addr(), embedded: mr}, nil
}

// parseRedisURL turns a WUGSYNC_REDIS_URL value into asynq connection
// options and a credential-free description. Errors never repeat the URL,
// which may hold a password.
func parseRedisURL(raw string) (asynq.RedisConnOpt, string, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return nil, "", errors.New("unparseable URL (is a character in the password not percent-encoded?)")
	}
	if u.Scheme == "redis-sentinel" {
		return parseSentinelURL(u)
	}
	opt, err := asynq.ParseRedisURI(raw)
	if err != nil {
		return nil, "", fmt.Errorf("%s: %w", safeURL(u), err)
	}
	if c, ok := opt.(asynq.RedisClientOpt); ok && u.User != nil {
		c.Username = u.User.Username()
		opt = c
	}
	return opt, safeURL(u), nil
}

func parseSentinelURL(u *url.URL) (asynq.RedisConnOpt, string, error) {
	q := u.Query()
	opt := asynq.RedisFailoverClientOpt{MasterName: q.Get("master")}
	if opt.MasterName == "" {
		return nil, "", fmt.Errorf("%s: the sentinel form needs the master's name, e.g. ?master=mymaster", safeURL(u))
	}
	for _, addr := range strings.Split(u.Host, ",") {
		addr = strings.TrimSpace(addr)
		if addr == "" {
			continue
		}
		if _, _, err := net.SplitHostPort(addr); err != nil {
			addr = net.JoinHostPort(addr, defaultSentinelPort)
		}
		opt.SentinelAddrs = append(opt.SentinelAddrs, addr)
	}
	if len(opt.SentinelAddrs) == 0 {
		return nil, "", fmt.Errorf("%s: no sentinel address", safeURL(u))
	}
	if u.User != nil {
		opt.Username = u.User.Username()
		opt.Password, _ = u.User.Password()
		opt.SentinelPassword = opt.Password
	}
	if q.Has("sentinel_password") {
		opt.SentinelPassword = q.Get("sentinel_password")
	}
	if db := strings.Trim(u.Path, "/"); db != "" {
		n, err := strconv.Atoi(db)
		if err != nil || n < 0 {
			return nil, "", fmt.Errorf("%s: database %q is not a number", safeURL(u), db)
		}
		opt.DB = n
	}
	description := fmt.Sprintf("master %q via sentinels %s", opt.MasterName, strings.Join(opt.SentinelAddrs, ","))
	return opt, description, nil
}

// safeURL renders u for messages: the password masked and the query, which
// may carry a sentinel_password, left out.
func safeURL(u *url.URL) string {
	c := *u
	c.RawQuery, c.ForceQuery = "", false
	return c.Redacted()
}
