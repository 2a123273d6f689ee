package netbox

import (
	"context"
	"net/http"
	"sync"
	"time"
)

// ServerClock records NetBox's own clock as its answers show it (the HTTP
// Date header): the earliest Date of the answers made under a context that
// carries it. An incremental export asks NetBox for what changed since a
// time on NetBox's clock, so that time must come from NetBox, not from the
// clock of the host wugsync runs on (reference §2.2, last_updated__gte).
type ServerClock struct {
	mu    sync.Mutex
	first time.Time
}

type serverClockKey struct{}

// WithServerClock returns a context under which every successful NetBox
// answer notes its Date in clock.
func WithServerClock(ctx context.Context, clock *ServerClock) context.Context {
	return context.WithValue(ctx, serverClockKey{}, clock)
}

// Earliest is the earliest Date NetBox answered with, and false when no
// answer carried one.
func (c *ServerClock) Earliest() (time.Time, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.first, !c.first.IsZero()
}

// noteServerClock records the Date of an answer in the context's clock.
func noteServerClock(ctx context.Context, h http.Header) {
	c, _ := ctx.Value(serverClockKey{}).(*ServerClock)
	if c == nil || h == nil {
		return
	}
	t, err := http.ParseTime(h.Get("Date"))
	if err != nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.first.IsZero() || t.Before(c.first) {
		c.first = t.UTC()
	}
}
