package workers

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"

	"github.com/wugsync/wugsync/netbox"
	"github.com/wugsync/wugsync/tasks"
)

// taskCheckInterval is the longest an idle worker waits between two looks
// for new tasks (asynq's TaskCheckInterval; see NewServer).
const taskCheckInterval = 50 * time.Millisecond

// ServerParams configures the asynq server of a worker process.
type ServerParams struct {
	Redis       redis.UniversalClient
	Concurrency int
	// ShutdownTimeout is how long in-flight tasks get to finish on SIGTERM
	// before they go back to the queue.
	ShutdownTimeout time.Duration
	// RetryBase is the first retry delay; it doubles per retry up to ten
	// minutes. Zero means 5 s.
	RetryBase time.Duration
	// RetryMax caps the retry delay. Zero means ten minutes.
	RetryMax time.Duration
	// PollInterval is how often delayed tasks (retries, snoozes) are moved
	// to their queue; idle workers look for new tasks four times as often,
	// and at least every taskCheckInterval. Zero means one second.
	PollInterval time.Duration
	Worker       *Worker
	// Finished, when set, records when each handler returns, for the
	// orphan sweeper of the same process (OrphanParams.Finished).
	Finished *FinishedTasks
}

// Server runs every task handler of wugsync on an asynq server.
type Server struct {
	srv *asynq.Server
	mux *asynq.ServeMux
	w   *Worker
}

// NewServer builds the asynq server: queues with their weights, retry
// delays with exponential backoff and jitter, snoozes that burn no retry,
// and an error handler that keeps every attempt's error.
func NewServer(p ServerParams) *Server {
	w := p.Worker
	if p.ShutdownTimeout == 0 {
		p.ShutdownTimeout = 25 * time.Second
	}
	if p.RetryBase == 0 {
		p.RetryBase = 5 * time.Second
	}
	if p.RetryMax == 0 {
		p.RetryMax = 10 * time.Minute
	}
	if p.PollInterval == 0 {
		p.PollInterval = time.Second
	}
	s := &Server{w: w, mux: asynq.NewServeMux()}
	s.srv = asynq.NewServerFromRedisClient(p.Redis, asynq.Config{
		Concurrency:     p.Concurrency,
		Queues:          tasks.QueueWeights(),
		ShutdownTimeout: p.ShutdownTimeout,
		IsFailure:       countsAsFailure,
		RetryDelayFunc: func(n int, err error, t *asynq.Task) time.Duration {
			return retryDelay(p.RetryBase, p.RetryMax, n, err)
		},
		ErrorHandler: asynq.ErrorHandlerFunc(w.recordAttempt),
		Logger:       asynqLogger{w.p.Log.WithField("component", "asynq")},
		LogLevel:     asynq.WarnLevel,
		// Delayed tasks (retries, snoozes, scan polls, debounced syncs)
		// are moved to their queue this often.
		DelayedTaskCheckInterval: p.PollInterval,
		// An idle worker looks for new tasks more often: a webhook's
		// drain task and an export's planner wait for this pickup (asynq
		// sleeps a half to one and a half of it, so a task waits about
		// half of it on average), then the export's first batches wait
		// for it again, all on the way to the first WUG write (the
		// propagation target is two seconds from webhook to WUG; the
		// latency bench's ideal export of 10,000 devices, 3 s). At 50 ms
		// an idle worker process makes about twenty dequeue rounds a
		// second, one short Lua script per queue (three): some sixty
		// cheap calls a second, where 250 ms made twelve and 100 ms
		// thirty; under load asynq does not sleep at all.
		TaskCheckInterval: min(p.PollInterval/4, taskCheckInterval),
	})
	// One middleware per concern, outermost first: the outer ones see the
	// error as the inner ones leave it (a dropped task is no failure, a
	// slow-down is a snooze). Attempt history is the ErrorHandler above.
	if p.Finished != nil {
		s.mux.Use(p.Finished.Middleware)
	}
	s.mux.Use(w.logTasks, w.measureTasks, w.dropOrphans, w.snoozeSlowDowns)
	tasks.Register(s.mux, w.handleExport)
	tasks.Register(s.mux, w.handleBatch)
	tasks.Register(s.mux, w.handleDeviceSync)
	tasks.Register(s.mux, w.handleDrain)
	tasks.Register(s.mux, w.handleDecommission)
	tasks.Register(s.mux, w.pollScan)
	tasks.Register(s.mux, func(ctx context.Context, _ tasks.SweepPayload) error { return w.sweep(ctx) })
	return s
}

// Handle registers h for tasks of type pattern, behind the same middleware
// as wugsync's own handlers (logs, metrics, orphan drops, snoozes). Call it
// before Start; the overhead benchmark runs no-op tasks through it.
func (s *Server) Handle(pattern string, h asynq.Handler) { s.mux.Handle(pattern, h) }

// Start begins processing in the background.
func (s *Server) Start() error { return s.srv.Start(s.mux) }

// Shutdown stops fetching, lets in-flight tasks finish within the shutdown
// timeout and re-queues the rest.
func (s *Server) Shutdown() {
	s.srv.Stop()
	s.srv.Shutdown()
}

// retryDelay is exponential backoff with jitter (base doubling per retry
// up to ceiling), except for snoozes, WUG's Retry-After included, which say
// exactly when to come back.
func retryDelay(base, ceiling time.Duration, n int, err error) time.Duration {
	if d, ok := IsSnooze(err); ok {
		return d
	}
	d := base
	for i := 0; i < n && d < ceiling; i++ {
		d *= 2
	}
	d = min(d, ceiling)
	return d/2 + time.Duration(rand.Int64N(int64(d/2)+1))
}

func (w *Worker) handleExport(ctx context.Context, p tasks.ExportPayload) error {
	err := w.runExport(ctx, p.RunID)
	if errors.Is(err, netbox.ErrConfig) || errors.Is(err, errWritebackRefused) {
		// NetBox refused the connection's filters: no retry can help.
		w.failRun(ctx, p.RunID, err)
		return fmt.Errorf("%w: %w", err, asynq.SkipRetry)
	}
	if err != nil && finalAttempt(ctx, err) {
		w.failRun(ctx, p.RunID, err)
	}
	return err
}

func (w *Worker) handleBatch(ctx context.Context, p tasks.BatchPayload) error {
	err := w.runBatch(ctx, p.RunID, p.Batch)
	if errors.Is(err, errWritebackRefused) {
		// NetBox refuses the write-back as configured (no such custom
		// field, no right): the run says what to fix; no retry can.
		w.failRun(ctx, p.RunID, err)
		return fmt.Errorf("%w: %w", err, asynq.SkipRetry)
	}
	if err != nil && finalAttempt(ctx, err) {
		w.failBatch(ctx, p.RunID, p.Batch, err)
	}
	return err
}

// finalAttempt reports whether asynq will archive the task after this
// error, so the handler can close what depends on it.
func finalAttempt(ctx context.Context, err error) bool {
	if _, snooze := IsSnooze(err); snooze {
		return false
	}
	if errors.Is(err, asynq.SkipRetry) || errors.Is(err, errConnectionGone) {
		return true
	}
	retried, _ := asynq.GetRetryCount(ctx)
	maxRetry, _ := asynq.GetMaxRetry(ctx)
	return retried >= maxRetry
}
