package workers

import (
	"context"
	"strconv"
	"sync"
	"time"

	"github.com/wugsync/wugsync/wug"
)

// searchKeep is how long a finished search's answer may serve another
// look-up of the same connection and text. A look-up only takes an answer
// sent after its own failed call ended, which is seconds at most.
const searchKeep = 30 * time.Second

// searchFlights lets the look-ups for earlier creates of one process share
// WUG searches: batches that fail side by side often search the same
// subnet (a subnet spans neighbouring batches), and under faults those
// searches were a third of all WUG calls. A look-up that needs a text takes
// the answer of a search of that text on the same connection whose request
// went out after its need arose (since: when its failed call ended), or
// has not gone out yet: that search sees everything the failed call made.
// Otherwise it searches itself, and later look-ups may take its answer.
//
// What counts is when the request goes out, not when the search was asked
// for: on a busy connection a search waits seconds for the rate limiter,
// and calls that fail meanwhile (at 10,000 devices, several a second under
// the fault mix) can still share it.
type searchFlights struct {
	mu    sync.Mutex
	byKey map[string]*searchFlight
	// after schedules the drop of a finished answer (time.AfterFunc; a
	// test fires it at will). It is the one way answers leave byKey, so an
	// idle worker does not keep one (up to every device of a connection)
	// past searchKeep.
	after func(time.Duration, func())
	// clock tells when a search's first request goes out (time.Now).
	clock func() time.Time
}

// searchFlight is one WUG search.
type searchFlight struct {
	asked time.Time // when a look-up asked for it, before the limiter's wait
	// sent is when its first request went out (guarded by
	// searchFlights.mu); zero while it waits for the limiter.
	sent  time.Time
	done  chan struct{}
	found []wug.DeviceOverview // shared: read only
	err   error
}

func newSearchFlights() *searchFlights {
	return &searchFlights{byKey: map[string]*searchFlight{},
		after: func(d time.Duration, f func()) { time.AfterFunc(d, f) }, clock: time.Now}
}

// serves reports whether fl sees everything a call that ended at since
// made: its request went out at or after since, or is still to go out
// (then later than now, which is after since). A failed search serves no
// one. Called with f.mu held.
func (f *searchFlights) serves(fl *searchFlight, since time.Time) bool {
	if failed(fl) {
		return false
	}
	return fl.sent.IsZero() || !fl.sent.Before(since)
}

// known reports whether a search of text on connID serves a look-up whose
// call ended at since, answered or on its way (the look-up then costs no
// call for that text).
func (f *searchFlights) known(connID uint, text string, since time.Time) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	fl := f.byKey[searchKey(connID, text)]
	return fl != nil && f.serves(fl, since)
}

// search returns the devices WUG holds matching text, from a search that
// serves since (see serves): one running or finished already, or a new
// one made with do, asked for at now. A failed shared search is not reused
// by later look-ups.
func (f *searchFlights) search(ctx context.Context, connID uint, text string, since, now time.Time,
	do func(context.Context) ([]wug.DeviceOverview, error)) ([]wug.DeviceOverview, error) {
	key := searchKey(connID, text)
	f.mu.Lock()
	if fl := f.byKey[key]; fl != nil && f.serves(fl, since) {
		f.mu.Unlock()
		select {
		case <-fl.done:
			return fl.found, fl.err
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	fl := &searchFlight{asked: now, done: make(chan struct{})}
	f.byKey[key] = fl
	f.mu.Unlock()
	found, err := do(wug.WithSendHook(ctx, func() {
		f.mu.Lock()
		defer f.mu.Unlock()
		if fl.sent.IsZero() {
			fl.sent = f.clock()
		}
	}))
	f.mu.Lock()
	fl.found, fl.err = found, err
	if fl.sent.IsZero() {
		// Answered without a request through the hook: it went out no
		// earlier than it was asked for.
		fl.sent = fl.asked
	}
	close(fl.done)
	f.mu.Unlock()
	f.after(searchKeep, func() {
		f.mu.Lock()
		defer f.mu.Unlock()
		if f.byKey[key] == fl {
			delete(f.byKey, key)
		}
	})
	return found, err
}

func searchKey(connID uint, text string) string {
	return strconv.FormatUint(uint64(connID), 10) + "\x00" + text
}

func finished(fl *searchFlight) bool {
	select {
	case <-fl.done:
		return true
	default:
		return false
	}
}

// failed reports a finished search that got no answer.
func failed(fl *searchFlight) bool { return finished(fl) && fl.err != nil }
