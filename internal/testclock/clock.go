// Package testclock holds the one test clock, apart from testinfra so that
// the packages testinfra itself imports (wug, through models and export) can
// use it in their tests without an import cycle.
package testclock

import (
	"sync"
	"time"
)

// Clock is a test's clock: it moves only when the test says so, so what
// depends on time (token expiry, debounce windows) is tested without
// waiting. It is safe for concurrent use; pass its Now method where code
// takes a func() time.Time.
type Clock struct {
	mu  sync.Mutex
	now time.Time
}

// New returns a clock standing at start.
func New(start time.Time) *Clock { return &Clock{now: start} }

// Now returns the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Advance moves the clock forward by d.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}
