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
}

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
	f.mu.Lock()
	defer f.mu.Unlock()
	f.at[finishedKey(queue, id)] = at
	if len(f.at) > 1024 {
		for k, t := range f.at {
			if at.Sub(t) > finishedKeep {
				delete(f.at, k)
			}
		}
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
