package main

import (
	"fmt"
	"os"
	"testing"

	"go.uber.org/goleak"
)

// envRunMain makes the test binary run wugsync's main instead of the tests,
// so a test can start the real command as a subprocess (and send it
// signals) without building the binary first.
const envRunMain = "WUGSYNC_TEST_RUN_MAIN"

// envCheckLeaks makes such a subprocess look for goroutines still running
// once main returned (goleak), and exit 3 with their stacks if it finds
// any: a role's shutdown must stop everything it started.
const envCheckLeaks = "WUGSYNC_TEST_CHECK_LEAKS"

// exitLeaked is the exit status of a subprocess that leaked goroutines.
const exitLeaked = 3

func TestMain(m *testing.M) {
	if os.Getenv(envRunMain) == "1" {
		main() // exits non-zero itself on error
		if os.Getenv(envCheckLeaks) == "1" {
			if err := goleak.Find(); err != nil {
				fmt.Fprintf(os.Stderr, "goroutines left running after main returned: %v\n", err)
				os.Exit(exitLeaked)
			}
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}
