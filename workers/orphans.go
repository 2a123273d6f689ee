package workers

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"
	"github.com/sirupsen/logrus"
	"gorm.io/gorm"

	"github.com/wugsync/wugsync/models"
	"github.com/wugsync/wugsync/tasks"
)

// asynqLease is asynq v0.26's task lease (rdb.LeaseDuration, a constant):
// a worker's heartbeat pushes the lease of each task it runs to now plus
// this, every few seconds.
const asynqLease = 30 * time.Second

// Defaults of OrphanParams.
const (
	defaultOrphanEvery      = 5 * time.Second
	defaultOrphanStaleAfter = 15 * time.Second
)

// OrphanParams configures an OrphanSweeper.
type OrphanParams struct {
	DB       *gorm.DB
	Redis    redis.UniversalClient
	Enqueuer *tasks.Enqueuer
	Log      *logrus.Entry
	// Every is how often it looks for orphaned tasks; zero means 5 s.
	Every time.Duration
	// StaleAfter is how long a task's lease may go without being extended
	// before its worker is taken for dead; zero means 15 s, three missed
	// asynq heartbeats (one every 5 s).
	StaleAfter time.Duration
	// Now is the clock; tests may replace it.
	Now func() time.Time
}

// OrphanSweeper brings back, within seconds, the export tasks of a worker
// process that died (kill -9, OOM, a lost node). asynq alone gives such a
// task back only once its 30 s lease has run out and its recoverer, which
// runs once a minute, has noticed: up to about 90 s. The sweeper instead
// looks for active tasks that no live asynq server claims and whose lease
// stopped being extended, and enqueues their work again under new task ids,
// which is safe because planning and batches are idempotent. Every worker
// process runs one; they agree on the replacement ids, so they never
// enqueue the same work twice.
type OrphanSweeper struct {
	p         OrphanParams
	store     models.Store
	inspector *asynq.Inspector
	stop      chan struct{}
	done      chan struct{}
}

// NewOrphanSweeper fills defaults into p.
func NewOrphanSweeper(p OrphanParams) *OrphanSweeper {
	if p.Every == 0 {
		p.Every = defaultOrphanEvery
	}
	if p.StaleAfter == 0 {
		p.StaleAfter = defaultOrphanStaleAfter
	}
	if p.Now == nil {
		p.Now = time.Now
	}
	if p.Log == nil {
		p.Log = logrus.NewEntry(logrus.StandardLogger())
	}
	return &OrphanSweeper{
		p:         p,
		store:     models.NewStore(p.DB),
		inspector: asynq.NewInspectorFromRedisClient(p.Redis),
		stop:      make(chan struct{}),
		done:      make(chan struct{}),
	}
}

// Start sweeps in the background until Shutdown.
func (o *OrphanSweeper) Start() {
	go func() {
		defer close(o.done)
		t := time.NewTicker(o.p.Every)
		defer t.Stop()
		for {
			select {
			case <-o.stop:
				return
			case <-t.C:
			}
			ctx, cancel := context.WithTimeout(context.Background(), o.p.Every)
			if _, err := o.Sweep(ctx); err != nil {
				// Redis being away is reported by the readiness probe;
				// the next tick tries again.
				o.p.Log.WithError(err).Debug("orphaned task sweep failed")
			}
			cancel()
		}
	}()
}

// Shutdown stops sweeping and waits for the current sweep to end.
func (o *OrphanSweeper) Shutdown() {
	close(o.stop)
	<-o.done
}

// Sweep enqueues again the export work of every orphaned task, and of every
// open run when Redis lost its data, and returns how many tasks it
// enqueued.
func (o *OrphanSweeper) Sweep(ctx context.Context) (int, error) {
	requeued, err := o.requeueLostWork(ctx)
	if err != nil {
		return requeued, err
	}
	orphans, err := o.sweepOrphans(ctx)
	return requeued + orphans, err
}

func (o *OrphanSweeper) sweepOrphans(ctx context.Context) (int, error) {
	servers, err := o.inspector.Servers()
	if err != nil {
		return 0, fmt.Errorf("orphan sweep: list asynq servers: %w", err)
	}
	held := map[string]bool{}
	for _, s := range servers {
		for _, w := range s.ActiveWorkers {
			held[w.TaskID] = true
		}
	}
	// A live worker's heartbeat keeps each lease near now+asynqLease; one
	// that ends before now+asynqLease-StaleAfter has missed several beats.
	cutoff := o.p.Now().Add(asynqLease - o.p.StaleAfter).Unix()
	leases, err := o.p.Redis.ZRangeByScoreWithScores(ctx, leaseKey(tasks.QueueDefault), &redis.ZRangeBy{
		Min: "-inf", Max: strconv.FormatInt(cutoff, 10),
	}).Result()
	if err != nil {
		return 0, fmt.Errorf("orphan sweep: read leases: %w", err)
	}
	var (
		enqueued int
		errs     []error
	)
	for _, lease := range leases {
		id, _ := lease.Member.(string)
		if id == "" || held[id] {
			continue
		}
		ok, err := o.recover(ctx, id, int64(lease.Score))
		if err != nil {
			errs = append(errs, err)
		}
		if ok {
			enqueued++
		}
	}
	return enqueued, errors.Join(errs...)
}

// recover enqueues the replacement of one orphaned task; false when there
// was nothing to do (the task moved on, belongs to a type asynq's own
// recovery is good enough for, or was already replaced).
func (o *OrphanSweeper) recover(ctx context.Context, id string, lease int64) (bool, error) {
	info, err := o.inspector.GetTaskInfo(tasks.QueueDefault, id)
	if errors.Is(err, asynq.ErrTaskNotFound) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("orphan sweep: read task %s: %w", id, err)
	}
	if info.State != asynq.TaskStateActive {
		return false, nil
	}
	log := o.p.Log.WithField("task_id", id)
	if info.Type == tasks.TypeExportBatch || info.Type == tasks.TypeExport {
		if err := o.releaseClaims(ctx, id); err != nil {
			return false, err
		}
	}
	switch info.Type {
	case tasks.TypeExportBatch:
		var p tasks.BatchPayload
		if err := tasks.Decode(info.Payload, &p); err != nil {
			return false, nil // the lost task fails the same way when asynq retries it
		}
		err = o.p.Enqueuer.BatchRecovered(ctx, p.RunID, p.Batch, lease)
		log = log.WithFields(logrus.Fields{"run_id": p.RunID, "batch": p.Batch})
	case tasks.TypeExport:
		var p tasks.ExportPayload
		if err := tasks.Decode(info.Payload, &p); err != nil {
			return false, nil
		}
		err = o.p.Enqueuer.ExportRecovered(ctx, p.RunID, lease)
		log = log.WithField("run_id", p.RunID)
	default:
		return false, nil
	}
	if errors.Is(err, tasks.ErrAlreadyQueued) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("orphan sweep: replace task %s: %w", id, err)
	}
	log.Info("the worker running this task stopped: its work is queued again")
	return true, nil
}

// releaseClaims frees the create claims the dead task held, so that its
// replacement (another task id) can create those devices now rather than
// after the claims go stale in ten minutes. The task is dead (no live
// server runs it and its lease lapsed), so no create of its can be under
// way; one whose answer it never recorded is found again through the row's
// create_attempted_at, which the replacement honours.
func (o *OrphanSweeper) releaseClaims(ctx context.Context, taskID string) error {
	if err := o.store.ReleaseCreateClaims(ctx, taskID); err != nil {
		return fmt.Errorf("orphan sweep: release the create claims of task %s: %w", taskID, err)
	}
	return nil
}

// leaseKey is asynq's sorted set of the leases of a queue's active tasks
// (base.LeaseKey, internal to asynq): read here, never written.
func leaseKey(queue string) string { return "asynq:{" + queue + "}:lease" }

// countsAsFailure is asynq's IsFailure: a snooze is not a failure, and
// neither is a lease that expired because the worker holding the task died
// or lost Redis, which says nothing about the task. Such an interruption
// must not use up the task's retries.
func countsAsFailure(err error) bool {
	if _, snooze := IsSnooze(err); snooze {
		return false
	}
	return !errors.Is(err, asynq.ErrLeaseExpired)
}
