package workers

import (
	"context"
	"iter"
)

// readAhead runs seq in its own goroutine, up to ahead items in front of
// the caller, so that the next NetBox page is read and decoded while the
// caller plans the current one (the planner's pages are CPU and database
// work; reading them one after the other put NetBox's answer time and the
// plan's time end to end on a run's critical path).
//
// Items and errors arrive in seq's order; an error ends the sequence.
// When the caller stops early, seq is stopped at its next item and
// readAhead returns once seq has returned, so nothing runs on behind the
// caller (a page being read is still read to its end first).
func readAhead[T any](ctx context.Context, seq iter.Seq2[T, error], ahead int) iter.Seq2[T, error] {
	return func(yield func(T, error) bool) {
		started, stop := startReadAhead(ctx, seq, ahead)
		defer stop()
		for v, err := range started {
			if !yield(v, err) {
				return
			}
		}
	}
}

// startReadAhead is readAhead begun at once, before anyone ranges over it:
// the planner starts reading its first NetBox page while the primaries
// listing is still being read, instead of after it. The returned sequence
// may be ranged over once. stop ends the reading (seq is stopped at its
// next item) and returns once seq has returned; call it in every case,
// also after ranging to the end.
func startReadAhead[T any](ctx context.Context, seq iter.Seq2[T, error], ahead int) (iter.Seq2[T, error], func()) {
	type item struct {
		v   T
		err error
	}
	ctx, cancel := context.WithCancel(ctx)
	items := make(chan item, ahead)
	go func() {
		defer close(items)
		for v, err := range seq {
			select {
			case items <- item{v, err}:
			case <-ctx.Done():
				return
			}
			if err != nil {
				return
			}
		}
	}()
	stop := func() {
		cancel()
		for range items { // wait for seq to return
		}
	}
	return func(yield func(T, error) bool) {
		for it := range items {
			if !yield(it.v, it.err) || it.err != nil {
				return
			}
		}
	}, stop
}
