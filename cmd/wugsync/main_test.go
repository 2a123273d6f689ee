package main

import (
	"os"
	"testing"
)

// envRunMain makes the test binary run wugsync's main instead of the tests,
// so a test can start the real command as a subprocess (and send it
// signals) without building the binary first.
const envRunMain = "WUGSYNC_TEST_RUN_MAIN"

func TestMain(m *testing.M) {
	if os.Getenv(envRunMain) == "1" {
		main() // exits non-zero itself on error
		os.Exit(0)
	}
	os.Exit(m.Run())
}
