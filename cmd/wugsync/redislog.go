package main

import (
	"context"

	"github.com/redis/go-redis/v9"
)

// go-redis prints its connection-pool failures straight to stderr, outside
// the structured logs. Every caller already reports them with context (the
// start's "ping Redis at …", asynq's own warnings, /readyz), so they are
// dropped rather than printed twice in another format.
func init() { redis.SetLogger(discardRedisLog{}) }

type discardRedisLog struct{}

func (discardRedisLog) Printf(context.Context, string, ...interface{}) {}
