package workers

import (
	"context"
	"errors"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/wugsync/wugsync/sim/wugsim"
	"github.com/wugsync/wugsync/wug"
)

// TestLookUpsShareASearchThatStartedAfterTheirCall counts the WUG searches
// that concurrent look-ups make: a search that started after a look-up's
// failed call ended serves it (running or finished) at no call; one that
// started before, failed, is of another connection, or is older than
// searchKeep does not.
func TestLookUpsShareASearchThatStartedAfterTheirCall(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	var mu sync.Mutex
	f := newSearchFlights()
	var drops []func()
	f.after = func(d time.Duration, drop func()) {
		require.Equal(t, searchKeep, d)
		mu.Lock()
		defer mu.Unlock()
		drops = append(drops, drop)
	}
	t0 := time.Date(2026, 12, 7, 6, 0, 0, 0, time.UTC)
	calls := 0
	answer := []wug.DeviceOverview{{ID: "7", NetworkAddress: "10.1.0.5"}}
	do := func(context.Context) ([]wug.DeviceOverview, error) {
		mu.Lock()
		defer mu.Unlock()
		calls++
		return answer, nil
	}

	// A search runs; a look-up whose call ended before it started joins it.
	entered, release := make(chan struct{}), make(chan struct{})
	leader := make(chan []wug.DeviceOverview)
	go func() {
		found, _ := f.search(ctx, 1, "10.1.0.", t0, t0.Add(time.Millisecond), func(ctx context.Context) ([]wug.DeviceOverview, error) {
			close(entered)
			<-release
			return do(ctx)
		})
		leader <- found
	}()
	<-entered
	require.True(t, f.known(1, "10.1.0.", t0))
	joined := make(chan []wug.DeviceOverview)
	go func() {
		found, _ := f.search(ctx, 1, "10.1.0.", t0, t0.Add(2*time.Millisecond), do)
		joined <- found
	}()
	close(release)
	require.Equal(t, answer, <-leader)
	require.Equal(t, answer, <-joined)
	require.Equal(t, 1, calls, "the joining look-up made no call")

	// Finished, it still serves a look-up whose call ended before it began.
	found, err := f.search(ctx, 1, "10.1.0.", t0.Add(time.Millisecond), t0.Add(time.Second), do)
	require.NoError(t, err)
	require.Equal(t, answer, found)
	require.Equal(t, 1, calls)

	// A call that ended after the search started: the search may have missed
	// what it made, so the look-up searches again. So does another
	// connection, and another text.
	_, err = f.search(ctx, 1, "10.1.0.", t0.Add(5*time.Millisecond), t0.Add(time.Second), do)
	require.NoError(t, err)
	require.Equal(t, 2, calls)
	_, err = f.search(ctx, 2, "10.1.0.", t0, t0.Add(time.Second), do)
	require.NoError(t, err)
	_, err = f.search(ctx, 1, "10.2.0.", t0, t0.Add(time.Second), do)
	require.NoError(t, err)
	require.Equal(t, 4, calls)

	// A failed search serves no later look-up.
	boom := errors.New("HTTP 500")
	_, err = f.search(ctx, 3, "10.1.0.", t0, t0, func(context.Context) ([]wug.DeviceOverview, error) { return nil, boom })
	require.ErrorIs(t, err, boom)
	require.False(t, f.known(3, "10.1.0.", t0))
	_, err = f.search(ctx, 3, "10.1.0.", t0, t0.Add(time.Millisecond), do)
	require.NoError(t, err)
	require.Equal(t, 5, calls)

	// Past searchKeep an answer is dropped: each finished search scheduled
	// its drop once, and a drop takes only its own search's answer.
	require.Len(t, drops, 6)
	require.True(t, f.known(1, "10.1.0.", t0))
	for _, drop := range drops {
		drop()
	}
	require.Empty(t, f.byKey)
	require.False(t, f.known(1, "10.1.0.", t0))
	_, err = f.search(ctx, 1, "10.1.0.", t0, t0.Add(time.Second), do)
	require.NoError(t, err)
	require.Equal(t, 6, calls)
}

// gateLimiter holds every device search at the limiter until the test lets
// it go; other requests (the token) pass.
type gateLimiter struct {
	entered chan struct{}
	release chan struct{}
}

func (g *gateLimiter) Acquire(ctx context.Context, op string) (func(), error) {
	if op != wug.OpSearchDevices {
		return func() {}, nil
	}
	g.entered <- struct{}{}
	select {
	case <-g.release:
		return func() {}, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// TestALookUpSharesASearchStillWaitingForTheLimiter counts the WUG searches
// of look-ups on a busy connection: a search asked for before a look-up's
// call ended, but still waiting for the limiter, serves that look-up (its
// request goes out later, so it sees what the call made); once the request
// went out, it serves only calls that ended before.
func TestALookUpSharesASearchStillWaitingForTheLimiter(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	sim := wugsim.New(wugsim.Options{})
	srv := httptest.NewServer(sim)
	t.Cleanup(srv.Close)
	t.Cleanup(sim.Close)
	gate := &gateLimiter{entered: make(chan struct{}), release: make(chan struct{})}
	client, err := wug.New(wug.Config{Name: "lab", BaseURL: srv.URL, Username: wugsim.DefaultUsername,
		Password: wugsim.DefaultPassword, Timeout: 5 * time.Second, Limiter: gate})
	require.NoError(t, err)
	const route = "GET /api/v1/device-groups/{groupId}/devices/-"
	do := func(ctx context.Context) ([]wug.DeviceOverview, error) { return client.SearchDevices(ctx, "10.1.0.") }

	f := newSearchFlights()
	f.after = func(time.Duration, func()) {}
	t0 := time.Date(2026, 12, 7, 6, 0, 0, 0, time.UTC)
	var mu sync.Mutex
	clock := t0
	f.clock = func() time.Time { mu.Lock(); defer mu.Unlock(); return clock }
	setClock := func(at time.Time) { mu.Lock(); defer mu.Unlock(); clock = at }

	// Asked for at t0, the search waits for the limiter.
	leader := make(chan error)
	go func() {
		_, err := f.search(ctx, 1, "10.1.0.", t0, t0, do)
		leader <- err
	}()
	<-gate.entered
	// A call that ended at t0+5s: the search has not gone out, so it
	// serves that look-up too.
	require.True(t, f.known(1, "10.1.0.", t0.Add(5*time.Second)))
	joined := make(chan error)
	go func() {
		_, err := f.search(ctx, 1, "10.1.0.", t0.Add(5*time.Second), t0.Add(5*time.Second), do)
		joined <- err
	}()
	// It goes out at t0+10s.
	setClock(t0.Add(10 * time.Second))
	gate.release <- struct{}{}
	require.NoError(t, <-leader)
	require.NoError(t, <-joined)
	require.Equal(t, 1, sim.CountRequests(route), "the look-up took the waiting search's answer")

	// Sent at t0+10s, it serves a call that ended at t0+9s, not one that
	// ended at t0+11s (which searches again).
	require.True(t, f.known(1, "10.1.0.", t0.Add(9*time.Second)))
	require.False(t, f.known(1, "10.1.0.", t0.Add(11*time.Second)))
	_, err = f.search(ctx, 1, "10.1.0.", t0.Add(9*time.Second), t0.Add(12*time.Second), do)
	require.NoError(t, err)
	require.Equal(t, 1, sim.CountRequests(route))
	go func() { <-gate.entered; gate.release <- struct{}{} }()
	_, err = f.search(ctx, 1, "10.1.0.", t0.Add(11*time.Second), t0.Add(12*time.Second), do)
	require.NoError(t, err)
	require.Equal(t, 2, sim.CountRequests(route))
}
