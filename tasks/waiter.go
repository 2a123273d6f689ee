package tasks

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
	"gorm.io/gorm"

	"github.com/wugsync/wugsync/models"
)

// DefaultMaxWaiters caps the clients one RunWaiter lets wait at once.
const DefaultMaxWaiters = 1000

// Waiter errors, checked with errors.Is.
var (
	// ErrTooManyWaiters means the waiter cap is reached. The caller answers
	// at once with the run as it stands (the API: 503, or 202 where a route
	// promises one).
	ErrTooManyWaiters = errors.New("too many clients are waiting for runs to end")
	// ErrWaitUnavailable means the shared subscription is down (Redis is
	// unreachable), so an end could not be heard.
	ErrWaitUnavailable = errors.New("cannot listen for run ends")
	// ErrWaiterClosed means the RunWaiter was closed.
	ErrWaiterClosed = errors.New("run waiter closed")
)

// Subscription housekeeping: how long a silent subscription waits before
// it pings Redis (a half-open connection is noticed), and the pause after
// a failure before it reconnects.
const (
	waiterPingInterval = 30 * time.Second
	waiterRetryPause   = time.Second
)

// RunWaiter lets many clients wait for runs to end over one Redis Pub/Sub
// connection per process: the subscription is shared, and each
// announcement wakes the waiters of that run in-process. WaitRunEnded
// opens a connection per call, which is fine for one caller (the demo) but
// not for an API with hundreds of ?wait= clients. Build it with
// NewRunWaiter and Close it when the process stops.
type RunWaiter struct {
	rdb redis.UniversalClient
	db  *gorm.DB
	max int

	ctx    context.Context
	cancel context.CancelFunc
	done   chan struct{} // closed when listen returns

	mu      sync.Mutex
	started bool          // listen runs
	sub     *redis.PubSub // the shared subscription, once listen opened it
	closed  bool
	waiters map[uint]map[*runWaiter]struct{}
	count   int
	// ready is true while the subscription is confirmed; lastErr is why it
	// is not. changed is closed and replaced whenever either changes.
	ready   bool
	lastErr error
	changed chan struct{}
}

// runWaiter is one waiting client; wake holds at most one pending signal,
// so a signal sent while it reads the row is not lost.
type runWaiter struct {
	runID uint
	wake  chan struct{}
}

// NewRunWaiter returns a waiter on rdb's run-end channel that lets at most
// max clients wait at once (DefaultMaxWaiters when max <= 0). The
// subscription opens with the first Wait and stays open until Close.
func NewRunWaiter(rdb redis.UniversalClient, db *gorm.DB, max int) *RunWaiter {
	if max <= 0 {
		max = DefaultMaxWaiters
	}
	ctx, cancel := context.WithCancel(context.Background())
	return &RunWaiter{rdb: rdb, db: db, max: max, ctx: ctx, cancel: cancel, done: make(chan struct{}),
		waiters: map[uint]map[*runWaiter]struct{}{}, changed: make(chan struct{})}
}

// Max is the cap on clients waiting at once.
func (w *RunWaiter) Max() int { return w.max }

// Waiting is how many clients wait now.
func (w *RunWaiter) Waiting() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.count
}

// Close ends the subscription; waiting clients return ErrWaiterClosed.
func (w *RunWaiter) Close() error {
	w.mu.Lock()
	w.closed = true
	close(w.changed) // wakes callers still waiting for the subscription
	w.changed = make(chan struct{})
	for _, set := range w.waiters {
		for rw := range set {
			signal(rw.wake)
		}
	}
	started, sub := w.started, w.sub
	w.mu.Unlock()
	w.cancel()
	if sub != nil {
		// Closing the connection ends a receive blocked on it.
		_ = sub.Close()
	}
	if started {
		<-w.done
	}
	return nil
}

// Wait blocks until the run has ended or ctx is done, and returns the run
// as stored (with ctx's error when it gave up first). Past the cap it
// returns ErrTooManyWaiters at once, and while Redis cannot be reached
// ErrWaitUnavailable, each with the run as it stands.
func (w *RunWaiter) Wait(ctx context.Context, runID uint) (models.WUGSyncLog, error) {
	rw, err := w.register(runID)
	if err != nil {
		return w.load(ctx, runID, err)
	}
	defer w.unregister(rw)
	if err := w.awaitReady(ctx); err != nil {
		return w.load(ctx, runID, err)
	}
	for {
		run, err := w.load(ctx, runID, nil)
		if err != nil || !run.Status.Active() {
			return run, err
		}
		select {
		case <-ctx.Done():
			return run, ctx.Err()
		case <-rw.wake:
			if w.isClosed() {
				return run, ErrWaiterClosed
			}
		}
	}
}

// load reads the run; cause, when set, is returned with it.
func (w *RunWaiter) load(ctx context.Context, runID uint, cause error) (models.WUGSyncLog, error) {
	var run models.WUGSyncLog
	if err := w.db.WithContext(context.WithoutCancel(ctx)).First(&run, runID).Error; err != nil {
		return run, fmt.Errorf("load run %d: %w", runID, err)
	}
	return run, cause
}

func (w *RunWaiter) register(runID uint) (*runWaiter, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	switch {
	case w.closed:
		return nil, ErrWaiterClosed
	case w.count >= w.max:
		return nil, fmt.Errorf("%w (%d at most)", ErrTooManyWaiters, w.max)
	}
	if !w.started {
		w.started = true
		go w.listen()
	}
	rw := &runWaiter{runID: runID, wake: make(chan struct{}, 1)}
	set := w.waiters[runID]
	if set == nil {
		set = map[*runWaiter]struct{}{}
		w.waiters[runID] = set
	}
	set[rw] = struct{}{}
	w.count++
	return rw, nil
}

func (w *RunWaiter) unregister(rw *runWaiter) {
	w.mu.Lock()
	defer w.mu.Unlock()
	set := w.waiters[rw.runID]
	delete(set, rw)
	if len(set) == 0 {
		delete(w.waiters, rw.runID)
	}
	w.count--
}

func (w *RunWaiter) isClosed() bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.closed
}

// awaitReady returns once the subscription is confirmed, so an end
// announced after the caller reads the row is heard. While the
// subscription is down it fails at once with the reason.
func (w *RunWaiter) awaitReady(ctx context.Context) error {
	for {
		w.mu.Lock()
		ready, lastErr, changed, closed := w.ready, w.lastErr, w.changed, w.closed
		w.mu.Unlock()
		switch {
		case closed:
			return ErrWaiterClosed
		case ready:
			return nil
		case lastErr != nil:
			return fmt.Errorf("%w: %v", ErrWaitUnavailable, lastErr)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-changed:
		}
	}
}

// setState records whether the subscription is confirmed and tells the
// clients waiting for it.
func (w *RunWaiter) setState(ready bool, err error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.ready == ready && errors.Is(w.lastErr, err) && errors.Is(err, w.lastErr) {
		return
	}
	w.ready, w.lastErr = ready, err
	close(w.changed)
	w.changed = make(chan struct{})
}

// wake signals the waiters of one run, or of every run when all is true.
func (w *RunWaiter) wake(runID uint, all bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	for id, set := range w.waiters {
		if all || id == runID {
			for rw := range set {
				signal(rw.wake)
			}
		}
	}
}

func signal(ch chan struct{}) {
	select {
	case ch <- struct{}{}:
	default:
	}
}

// listen owns the one subscription of the process. go-redis reconnects a
// broken subscription and subscribes again on the next receive; every
// waiter then reads its run again, since an end announced while the
// connection was down was not heard.
func (w *RunWaiter) listen() {
	defer close(w.done)
	sub := w.rdb.Subscribe(w.ctx, RunEndedChannel(w.rdb))
	w.mu.Lock()
	closed := w.closed
	w.sub = sub
	w.mu.Unlock()
	defer sub.Close()
	if closed {
		return
	}
	for {
		msg, err := sub.ReceiveTimeout(w.ctx, waiterPingInterval)
		if w.ctx.Err() != nil {
			return
		}
		var netErr net.Error
		switch {
		case err != nil && errors.As(err, &netErr) && netErr.Timeout():
			// Quiet, not broken: a ping proves the connection still works.
			if perr := sub.Ping(w.ctx); perr != nil {
				w.setState(false, perr)
			}
		case err != nil:
			w.setState(false, err)
			select {
			case <-w.ctx.Done():
				return
			case <-time.After(waiterRetryPause):
			}
		default:
			w.handle(msg)
		}
	}
}

func (w *RunWaiter) handle(msg any) {
	switch m := msg.(type) {
	case *redis.Subscription:
		if m.Kind == "subscribe" {
			w.setState(true, nil)
			w.wake(0, true)
		}
	case *redis.Message:
		id, err := strconv.ParseUint(m.Payload, 10, 64)
		if err == nil {
			w.wake(uint(id), false)
		}
	}
}
