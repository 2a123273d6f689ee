package wug

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/wugsync/wugsync/sim/wugsim"
)

// gateLimiter holds every template request at the limiter until the test
// opens the gate, and tells the test when one is waiting there.
type gateLimiter struct {
	waiting chan struct{} // one value per template request at the gate
	gate    chan struct{} // closed: template requests go
}

func newGateLimiter() *gateLimiter {
	return &gateLimiter{waiting: make(chan struct{}, 64), gate: make(chan struct{})}
}

func (l *gateLimiter) Acquire(ctx context.Context, op string) (func(), error) {
	if op != OpApplyTemplates {
		return func() {}, nil
	}
	l.waiting <- struct{}{}
	select {
	case <-l.gate:
		return func() {}, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// rideBundle is a client whose template requests wait at a gate, with a
// signal for each joiner that got on a ride.
type rideBundle struct {
	*testBundle
	limiter *gateLimiter
	joined  chan struct{}
}

func setupRide(t *testing.T, opts wugsim.Options) *rideBundle {
	t.Helper()
	lim := newGateLimiter()
	b := setup(t, opts, func(c *Config) { c.Limiter = lim })
	joined := make(chan struct{}, 64)
	b.client.rides.joined = func() { joined <- struct{}{} }
	return &rideBundle{testBundle: b, limiter: lim, joined: joined}
}

// templates builds n templates with ids and addresses from prefix.
func templates(prefix string, first, n int) []DeviceTemplate {
	out := make([]DeviceTemplate, n)
	for i := range out {
		x := first + i
		id := fmt.Sprintf("%s-%d", prefix, x)
		out[i] = template(id, id, fmt.Sprintf("10.9.%d.%d", x/250, x%250+1))
	}
	return out
}

type applied struct {
	results map[string]TemplateResult
	err     error
}

func goApply(ctx context.Context, send func(context.Context, []DeviceTemplate, ...TemplateOption) (map[string]TemplateResult, error), list []DeviceTemplate) chan applied {
	done := make(chan applied, 1)
	go func() {
		res, err := send(ctx, list)
		done <- applied{res, err}
	}()
	return done
}

func TestJoinedTemplatesRideTheRequestWaitingForTheLimiter(t *testing.T) {
	t.Parallel()
	b := setupRide(t, wugsim.Options{})
	ctx := b.ctx(t)

	driver := goApply(ctx, b.client.ApplyTemplates, templates("a", 1, 3))
	<-b.limiter.waiting
	riders := make([]chan applied, 2)
	for i := range riders {
		riders[i] = goApply(ctx, b.client.JoinTemplates, templates(fmt.Sprintf("r%d", i), 10+i, 2))
		<-b.joined
	}
	close(b.limiter.gate)

	own := <-driver
	require.NoError(t, own.err)
	require.Len(t, own.results, 3, "the driver gets its own templates' results only")
	for i, rider := range riders {
		got := <-rider
		require.NoError(t, got.err)
		require.Len(t, got.results, 2)
		for id, res := range got.results {
			require.True(t, res.OK, "rider %d template %s", i, id)
			require.NotEmpty(t, res.DeviceID)
		}
	}
	require.Len(t, routeLog(b.sim, routeTemplates), 1, "three callers, one template request")
	require.Len(t, b.sim.Devices(), 7)
}

func TestJoinersShareTheRequestsFailure(t *testing.T) {
	t.Parallel()
	b := setupRide(t, wugsim.Options{Faults: map[string]wugsim.Fault{routeTemplates: {ErrorRate: 1}}})
	ctx := b.ctx(t)

	driver := goApply(ctx, b.client.ApplyTemplates, templates("a", 1, 2))
	<-b.limiter.waiting
	rider := goApply(ctx, b.client.JoinTemplates, templates("r", 5, 2))
	<-b.joined
	close(b.limiter.gate)

	require.Error(t, (<-driver).err)
	got := <-rider
	var apiErr *APIError
	require.ErrorAs(t, got.err, &apiErr, "a 500 may have created the rider's devices too: it must look")
	require.Equal(t, 500, apiErr.StatusCode)
	require.Equal(t, []int{500}, routeLog(b.sim, routeTemplates))
}

func TestAJoinerWhoseContextEndsGetsOffUnsent(t *testing.T) {
	t.Parallel()
	b := setupRide(t, wugsim.Options{})
	ctx := b.ctx(t)

	driver := goApply(ctx, b.client.ApplyTemplates, templates("a", 1, 2))
	<-b.limiter.waiting
	riderCtx, cancel := context.WithCancel(ctx)
	rider := goApply(riderCtx, b.client.JoinTemplates, templates("r", 5, 2))
	<-b.joined
	cancel()
	got := <-rider
	require.ErrorIs(t, got.err, context.Canceled)
	close(b.limiter.gate)

	require.NoError(t, (<-driver).err)
	require.Len(t, b.sim.Devices(), 2, "the request left without the joiner's templates")
}

func TestJoinersOfARequestThatNeverLeftSendTheirOwn(t *testing.T) {
	t.Parallel()
	b := setupRide(t, wugsim.Options{})
	ctx := b.ctx(t)

	driverCtx, cancel := context.WithCancel(ctx)
	driver := goApply(driverCtx, b.client.ApplyTemplates, templates("a", 1, 2))
	<-b.limiter.waiting
	rider := goApply(ctx, b.client.JoinTemplates, templates("r", 5, 2))
	<-b.joined
	cancel() // the driver gives up at the limiter
	require.ErrorIs(t, (<-driver).err, context.Canceled)
	<-b.limiter.waiting // the joiner's own request
	close(b.limiter.gate)

	got := <-rider
	require.NoError(t, got.err)
	require.Len(t, got.results, 2)
	require.Len(t, routeLog(b.sim, routeTemplates), 1)
	require.Len(t, b.sim.Devices(), 2, "only the joiner's devices")
}

func TestAJoinerTakesOnlyARideWithRoomForAllItsTemplates(t *testing.T) {
	t.Parallel()
	b := setupRide(t, wugsim.Options{})
	ctx := b.ctx(t)

	driver := goApply(ctx, b.client.ApplyTemplates, templates("a", 1, MaxBatchSize-1))
	<-b.limiter.waiting
	rider := goApply(ctx, b.client.JoinTemplates, templates("r", 700, 2))
	<-b.limiter.waiting // no room: the joiner waits with a request of its own
	close(b.limiter.gate)

	require.NoError(t, (<-driver).err)
	require.NoError(t, (<-rider).err)
	require.Len(t, routeLog(b.sim, routeTemplates), 2)
	require.Len(t, b.sim.Devices(), MaxBatchSize+1)
}

func TestConcurrentJoinersAllGetTheirResults(t *testing.T) {
	t.Parallel()
	b := setupRide(t, wugsim.Options{})
	close(b.limiter.gate) // the race is the point: no ordering here
	ctx := b.ctx(t)
	var wg sync.WaitGroup
	errs := make(chan error, 16)
	for i := range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			list := templates(fmt.Sprintf("c%d", i), 100+i, 3)
			send := b.client.JoinTemplates
			if i%4 == 0 {
				send = b.client.ApplyTemplates
			}
			res, err := send(ctx, list)
			if err == nil && len(res) != len(list) {
				err = errors.New("missing results")
			}
			for _, r := range res {
				if err == nil && !r.OK {
					err = fmt.Errorf("template %s not created", r.TemplateID)
				}
			}
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
	require.Len(t, b.sim.Devices(), 48, "every device once")
}
