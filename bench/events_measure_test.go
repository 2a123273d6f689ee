//go:build eventsbench

package bench

import (
	"context"
	"os"
	"testing"
)

func TestMeasureEvents(t *testing.T) {
	opts := Options{Concurrency: 20, RedisURL: os.Getenv("EB_REDIS"), DatabaseURL: os.Getenv("EB_DB")}
	quick := os.Getenv("EB_FULL") == ""
	if os.Getenv("EB_ONLY") != "storm" {
		r, err := runPropagation(context.Background(), opts, quick)
		if err != nil {
			t.Fatal(err)
		}
		t.Log(r.Line())
	}
	if os.Getenv("EB_ONLY") != "propagation" {
		r, err := runStorm(context.Background(), opts, quick)
		if err != nil {
			t.Fatal(err)
		}
		t.Log(r.Line())
	}
}
