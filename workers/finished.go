package workers

import (
	"context"
	"sync"
	"time"

	"github.com/hibiken/asynq"
)

// finishedGrace is how long after a handler returned its task may still be
// active in Redis before the orphan sweeper takes it for lost: asynq
// writes the outcome right after the handler returns, in milliseconds.
const finishedGrace = 3 * time.Second

// finishedKeep bounds how long a FinishedTasks entry is kept: past it, a
// task whose outcome was lost is stale by its lease anyway.
const finishedKeep = asynqLease + defaultOrphanStaleAfter

// FinishedTasks remembers, in one worker process, when each of its task
// handlers returned, so that the orphan sweeper of the same process can
// recognise a task whose outcome asynq failed to write.
//
// That happens to every task that ends while Redis is away: asynq v0.26
// tries to record the outcome (done, retry, archive) once, then hands the
// write to its syncer with a context it has already cancelled, so every
// later try fails and the task stays "active" in Redis once Redis is back,
// with nobody extending its lease. Its work never continues (a batch that
// failed for want of Redis is not retried) until the lease is stale (15 s
// without a heartbeat for the orphan sweeper, up to ~90 s for asynq). A task
// this process saw end, still active after finishedGrace, not run by any
// live server and whose lease was not extended after it ended, is such a
// task: the sweeper brings it back at once.
type FinishedTasks struct {
	mu sync.Mutex
	at map[string]time.Time
	// order holds the entries in the order they were recorded, from head
	// on, so the old ones leave one by one: scanning the map for them at
	// every task made each task cost as much as all those of the last
	// 45 s, which capped a worker at a few thousand tasks per second.
	order []finishedEntry
	head  int
}

type finishedEntry struct {
	key string
	at  time.Time
}

// maxFinished bounds the ledger's entries however fast tasks end. A task
// whose entry left early is recovered by the stale path, only later.
const maxFinished = 100_000

// NewFinishedTasks returns an empty ledger.
func NewFinishedTasks() *FinishedTasks {
	return &FinishedTasks{at: map[string]time.Time{}}
}

func finishedKey(queue, id string) string { return queue + "\x00" + id }

// Middleware records when each handler returns.
func (f *FinishedTasks) Middleware(next asynq.Handler) asynq.Handler {
	return asynq.HandlerFunc(func(ctx context.Context, t *asynq.Task) error {
		err := next.ProcessTask(ctx, t)
		queue, _ := asynq.GetQueueName(ctx)
		id, _ := asynq.GetTaskID(ctx)
		f.record(queue, id, time.Now())
		return err
	})
}

func (f *FinishedTasks) record(queue, id string, at time.Time) {
	if id == "" {
		return
	}
	key := finishedKey(queue, id)
	f.mu.Lock()
	defer f.mu.Unlock()
	f.at[key] = at
	f.order = append(f.order, finishedEntry{key: key, at: at})
	for f.head < len(f.order) {
		e := f.order[f.head]
		if at.Sub(e.at) <= finishedKeep && len(f.order)-f.head <= maxFinished {
			break
		}
		if cur, ok := f.at[e.key]; ok && cur.Equal(e.at) {
			delete(f.at, e.key) // not when the task ended again since
		}
		f.order[f.head] = finishedEntry{}
		f.head++
	}
	if f.head > 1024 && 2*f.head > len(f.order) {
		f.order = f.order[:copy(f.order, f.order[f.head:])]
		f.head = 0
	}
}

// lostOutcome reports whether the task id of queue ended in this process
// at least finishedGrace before now, and its lease (leaseEnd, Unix
// seconds) was last extended before it ended. A nil ledger knows nothing.
func (f *FinishedTasks) lostOutcome(queue, id string, leaseEnd int64, now time.Time) bool {
	if f == nil {
		return false
	}
	f.mu.Lock()
	at, ok := f.at[finishedKey(queue, id)]
	f.mu.Unlock()
	if !ok || now.Sub(at) < finishedGrace {
		return false
	}
	// A heartbeat sets the lease to its time plus asynqLease; one at or
	// after the end (a later attempt of the same task running now) keeps
	// the task for the stale path.
	return leaseEnd < at.Add(asynqLease).Unix()
}
