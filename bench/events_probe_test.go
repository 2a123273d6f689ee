//go:build eventsbench

package bench

import (
	"context"
	"fmt"
	"os"
	"sort"
	"sync"
	"testing"
	"time"
)

func TestProbeWebhookLatency(t *testing.T) {
	ctx := context.Background()
	opts := Options{Concurrency: 20, RedisURL: os.Getenv("EB_REDIS"), DatabaseURL: os.Getenv("EB_DB")}
	e, err := newEventsEnv(ctx, opts, 200, 50)
	if err != nil {
		t.Fatal(err)
	}
	defer e.close()
	ids, _ := e.exportedDevices(ctx)
	var mu sync.Mutex
	var lat, ren []time.Duration
	var wg sync.WaitGroup
	start := time.Now()
	for s := range 32 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := s; i < 2000; i += 32 {
				t0 := time.Now()
				mu.Lock()
				_ = e.rename(ids[0], fmt.Sprintf("x-%d", i))
				mu.Unlock()
				t1 := time.Now()
				if err := e.postUpdated(ctx, ids[0], fmt.Sprintf("x-%d", i)); err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				ren = append(ren, t1.Sub(t0))
				lat = append(lat, time.Since(t1))
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	sort.Slice(ren, func(i, j int) bool { return ren[i] < ren[j] })
	t.Logf("total %s post p50 %s p95 %s max %s; rename p50 %s p95 %s", time.Since(start), lat[len(lat)/2], lat[len(lat)*95/100], lat[len(lat)-1], ren[len(ren)/2], ren[len(ren)*95/100])
}
