package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"time"

	"github.com/sirupsen/logrus"

	"github.com/wugsync/wugsync/api"
	"github.com/wugsync/wugsync/config"
	"github.com/wugsync/wugsync/internal/process"
	"github.com/wugsync/wugsync/workers"
)

// stack is the API, a worker and the scheduler in one process: all of
// `wugsync all`, and the core of `wugsync demo`. It falls back to an
// embedded Redis and applies migrations at start.
type stack struct {
	// shutdownTimeout is how long tasks in flight get after a stop signal;
	// the whole shutdown is bounded by it (plus shutdownMargin).
	shutdownTimeout time.Duration

	svc       *process.Services
	log       *logrus.Entry
	worker    *workers.Server
	orphans   *workers.OrphanSweeper
	scheduler *workers.Scheduler // nil until startScheduler
	api       *api.Server
	http      *process.HTTPServer
}

// startStack opens the services, starts the worker and serves the API on
// ln. The scheduler is left to startScheduler, so the demo can finish its
// own export before periodic ones may begin. On error everything started
// is stopped again and ln is closed.
func startStack(ctx context.Context, cfg config.Config, log *logrus.Entry, role string, ln net.Listener, shutdownTimeout time.Duration) (_ *stack, err error) {
	if shutdownTimeout <= 0 {
		shutdownTimeout = process.DefaultWorkerShutdownTimeout
	}
	s := &stack{log: log, shutdownTimeout: shutdownTimeout}
	defer func() {
		if err != nil {
			_ = ln.Close()
			_ = s.shutdown()
		}
	}()
	s.svc, err = process.Open(ctx, cfg, log, process.Options{Role: role, EmbeddedRedis: true, Migrate: true, Sealer: true})
	if err != nil {
		return nil, err
	}
	nb, err := process.NewNetBoxClient(s.svc)
	if err != nil {
		return nil, err
	}
	s.worker = process.NewWorkerServer(s.svc, nb, shutdownTimeout)
	if err := s.worker.Start(); err != nil {
		s.worker = nil
		return nil, err
	}
	s.orphans = process.NewOrphanSweeper(s.svc)
	s.orphans.Start()
	if s.api, err = newAPIHandler(s.svc); err != nil {
		return nil, err
	}
	s.http = process.StartHTTP(s.api, ln)
	log.WithFields(logrus.Fields{"url": s.url(), "concurrency": cfg.WorkerConcurrency}).
		Info("API, dashboard and worker running")
	return s, nil
}

// url is the API's base URL.
func (s *stack) url() string { return s.http.URL() }

// startScheduler starts periodic exports and sweeps.
func (s *stack) startScheduler() {
	s.scheduler = process.NewScheduler(s.svc)
	s.scheduler.Start()
}

// wait blocks until ctx ends (nil) or the HTTP server fails (its error).
func (s *stack) wait(ctx context.Context) error {
	select {
	case <-ctx.Done():
		return nil
	case <-s.http.Stopped():
		return s.http.Err()
	}
}

// shutdownMargin is what the stack's shutdown may take beyond the tasks'
// shutdown timeout: closing the API, the scheduler and the services.
const shutdownMargin = 10 * time.Second

// stop logs why the stack stops (the signal, when one ended ctx) and shuts
// it down, giving up after the shutdown timeout plus shutdownMargin: a
// stop signal must end the process even if a part hangs. Tasks still
// running then are run again by the next worker once their lease expires.
func (s *stack) stop(ctx context.Context) error {
	entry := s.log.WithField("shutdown_timeout", s.shutdownTimeout.String())
	if cause := context.Cause(ctx); cause != nil {
		entry = entry.WithField("reason", cause.Error())
	}
	entry.Info("shutting down: the API stops taking requests, tasks in flight may finish within the shutdown timeout")
	done := make(chan error, 1)
	go func() { done <- s.shutdown() }()
	limit := s.shutdownTimeout + shutdownMargin
	timer := time.NewTimer(limit)
	defer timer.Stop()
	select {
	case err := <-done:
		return err
	case <-timer.C:
		s.log.WithField("limit", limit.String()).Error("shutdown did not finish in time: exiting with work in flight")
		return fmt.Errorf("shutdown did not finish within %s", limit)
	}
}

// shutdown stops in the reverse order of start: the API stops taking
// requests, the scheduler stops ticking, the worker lets tasks in flight
// finish (or re-queues them), and the services close last.
func (s *stack) shutdown() error {
	var errs []error
	if s.http != nil {
		errs = append(errs, s.http.Shutdown(process.ShutdownGrace))
	}
	if s.scheduler != nil {
		s.scheduler.Shutdown()
	}
	if s.orphans != nil {
		s.orphans.Shutdown()
	}
	if s.worker != nil {
		s.worker.Shutdown()
		s.worker.Close()
	}
	if s.api != nil {
		errs = append(errs, s.api.Close())
	}
	if s.svc != nil {
		errs = append(errs, s.svc.Close())
	}
	s.log.Info("stopped")
	return errors.Join(errs...)
}
