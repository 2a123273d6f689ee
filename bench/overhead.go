package bench

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync/atomic"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/hibiken/asynq"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/redis/go-redis/v9"
	"github.com/sirupsen/logrus"

	"github.com/wugsync/wugsync/config"
	"github.com/wugsync/wugsync/models"
	"github.com/wugsync/wugsync/tasks"
	"github.com/wugsync/wugsync/workers"
)

// overheadTarget is the least throughput of no-op tasks through wugsync's
// worker server, as a fraction of bare asynq's on the same Redis.
const overheadTarget = 0.8

// overheadRounds is how many times each server drains its tasks, in turn
// (twice with --quick); each keeps its best round, since other load on the
// machine only ever slows a round down.
const overheadRounds = 3

// overheadTaskType is the no-op task of the overhead line.
const overheadTaskType = "bench:noop"

// runOverhead runs the overhead line: the same number of no-op tasks run by
// a bare asynq server and by wugsync's worker server (its middleware, error
// handling, retry policy and queues, as `wugsync worker` builds it), on the
// same Redis with the production concurrency. Each side runs
// overheadRounds times, in turn.
func runOverhead(ctx context.Context, opts Options, quick bool) (Result, error) {
	n, rounds := 10000, overheadRounds
	if quick {
		n, rounds = 2000, 2
	}
	stack := stackOf(opts)
	opts, release, err := sharedStack(opts)
	if err != nil {
		return Result{}, err
	}
	defer release()
	db, err := models.Open(ctx, opts.DatabaseURL)
	if err != nil {
		return Result{}, err
	}
	defer models.Close(db)
	if _, err := models.Migrate(ctx, db); err != nil {
		return Result{}, err
	}
	ropts, err := redis.ParseURL(opts.RedisURL)
	if err != nil {
		return Result{}, err
	}
	rdb := redis.NewClient(ropts)
	defer rdb.Close()

	concurrency := config.DefaultWorkerConcurrency
	bareOn := func(queues map[string]int) func(*redis.Client, asynq.Handler) (func() error, func()) {
		return func(rdb *redis.Client, h asynq.Handler) (func() error, func()) {
			srv := asynq.NewServerFromRedisClient(rdb, asynq.Config{Concurrency: concurrency,
				Queues: queues, LogLevel: asynq.WarnLevel})
			return func() error { return srv.Start(h) }, srv.Shutdown
		}
	}
	// The target compares the middleware, so bare asynq polls wugsync's
	// three weighted queues too. One queue alone is faster still: asynq
	// dequeues with one round trip per queue it tries, in weighted random
	// order, and the no-op tasks wait in the default one.
	bare := bareOn(tasks.QueueWeights())
	single := bareOn(map[string]int{tasks.QueueDefault: 1})
	wugsync := func(rdb *redis.Client, h asynq.Handler) (func() error, func()) {
		log := logrus.New()
		log.SetOutput(io.Discard)
		log.SetFormatter(&logrus.JSONFormatter{})
		log.SetLevel(logrus.InfoLevel) // production's default
		w := workers.NewWorker(workers.Params{DB: db, Redis: rdb, Log: logrus.NewEntry(log),
			Metrics: workers.NewMetrics(prometheus.NewRegistry())})
		srv := workers.NewServer(workers.ServerParams{Redis: rdb, Concurrency: concurrency, Worker: w,
			Finished: workers.NewFinishedTasks()})
		srv.Handle(overheadTaskType, h)
		return srv.Start, srv.Shutdown
	}
	var bareRate, singleRate, wugRate float64
	for range rounds {
		r, err := drainNoops(ctx, rdb, n, bare)
		if err != nil {
			return Result{}, fmt.Errorf("bare asynq: %w", err)
		}
		bareRate = max(bareRate, r)
		if r, err = drainNoops(ctx, rdb, n, wugsync); err != nil {
			return Result{}, fmt.Errorf("wugsync: %w", err)
		}
		wugRate = max(wugRate, r)
		if r, err = drainNoops(ctx, rdb, n, single); err != nil {
			return Result{}, fmt.Errorf("bare asynq, one queue: %w", err)
		}
		singleRate = max(singleRate, r)
	}
	ratio := wugRate / bareRate
	return Result{
		Name:  "overhead",
		N:     n,
		Stack: stack,
		Figures: []Figure{
			Fig("ratio", ratio), Fig("tasks", n),
			Fig("wugsync_per_s", wugRate), Fig("asynq_per_s", bareRate),
			Fig("asynq_one_queue_per_s", singleRate), Fig("ratio_one_queue", wugRate/singleRate),
			Fig("concurrency", concurrency),
		},
		Pass: ratio >= overheadTarget,
	}, nil
}

// overheadBacklog is how many tasks wait in the queue while a server
// drains: enough that it never runs dry, few enough that the embedded
// Redis (miniredis, whose every command visits every key when TTLs follow
// the clock, as wugsync runs it) is not measured on its worst side.
const overheadBacklog = 300

// drainNoops feeds n no-op tasks to the server that build makes, keeping
// overheadBacklog of them queued, and returns how many it ran per second
// from its start to the last.
func drainNoops(ctx context.Context, rdb *redis.Client, n int,
	build func(*redis.Client, asynq.Handler) (start func() error, stop func())) (float64, error) {
	if err := rdb.FlushDB(ctx).Err(); err != nil {
		return 0, err
	}
	client := asynq.NewClientFromRedisClient(rdb)
	// A payload like a real task's: wugsync's logs read ids from it.
	payload := []byte(`{"run_id":1,"connection_id":1,"netbox_device_id":42}`)
	enqueue := func() error {
		_, err := client.EnqueueContext(ctx, asynq.NewTask(overheadTaskType, payload), asynq.Queue(tasks.QueueDefault))
		return err
	}
	queued := min(n, overheadBacklog)
	for range queued {
		if err := enqueue(); err != nil {
			return 0, fmt.Errorf("enqueue: %w", err)
		}
	}
	var ran atomic.Int64
	done := make(chan struct{})
	room := make(chan struct{}, n)
	handler := asynq.HandlerFunc(func(context.Context, *asynq.Task) error {
		room <- struct{}{}
		if ran.Add(1) == int64(n) {
			close(done)
		}
		return nil
	})
	// Its own client: a server closes the one it is given at shutdown.
	srvRedis := redis.NewClient(rdb.Options())
	start, stop := build(srvRedis, handler)
	began := time.Now()
	if err := start(); err != nil {
		return 0, err
	}
	defer stop()
	fed := make(chan error, 1)
	go func() {
		for ; queued < n; queued++ {
			select {
			case <-room:
			case <-ctx.Done():
				fed <- ctx.Err()
				return
			}
			if err := enqueue(); err != nil {
				fed <- fmt.Errorf("enqueue: %w", err)
				return
			}
		}
		fed <- nil
	}()
	select {
	case <-done:
	case err := <-fed:
		if err != nil {
			return 0, err
		}
		select {
		case <-done:
		case <-time.After(5 * time.Minute):
			return 0, fmt.Errorf("%d of %d tasks ran within 5 minutes", ran.Load(), n)
		}
	case <-time.After(10 * time.Minute):
		return 0, fmt.Errorf("%d of %d tasks ran within 10 minutes", ran.Load(), n)
	}
	return float64(n) / time.Since(began).Seconds(), nil
}

// sharedStack gives opts a Redis and a database that other processes can
// reach: the embedded stack becomes a miniredis on TCP (with TTLs that
// follow the clock, as wugsync's embedded mode has them) and a SQLite file.
func sharedStack(opts Options) (Options, func(), error) {
	var cleanup []func()
	release := func() {
		for i := len(cleanup) - 1; i >= 0; i-- {
			cleanup[i]()
		}
	}
	if opts.RedisURL == "" {
		mr := miniredis.NewMiniRedis()
		mr.ClockTTL(true)
		if err := mr.Start(); err != nil {
			return opts, release, err
		}
		cleanup = append(cleanup, mr.Close)
		opts.RedisURL = "redis://" + mr.Addr() + "/0"
	}
	if opts.DatabaseURL == "" {
		dir, err := os.MkdirTemp("", "wugsync-bench-")
		if err != nil {
			release()
			return opts, func() {}, err
		}
		cleanup = append(cleanup, func() { os.RemoveAll(dir) })
		opts.DatabaseURL = "sqlite://" + filepath.Join(dir, "bench.db")
	}
	return opts, release, nil
}
