package workers

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strconv"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
)

// planLeaseTTL is how long a run's planner lease lives without renewal:
// the time a planner that died holding it keeps the next attempt waiting.
const planLeaseTTL = 30 * time.Second

// planLeaseRenew is how often a live planner renews its lease.
const planLeaseRenew = planLeaseTTL / 3

// planLeaseSnooze is how long an attempt that found the plan being built
// waits before it looks again: the plan may be stored by then, or its
// planner dead and the lease free.
const planLeaseSnooze = 5 * time.Second

// errPlanLeaseLost is the cause of a planner's cancelled context when its
// lease could not be renewed: another attempt may be planning the run.
var errPlanLeaseLost = errors.New("plan lease lost")

// renewScript extends the lease only if this holder still owns it.
var renewScript = redis.NewScript(`
if redis.call("GET", KEYS[1]) == ARGV[1] then return redis.call("PEXPIRE", KEYS[1], ARGV[2]) end
return 0`)

func planLeaseKey(runID uint) string {
	return "wugsync:run:" + strconv.FormatUint(uint64(runID), 10) + ":planner"
}

// takePlanLease makes this attempt the only planner of run runID. Two
// attempts of one export task run at once when the first one's asynq lease
// expires on a starved worker (or the orphan sweep brings it back) while
// it still plans; each would clear and write the plan, and one could close
// the run on its own batches while the other's entries stay pending.
//
// It returns a context that is cancelled when the lease is lost (renewal
// impossible for long enough that it may have expired), so the planner
// stops writing, and release, which stops the renewal and frees the lease
// (safe to call more than once). When another attempt holds the lease, it
// returns a SnoozeError: this attempt comes back later and then finds the
// plan stored, or takes over a dead planner's run once the TTL freed it.
func (w *Worker) takePlanLease(ctx context.Context, runID uint) (context.Context, func(), error) {
	return w.leasePlan(ctx, runID, planLeaseRenew)
}

// leasePlan is takePlanLease renewing every `every`.
func (w *Worker) leasePlan(ctx context.Context, runID uint, every time.Duration) (context.Context, func(), error) {
	key := planLeaseKey(runID)
	token := strconv.FormatUint(rand.Uint64(), 36)
	ok, err := w.p.Redis.SetNX(ctx, key, token, planLeaseTTL).Result()
	if err != nil {
		return nil, nil, fmt.Errorf("take plan lease of run %d: %w", runID, err)
	}
	if !ok {
		return nil, nil, &SnoozeError{RetryIn: planLeaseSnooze, Reason: fmt.Sprintf("run %d is being planned by another attempt", runID)}
	}
	lctx, cancel := context.WithCancelCause(ctx)
	stop, done := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(done)
		w.renewPlanLease(lctx, key, token, every, stop, cancel)
	}()
	var once sync.Once
	release := func() {
		once.Do(func() {
			close(stop)
			<-done
			cancel(context.Canceled)
			releaseLock(w.p.Redis, key, token, planLeaseTTL)
		})
	}
	return lctx, release, nil
}

// renewPlanLease keeps the lease alive until stop closes or ctx ends. It
// cancels ctx with errPlanLeaseLost when another holder has the key, or
// when Redis did not answer for half the TTL: the lease may expire before
// the next try, and a planner without it must not keep writing.
func (w *Worker) renewPlanLease(ctx context.Context, key, token string, every time.Duration, stop <-chan struct{}, cancel context.CancelCauseFunc) {
	t := time.NewTicker(every)
	defer t.Stop()
	renewed := time.Now()
	for {
		select {
		case <-stop:
			return
		case <-ctx.Done():
			return
		case <-t.C:
		}
		rctx, rcancel := context.WithTimeout(ctx, 2*time.Second)
		n, err := renewScript.Run(rctx, w.p.Redis, []string{key}, token, planLeaseTTL.Milliseconds()).Int()
		rcancel()
		switch {
		case err == nil && n == 1:
			renewed = time.Now()
		case err == nil:
			cancel(errPlanLeaseLost)
			return
		case time.Since(renewed) >= planLeaseTTL/2:
			cancel(fmt.Errorf("%w: %w", errPlanLeaseLost, err))
			return
		}
	}
}

// planLeaseErr turns the error of a planner stopped by the loss of its
// lease into a snooze: another attempt may be planning, and this one comes
// back to find its plan (a lost lease is not the task's failure).
func planLeaseErr(planCtx context.Context, err error) error {
	if cause := context.Cause(planCtx); errors.Is(cause, errPlanLeaseLost) {
		return &SnoozeError{RetryIn: planLeaseSnooze, Reason: cause.Error()}
	}
	return err
}
