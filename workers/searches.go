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
// the answer of a search of that text on the same connection that started
// after its need arose (since: when its failed call ended), running or
// finished: that search saw everything the failed call made. Otherwise it
// searches itself, and later look-ups may take its answer.
type searchFlights struct {
	mu    sync.Mutex
	byKey map[string]*searchFlight
	// after schedules the drop of a finished answer (time.AfterFunc; a
	// test fires it at will). It is the one way answers leave byKey, so an
	// idle worker does not keep one (up to every device of a connection)
	// past searchKeep.
	after func(time.Duration, func())
}

// searchFlight is one WUG search: started is taken before the call waits
// for the rate limiter, so the request itself goes out after it.
type searchFlight struct {
	started time.Time
	done    chan struct{}
	found   []wug.DeviceOverview // shared: read only
	err     error
}

func newSearchFlights() *searchFlights {
	return &searchFlights{byKey: map[string]*searchFlight{}, after: func(d time.Duration, f func()) { time.AfterFunc(d, f) }}
}

// known reports whether a search of text on connID that started at or
// after since has an answer to give or is on its way (a look-up then costs
// no call for that text).
func (f *searchFlights) known(connID uint, text string, since time.Time) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	fl := f.byKey[searchKey(connID, text)]
	return fl != nil && !fl.started.Before(since) && !failed(fl)
}

// search returns the devices WUG holds matching text, from a search that
// started at or after since: one running or finished already, or a new one
// made with do. A failed shared search is not reused by later look-ups.
func (f *searchFlights) search(ctx context.Context, connID uint, text string, since, now time.Time,
	do func(context.Context) ([]wug.DeviceOverview, error)) ([]wug.DeviceOverview, error) {
	key := searchKey(connID, text)
	f.mu.Lock()
	if fl := f.byKey[key]; fl != nil && !fl.started.Before(since) && !failed(fl) {
		f.mu.Unlock()
		select {
		case <-fl.done:
			return fl.found, fl.err
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	fl := &searchFlight{started: now, done: make(chan struct{})}
	f.byKey[key] = fl
	f.mu.Unlock()
	fl.found, fl.err = do(ctx)
	close(fl.done)
	f.after(searchKeep, func() {
		f.mu.Lock()
		defer f.mu.Unlock()
		if f.byKey[key] == fl {
			delete(f.byKey, key)
		}
	})
	return fl.found, fl.err
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
