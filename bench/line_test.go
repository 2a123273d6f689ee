package bench

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestResultLineIsOneParsableLine(t *testing.T) {
	t.Parallel()
	r := Result{Name: "cold", N: 10000, Stack: "sqlite", Pass: true,
		Figures:  []Figure{Fig("ratio", 1.234), Fig("reads", 13)},
		Settings: []Figure{Fig("poll_interval", "50 ms")}}
	require.Equal(t, "BENCH cold ratio=1.23 reads=13 poll_interval=50_ms n=10000 stack=sqlite pass=true", r.Line())
}
