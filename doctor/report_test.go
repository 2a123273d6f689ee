package doctor

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestReportPrintsMarksFixesAndASummary(t *testing.T) {
	t.Parallel()
	var r Report
	redis := section{name: "Redis", report: &r}
	redis.pass("reachable", "answers PING")
	redis.fail("maxmemory-policy", `"allkeys-lru"`, "set noeviction")
	redis.skip("version", "INFO refused", "check by hand")
	section{name: "Clocks", report: &r}.pass("Redis", "in step")

	var out strings.Builder
	require.NoError(t, r.Write(&out))
	require.Equal(t, `Redis
  ✔ reachable: answers PING
  ✘ maxmemory-policy: "allkeys-lru"
      fix: set noeviction
  ? version: INFO refused
      fix: check by hand

Clocks
  ✔ Redis: in step

2 passed, 1 failed, 1 not checked
`, out.String())
	require.Equal(t, 1, r.Count(Fail))
}

func TestSkewIsMeasuredFromTheMiddleOfTheExchange(t *testing.T) {
	t.Parallel()
	sent := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	s := clockSample{remote: sent.Add(41 * time.Second), sent: sent, received: sent.Add(2 * time.Second)}
	require.Equal(t, 40*time.Second, s.skew())
	require.Equal(t, "40s ahead of this machine", describeSkew(s.skew()))
	require.Equal(t, "1.5s behind this machine", describeSkew(-1500*time.Millisecond))
	require.Equal(t, "in step with this machine (300ms apart)", describeSkew(-300*time.Millisecond))
}

func TestRedisInfoAndVersions(t *testing.T) {
	t.Parallel()
	info := "# Server\r\nredis_version:7.0.15\r\nredis_mode:standalone\r\n"
	require.Equal(t, "7.0.15", infoField(info, "redis_version"))
	require.Empty(t, infoField(info, "maxmemory"))
	require.Equal(t, 7, majorVersion("7.0.15"))
	require.Equal(t, 3, majorVersion("3.2"))
	require.Zero(t, majorVersion("unknown"))
}
