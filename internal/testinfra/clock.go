package testinfra

import "github.com/wugsync/wugsync/internal/testclock"

// Clock is the one test clock (see testclock); testinfra re-exports it so
// test bundles need one import.
type Clock = testclock.Clock

// NewClock returns a clock standing at start.
var NewClock = testclock.New
