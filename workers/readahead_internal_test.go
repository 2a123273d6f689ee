package workers

import (
	"context"
	"errors"
	"iter"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// numbers yields 0 to n-1 (an error instead of item failAt, when failAt
// >= 0), counts what it yielded, closes reached once it yielded item
// signal, and closes done when it returns.
func numbers(n, failAt, signal int, produced *atomic.Int64, reached, done chan struct{}) iter.Seq2[int, error] {
	return func(yield func(int, error) bool) {
		defer close(done)
		for i := range n {
			if i == failAt {
				yield(0, errors.New("page 3 failed"))
				return
			}
			produced.Add(1)
			if !yield(i, nil) {
				return
			}
			if i == signal {
				close(reached)
			}
		}
	}
}

// The planner's listing is read ahead of the planning: while the caller
// still holds the first item, the sequence goes on to the items behind it.
// Items come in order, and every one arrives.
func TestReadAheadReadsWhileTheCallerWorks(t *testing.T) {
	t.Parallel()
	const ahead = 5
	var produced atomic.Int64
	reached, done := make(chan struct{}), make(chan struct{})
	var got []int
	for v, err := range readAhead(context.Background(), numbers(20, -1, ahead, &produced, reached, done), ahead) {
		require.NoError(t, err)
		if v == 0 {
			// Read one after the other, item 5 would come only after this
			// one is handled: this wait would never end.
			select {
			case <-reached:
			case <-time.After(30 * time.Second):
				t.Fatal("the sequence did not go on while the caller held its first item")
			}
		}
		got = append(got, v)
	}
	require.Len(t, got, 20)
	for i, v := range got {
		require.Equal(t, i, v, "in order")
	}
	<-done
	require.EqualValues(t, 20, produced.Load())
}

// A caller that stops early stops the sequence too, and nothing runs on
// once readAhead returns; an error ends the sequence where it occurred.
func TestReadAheadStopsWithTheCallerAndAtAnError(t *testing.T) {
	t.Parallel()
	const ahead = 3
	var produced atomic.Int64
	reached, done := make(chan struct{}), make(chan struct{})
	for v := range readAhead(context.Background(), numbers(1000, -1, -1, &produced, reached, done), ahead) {
		require.Zero(t, v)
		break
	}
	select {
	case <-done:
	default:
		t.Fatal("the sequence still runs after readAhead returned")
	}
	require.LessOrEqual(t, produced.Load(), int64(ahead+2), "read no further than the look-ahead")

	produced.Store(0)
	reached, done = make(chan struct{}), make(chan struct{})
	var got []int
	var gotErr error
	for v, err := range readAhead(context.Background(), numbers(10, 3, -1, &produced, reached, done), ahead) {
		if err != nil {
			gotErr = err
			continue
		}
		got = append(got, v)
	}
	require.Equal(t, []int{0, 1, 2}, got)
	require.EqualError(t, gotErr, "page 3 failed")
	<-done
}

// startReadAhead reads before anyone ranges over it (the planner's first
// page is read while the primaries are); ranged over later, every item
// still comes, in order. Stopped without being ranged over, the sequence
// returns.
func TestStartReadAheadReadsBeforeTheCallerRanges(t *testing.T) {
	t.Parallel()
	var produced atomic.Int64
	reached, done := make(chan struct{}), make(chan struct{})
	seq, stop := startReadAhead(context.Background(), numbers(10, -1, 2, &produced, reached, done), 5)
	select {
	case <-reached:
	case <-time.After(30 * time.Second):
		t.Fatal("nothing was read before the caller ranged over the sequence")
	}
	var got []int
	for v, err := range seq {
		require.NoError(t, err)
		got = append(got, v)
	}
	stop()
	require.Equal(t, []int{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}, got)
	<-done

	var unread atomic.Int64
	reached, done = make(chan struct{}), make(chan struct{})
	_, stop = startReadAhead(context.Background(), numbers(100, -1, 0, &unread, reached, done), 5)
	<-reached
	stop()
	<-done // stop returns once the sequence has
	require.Less(t, unread.Load(), int64(100), "stopped, the sequence read no further")
}
