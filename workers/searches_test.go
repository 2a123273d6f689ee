package workers

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

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
