package workers

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/sirupsen/logrus"
	"gorm.io/gorm"

	"github.com/wugsync/wugsync/models"
	"github.com/wugsync/wugsync/tasks"
)

// SchedulerParams configures the scheduler.
type SchedulerParams struct {
	DB       *gorm.DB
	Redis    redis.UniversalClient
	Enqueuer *tasks.Enqueuer
	Log      *logrus.Entry
	// Tick is how often the scheduler looks at the connections; edits to
	// export_interval_minutes take effect at the next tick.
	Tick time.Duration
	// SweepEvery is the sweep period.
	SweepEvery time.Duration
	Now        func() time.Time
}

// Scheduler starts a run for every active, export-enabled connection once
// per export_interval_minutes, and the periodic sweep. Several schedulers
// may run: each interval slot is claimed in Redis with SET NX, so it fires
// once however many replicas tick.
type Scheduler struct {
	p     SchedulerParams
	store models.Store
	done  chan struct{}
	stop  chan struct{}
}

// NewScheduler fills defaults into p.
func NewScheduler(p SchedulerParams) *Scheduler {
	if p.Tick == 0 {
		p.Tick = 15 * time.Second
	}
	if p.SweepEvery == 0 {
		p.SweepEvery = time.Minute
	}
	if p.Now == nil {
		p.Now = time.Now
	}
	if p.Log == nil {
		p.Log = logrus.NewEntry(logrus.StandardLogger())
	}
	return &Scheduler{p: p, store: models.NewStore(p.DB), done: make(chan struct{}), stop: make(chan struct{})}
}

// Start ticks in the background until Shutdown.
func (s *Scheduler) Start() {
	go func() {
		defer close(s.done)
		t := time.NewTicker(s.p.Tick)
		defer t.Stop()
		for {
			if err := s.Tick(context.Background()); err != nil {
				s.p.Log.WithError(err).Warn("scheduler tick failed")
			}
			select {
			case <-s.stop:
				return
			case <-t.C:
			}
		}
	}()
}

// Shutdown stops ticking and waits for the current tick to end.
func (s *Scheduler) Shutdown() {
	close(s.stop)
	<-s.done
}

// Tick starts the runs that are due and the sweep of the current slot.
func (s *Scheduler) Tick(ctx context.Context) error {
	now := s.p.Now().UTC()
	conns, err := s.store.ExportConnections(ctx, 0)
	if err != nil {
		return fmt.Errorf("scheduler: %w", err)
	}
	var errs []error
	for _, conn := range conns {
		if err := s.maybeStart(ctx, conn, now); err != nil {
			errs = append(errs, fmt.Errorf("connection %q: %w", conn.Name, err))
		}
	}
	slot := now.Unix() / int64(s.p.SweepEvery/time.Second)
	if err := s.p.Enqueuer.Enqueue(ctx, tasks.SweepPayload{Slot: slot}); err != nil && !errors.Is(err, tasks.ErrAlreadyQueued) {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

func (s *Scheduler) maybeStart(ctx context.Context, conn models.WUGConnection, now time.Time) error {
	interval := time.Duration(max(conn.ExportIntervalMinutes, 1)) * time.Minute
	// A connection is due one interval after its creation or its latest
	// export (a manual one too), so a new connection writes nothing to WUG
	// before a person has run an export or an interval has passed.
	last, err := models.LastExportRuns(ctx, s.p.DB, conn.ID)
	if err != nil {
		return err
	}
	var lastRun *time.Time
	if t, ok := last[conn.ID]; ok {
		lastRun = &t
	}
	if next := conn.NextExportAt(lastRun); next == nil || now.Before(*next) {
		return nil
	}
	slot := now.Unix() / int64(interval/time.Second)
	key := "wugsync:schedule:" + strconv.FormatUint(uint64(conn.ID), 10) + ":" +
		strconv.FormatInt(int64(interval/time.Second), 10) + ":" + strconv.FormatInt(slot, 10)
	won, err := s.p.Redis.SetNX(ctx, key, "1", interval+time.Minute).Result()
	if err != nil {
		return fmt.Errorf("claim schedule slot: %w", err)
	}
	if !won {
		return nil // another scheduler fired this slot
	}
	run, err := tasks.StartExport(ctx, s.store, s.p.Enqueuer, tasks.ExportRequest{
		ConnectionID: conn.ID, Trigger: models.TriggerScheduled})
	if errors.Is(err, tasks.ErrRunActive) {
		return nil
	}
	if err != nil {
		return err
	}
	s.p.Log.WithFields(logrus.Fields{"connection": conn.Name, "run_id": run.ID}).Info("scheduled export started")
	return nil
}
