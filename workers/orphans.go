package workers

import (
	"context"
	"errors"
	"fmt"
	"sort"
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
	// Finished, when set, is the ledger of the tasks this process's
	// handlers ended (the Finished of its ServerParams): a task among them
	// whose outcome asynq could not write, because Redis was away, is
	// taken back at once instead of once its lease is stale.
	Finished *FinishedTasks
	// Now is the clock; tests may replace it.
	Now func() time.Time
}

// OrphanSweeper brings back, within seconds, the tasks of a worker process
// that died (kill -9, OOM, a lost node), on every queue wugsync uses:
// exports and their batches, webhook device syncs and decommissions, scan
// polls and sweeps. asynq alone gives such a task back only once its 30 s
// lease has run out and its recoverer, which runs once a minute, has
// noticed: up to about 90 s. The sweeper instead looks for active tasks
// that no live asynq server claims and whose lease stopped being extended,
// and enqueues their work again under new task ids, which is safe because
// every handler is idempotent. Every worker
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
	// Task ids are unique within a queue only.
	held := map[string]bool{}
	for _, s := range servers {
		for _, w := range s.ActiveWorkers {
			held[w.Queue+"\x00"+w.TaskID] = true
		}
	}
	var (
		enqueued int
		errs     []error
	)
	for _, queue := range sweptQueues() {
		n, err := o.sweepQueue(ctx, queue, held)
		enqueued += n
		if err != nil {
			errs = append(errs, err)
		}
	}
	return enqueued, errors.Join(errs...)
}

// sweptQueues is every queue wugsync's tasks use (webhook syncs and
// decommissions on critical, exports on default, scan polls and sweeps on
// low), in a fixed order.
func sweptQueues() []string {
	queues := make([]string, 0, len(tasks.QueueWeights()))
	for q := range tasks.QueueWeights() {
		queues = append(queues, q)
	}
	sort.Strings(queues)
	return queues
}

// sweepQueue recovers the orphaned tasks of one queue.
func (o *OrphanSweeper) sweepQueue(ctx context.Context, queue string, held map[string]bool) (int, error) {
	// A live worker's heartbeat keeps each lease near now+asynqLease; one
	// that ends before now+asynqLease-StaleAfter has missed several beats.
	now := o.p.Now()
	cutoff := now.Add(asynqLease - o.p.StaleAfter).Unix()
	upper := strconv.FormatInt(cutoff, 10)
	if o.p.Finished != nil {
		// Fresher leases too: a task this process saw end whose outcome
		// was lost is taken back without waiting for its lease to age.
		upper = "+inf"
	}
	leases, err := o.p.Redis.ZRangeByScoreWithScores(ctx, leaseKey(queue), &redis.ZRangeBy{
		Min: "-inf", Max: upper,
	}).Result()
	if err != nil {
		return 0, fmt.Errorf("orphan sweep: read the leases of queue %s: %w", queue, err)
	}
	var (
		enqueued int
		errs     []error
	)
	for _, lease := range leases {
		id, _ := lease.Member.(string)
		if id == "" || held[queue+"\x00"+id] {
			continue
		}
		if int64(lease.Score) > cutoff && !o.p.Finished.lostOutcome(queue, id, int64(lease.Score), now) {
			continue
		}
		ok, err := o.recover(ctx, queue, id, int64(lease.Score))
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
// was nothing to do (the task moved on, is not one of wugsync's types, or
// was already replaced).
func (o *OrphanSweeper) recover(ctx context.Context, queue, id string, lease int64) (bool, error) {
	info, err := o.inspector.GetTaskInfo(queue, id)
	if errors.Is(err, asynq.ErrTaskNotFound) || errors.Is(err, asynq.ErrQueueNotFound) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("orphan sweep: read task %s of queue %s: %w", id, queue, err)
	}
	if info.State != asynq.TaskStateActive {
		return false, nil
	}
	if _, known := tasks.Specs[info.Type]; !known {
		return false, nil // not ours: asynq's own recovery brings it back
	}
	log := o.p.Log.WithFields(logrus.Fields{"task_id": id, "queue": queue, "task_type": info.Type})
	// Batches, planning and device syncs claim the creates they make.
	if err := o.releaseClaims(ctx, id); err != nil {
		return false, err
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
		// Device syncs, decommissions, scan polls and sweeps: the same
		// payload again, as idempotent as the export's tasks.
		err = o.p.Enqueuer.TaskRecovered(ctx, info.Type, info.Payload, id, lease)
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
