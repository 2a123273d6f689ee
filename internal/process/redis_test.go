package process

import (
	"context"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/hibiken/asynq"
	"github.com/stretchr/testify/require"

	"github.com/wugsync/wugsync/config"
)

func TestParseRedisURLReadsSentinelForm(t *testing.T) {
	t.Parallel()
	opt, description, err := parseRedisURL("redis-sentinel://:s3cret@s1:26379,s2,s3:26380/2?master=wug-master")
	require.NoError(t, err)
	failover, ok := opt.(asynq.RedisFailoverClientOpt)
	require.True(t, ok, "want a failover option, got %T", opt)
	require.Equal(t, "wug-master", failover.MasterName)
	require.Equal(t, []string{"s1:26379", "s2:26379", "s3:26380"}, failover.SentinelAddrs)
	require.Equal(t, "s3cret", failover.Password, "the password authenticates to the master")
	require.Equal(t, "s3cret", failover.SentinelPassword, "and to the sentinels when no sentinel_password is given")
	require.Equal(t, 2, failover.DB)
	require.NotContains(t, description, "s3cret")
	require.Contains(t, description, "wug-master")
}

func TestParseRedisURLSeparateSentinelPassword(t *testing.T) {
	t.Parallel()
	opt, _, err := parseRedisURL("redis-sentinel://:master-pw@s1?master=m&sentinel_password=sentinel-pw")
	require.NoError(t, err)
	failover := opt.(asynq.RedisFailoverClientOpt)
	require.Equal(t, "master-pw", failover.Password)
	require.Equal(t, "sentinel-pw", failover.SentinelPassword)
}

func TestParseRedisURLKeepsACLUser(t *testing.T) {
	t.Parallel()
	opt, description, err := parseRedisURL("rediss://wugsync:pw@redis.example.com:6380/3")
	require.NoError(t, err)
	client := opt.(asynq.RedisClientOpt)
	require.Equal(t, "wugsync", client.Username)
	require.Equal(t, "pw", client.Password)
	require.Equal(t, 3, client.DB)
	require.NotNil(t, client.TLSConfig, "rediss:// is TLS")
	require.False(t, client.TLSConfig.InsecureSkipVerify, "certificates are verified")
	require.NotContains(t, description, ":pw@")
}

func TestParseRedisURLErrorsNameTheProblemWithoutThePassword(t *testing.T) {
	t.Parallel()
	cases := map[string]string{
		"redis-sentinel://:topsecret@s1:26379":            "?master=",
		"redis-sentinel://:topsecret@s1:26379/x?master=m": `database "x"`,
		"redis://:topsecret@host:6379/notanumber":         "database number",
	}
	for raw, want := range cases {
		_, _, err := parseRedisURL(raw)
		require.ErrorContains(t, err, want, raw)
		require.NotContains(t, err.Error(), "topsecret", raw)
	}
}

func TestConnectRedisNamesTheVariableOnABadURL(t *testing.T) {
	t.Parallel()
	_, err := ConnectRedis(context.Background(), "redis-sentinel://s1:26379")
	require.ErrorIs(t, err, config.ErrInvalid)
	require.ErrorContains(t, err, config.EnvRedisURL+": ")
}

func TestConnectRedisFailsFastWhenNothingAnswers(t *testing.T) {
	t.Parallel()
	mr := miniredis.RunT(t)
	addr := mr.Addr()
	mr.Close() // the port is now closed
	_, err := ConnectRedis(context.Background(), "redis://:topsecret@"+addr+"/0")
	require.ErrorContains(t, err, "ping Redis at redis://:xxxxx@"+addr)
	require.NotContains(t, err.Error(), "topsecret")
}

func TestConnectRedisSharesOneClient(t *testing.T) {
	t.Parallel()
	mr := miniredis.RunT(t)
	r, err := ConnectRedis(context.Background(), "redis://"+mr.Addr()+"/0")
	require.NoError(t, err)
	defer r.Close()
	require.False(t, r.Embedded())
	require.NoError(t, r.Client.Set(context.Background(), "k", "v", 0).Err())
	got, err := mr.Get("k")
	require.NoError(t, err)
	require.Equal(t, "v", got)
}

func TestEmbeddedRedisExpiresKeysWithTheClock(t *testing.T) {
	t.Parallel()
	r, err := StartEmbeddedRedis()
	require.NoError(t, err)
	defer r.Close()
	require.True(t, r.Embedded())
	ctx := context.Background()
	require.NoError(t, r.Client.Set(ctx, "lock", "1", 10*time.Second).Err())
	require.Equal(t, int64(1), r.Client.Exists(ctx, "lock").Val())

	// miniredis's default freezes TTLs, which would keep unique locks and
	// schedule slots forever; with the clock on, moving it expires them.
	r.embedded.SetTime(time.Now().Add(time.Minute))
	require.Equal(t, int64(0), r.Client.Exists(ctx, "lock").Val(), "the TTL follows the clock")
	require.NoError(t, r.Ping(ctx))
}
