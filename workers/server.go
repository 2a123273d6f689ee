package workers

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"
	"github.com/sirupsen/logrus"

	"github.com/wugsync/wugsync/models"
	"github.com/wugsync/wugsync/netbox"
	"github.com/wugsync/wugsync/tasks"
	"github.com/wugsync/wugsync/wug"
)

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
	// PollInterval is how often idle workers look for new and delayed
	// tasks. Zero means one second.
	PollInterval time.Duration
	Worker       *Worker
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
			return RetryDelay(p.RetryBase, p.RetryMax, n, err)
		},
		ErrorHandler: asynq.ErrorHandlerFunc(w.recordTaskError),
		Logger:       asynqLogger{w.p.Log.WithField("component", "asynq")},
		LogLevel:     asynq.WarnLevel,
		// Delayed tasks (retries, snoozes, scan polls, debounced syncs)
		// are moved to their queue this often.
		DelayedTaskCheckInterval: p.PollInterval,
		TaskCheckInterval:        p.PollInterval,
	})
	s.mux.Use(w.middleware)
	s.mux.HandleFunc(tasks.TypeExport, w.handleExport)
	s.mux.HandleFunc(tasks.TypeExportBatch, w.handleBatch)
	s.mux.HandleFunc(tasks.TypeDeviceSync, decoded(w.handleDeviceSync))
	s.mux.HandleFunc(tasks.TypeDeviceDecommission, decoded(w.handleDecommission))
	s.mux.HandleFunc(tasks.TypeScanStatus, decoded(w.pollScan))
	s.mux.HandleFunc(tasks.TypeSweep, func(ctx context.Context, _ *asynq.Task) error { return w.sweep(ctx) })
	return s
}

// Start begins processing in the background.
func (s *Server) Start() error { return s.srv.Start(s.mux) }

// Shutdown stops fetching, lets in-flight tasks finish within the shutdown
// timeout and re-queues the rest.
func (s *Server) Shutdown() {
	s.srv.Stop()
	s.srv.Shutdown()
}

// RetryDelay is exponential backoff with jitter (base doubling per retry
// up to ceiling), except for snoozes and WUG's Retry-After, which say
// exactly when to come back.
func RetryDelay(base, ceiling time.Duration, n int, err error) time.Duration {
	if d, ok := IsSnooze(err); ok {
		return d
	}
	var apiErr *wug.APIError
	if errors.As(err, &apiErr) && apiErr.RetryAfter > 0 {
		return apiErr.RetryAfter
	}
	d := base
	for i := 0; i < n && d < ceiling; i++ {
		d *= 2
	}
	d = min(d, ceiling)
	return d/2 + time.Duration(rand.Int64N(int64(d/2)+1))
}

func decoded[T any](fn func(context.Context, T) error) asynq.HandlerFunc {
	return func(ctx context.Context, t *asynq.Task) error {
		var p T
		if err := tasks.Decode(t.Payload(), &p); err != nil {
			return fmt.Errorf("%s: %w: %w", t.Type(), err, asynq.SkipRetry)
		}
		return fn(ctx, p)
	}
}

func (w *Worker) handleExport(ctx context.Context, t *asynq.Task) error {
	var p tasks.ExportPayload
	if err := tasks.Decode(t.Payload(), &p); err != nil {
		return fmt.Errorf("%w: %w", err, asynq.SkipRetry)
	}
	err := w.runExport(ctx, p.RunID)
	if errors.Is(err, netbox.ErrConfig) {
		// NetBox refused the connection's filters: no retry can help.
		w.failRun(ctx, p.RunID, err)
		return fmt.Errorf("%w: %w", err, asynq.SkipRetry)
	}
	if err != nil && finalAttempt(ctx, err) {
		w.failRun(ctx, p.RunID, err)
	}
	return err
}

func (w *Worker) handleBatch(ctx context.Context, t *asynq.Task) error {
	var p tasks.BatchPayload
	if err := tasks.Decode(t.Payload(), &p); err != nil {
		return fmt.Errorf("%w: %w", err, asynq.SkipRetry)
	}
	err := w.runBatch(ctx, p.RunID, p.Batch)
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

// middleware logs every task with its standard fields, turns a WUG 429 into
// a connection-wide cool-down plus a snooze, and records durations.
func (w *Worker) middleware(next asynq.Handler) asynq.Handler {
	return asynq.HandlerFunc(func(ctx context.Context, t *asynq.Task) error {
		start := time.Now()
		taskID, _ := asynq.GetTaskID(ctx)
		log := w.p.Log.WithFields(logrus.Fields{"task_id": taskID, "type": t.Type()})
		err := next.ProcessTask(ctx, t)
		if errors.Is(err, errConnectionGone) {
			log.WithError(err).Info("connection deleted; task dropped")
			err = nil
		}
		var apiErr *wug.APIError
		if errors.As(err, &apiErr) && errors.Is(err, wug.ErrRateLimited) {
			w.cooldown(ctx, apiErr)
			err = &SnoozeError{RetryIn: apiErr.RetryAfter, Reason: err.Error()}
		}
		outcome := "ok"
		switch _, snooze := IsSnooze(err); {
		case snooze:
			outcome = "snoozed"
			log.WithError(err).Debug("task snoozed")
		case err != nil:
			outcome = "error"
			log.WithError(err).Warn("task failed")
		default:
			log.WithField("duration", time.Since(start).String()).Debug("task done")
		}
		w.p.Metrics.Task(t.Type(), outcome, time.Since(start))
		return err
	})
}

// cooldown slows down the connection that answered 429 or 503, in every
// process. The error names the connection, so no payload has to be read.
func (w *Worker) cooldown(ctx context.Context, apiErr *wug.APIError) {
	w.mu.Lock()
	var limiter *WUGLimiter
	for _, c := range w.clients {
		if c.client.Name() == apiErr.Server {
			limiter = c.limiter
		}
	}
	w.mu.Unlock()
	if limiter != nil {
		_ = limiter.Cooldown(context.WithoutCancel(ctx), apiErr.RetryAfter)
	}
}

// recordTaskError keeps every failed attempt of every task (asynq keeps
// only the last error), attached to its run when the task belongs to one.
func (w *Worker) recordTaskError(ctx context.Context, t *asynq.Task, err error) {
	if _, snooze := IsSnooze(err); snooze {
		return
	}
	taskID, _ := asynq.GetTaskID(ctx)
	retried, _ := asynq.GetRetryCount(ctx)
	attempt := models.ExportAttempt{TaskID: taskID, TaskType: t.Type(), Attempt: retried + 1,
		Error: err.Error(), OccurredAt: w.now()}
	var ids struct {
		RunID        uint `json:"run_id"`
		ConnectionID uint `json:"connection_id"`
	}
	_ = json.Unmarshal(t.Payload(), &ids) // ids are optional: not every task has them
	if ids.RunID != 0 {
		attempt.SyncLogID = &ids.RunID
		if run, lerr := w.loadRun(context.WithoutCancel(ctx), ids.RunID); lerr == nil {
			attempt.ConnectionID = &run.ConnectionID
		}
	} else if ids.ConnectionID != 0 {
		attempt.ConnectionID = &ids.ConnectionID
	}
	if cerr := w.p.DB.WithContext(context.WithoutCancel(ctx)).Create(&attempt).Error; cerr != nil {
		w.p.Log.WithError(cerr).WithField("task_id", taskID).Error("could not record a task attempt")
	}
}
