package export

import (
	"net/netip"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestConflictTracker(t *testing.T) {
	t.Parallel()

	a := netip.MustParseAddr("10.0.0.1")
	b := netip.MustParseAddr("10.0.0.2")
	v6 := netip.MustParseAddr("2a00:1::1")

	type add struct {
		device int64
		addr   netip.Addr
		with   int64
		clash  bool
	}
	tests := []struct {
		name string
		adds []add
	}{
		{"distinct addresses never conflict", []add{{1, a, 0, false}, {2, b, 0, false}, {3, v6, 0, false}}},
		{"second device on an address conflicts with the first", []add{{1, a, 0, false}, {2, a, 1, true}}},
		{"every later device names the first owner", []add{{1, a, 0, false}, {2, a, 1, true}, {3, a, 1, true}}},
		{"same device twice is not a conflict", []add{{1, a, 0, false}, {1, a, 0, false}}},
		{"ipv4-mapped form is the same address", []add{{1, a, 0, false}, {2, netip.MustParseAddr("::ffff:10.0.0.1"), 1, true}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			for _, useZero := range []bool{true, false} {
				tr := NewConflictTracker(len(tt.adds))
				if useZero {
					tr = &ConflictTracker{}
				}
				for i, step := range tt.adds {
					with, clash := tr.Add(step.device, step.addr)
					require.Equal(t, step.clash, clash, "step %d", i)
					require.Equal(t, step.with, with, "step %d", i)
				}
				_, clash := tr.Add(tt.adds[0].device+1000, tt.adds[0].addr)
				require.True(t, clash, "the first device keeps the address")
			}
		})
	}
}

func TestConflictTrackerStreamsLargeInventory(t *testing.T) {
	t.Parallel()

	const n = 100_000
	tr := NewConflictTracker(n)
	base := netip.MustParseAddr("10.0.0.0")
	addr := base
	for id := int64(1); id <= n; id++ {
		addr = addr.Next()
		_, clash := tr.Add(id, addr)
		require.False(t, clash)
	}

	with, clash := tr.Add(n+1, base.Next())
	require.True(t, clash)
	require.Equal(t, int64(1), with)
	_, clash = tr.Add(n+2, netip.MustParseAddr("192.168.0.1"))
	require.False(t, clash)
}
