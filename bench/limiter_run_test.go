//go:build benchrun

package bench

import (
	"context"
	"os"
	"testing"
)

// TestRunLimiterLines prints the ratelimit and overhead BENCH lines; run it
// with -tags benchrun (WUGSYNC_TEST_REDIS_URL and WUGSYNC_TEST_DATABASE_URL
// select the real stack).
func TestRunLimiterLines(t *testing.T) {
	opts := Options{RedisURL: os.Getenv("WUGSYNC_TEST_REDIS_URL"), DatabaseURL: os.Getenv("WUGSYNC_TEST_DATABASE_URL")}
	quick := os.Getenv("BENCH_FULL") == ""
	ctx := context.Background()
	if os.Getenv("BENCH_ONLY") != "overhead" {
		rs, err := runRateLimit(ctx, opts, quick)
		for _, r := range rs {
			t.Log(r.Line())
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	if os.Getenv("BENCH_ONLY") != "ratelimit" {
		r, err := runOverhead(ctx, opts, quick)
		if err != nil {
			t.Fatal(err)
		}
		t.Log(r.Line())
	}
}
