package bench

import (
	"net/netip"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/wugsync/wugsync/export"
	"github.com/wugsync/wugsync/wug"
)

func TestColdPassUsesTheTargetOfTheSize(t *testing.T) {
	t.Parallel()
	require.True(t, coldPass(10000, 1.5))
	require.False(t, coldPass(10000, 1.51))
	require.True(t, coldPass(100000, 2.0))
	require.False(t, coldPass(100000, 2.01))
}

func TestWarmPassNeedsNoWritesFewReadsAndAFifthOfTheColdTime(t *testing.T) {
	t.Parallel()
	require.Equal(t, 34, warmMaxReads(8278)) // ceil(8278/250)
	cold := 10 * time.Second
	require.True(t, warmPass(8278, 0, 34, 2*time.Second, cold))
	require.False(t, warmPass(8278, 1, 0, time.Second, cold), "one write")
	require.False(t, warmPass(8278, 0, 35, time.Second, cold), "one read too many")
	require.False(t, warmPass(8278, 0, 0, 2100*time.Millisecond, cold), "21% of the cold time")
}

func TestFaultsIdealCountsCallsAtTheLimitAndEachRetryAfter(t *testing.T) {
	t.Parallel()
	ideal := faultsIdeal(400, 20, 30, time.Second)
	require.Equal(t, 50*time.Second, ideal) // 400/20 s + 30 × 1 s
	require.True(t, faultsPass(true, 130, 100, 62500*time.Millisecond, ideal))
	require.False(t, faultsPass(false, 100, 100, time.Second, ideal), "end state not exact")
	require.False(t, faultsPass(true, 131, 100, time.Second, ideal), "calls over 1.3×")
	require.False(t, faultsPass(true, 100, 100, 62600*time.Millisecond, ideal), "time over 1.25×")
}

func TestLatencyIdealIsFloorCallsAtTheLimitPlusOnePage(t *testing.T) {
	t.Parallel()
	ideal := latencyIdeal(150, 50, 150*time.Millisecond)
	require.Equal(t, 3150*time.Millisecond, ideal)
	require.True(t, latencyPass(3937*time.Millisecond, ideal))
	require.False(t, latencyPass(3938*time.Millisecond, ideal))
}

func TestCallsPassNeedsFewCallsAndMoreThanTwentyTimesFewerThanTheSeed(t *testing.T) {
	t.Parallel()
	require.True(t, callsPass(0.029, 3.0))
	require.False(t, callsPass(0.051, 3.0), "over 0.05 per device")
	require.False(t, callsPass(0.05, 1.0), "exactly 20× fewer is not more than 20×")
}

func TestMemoryPassBoundsGrowthAndPeak(t *testing.T) {
	t.Parallel()
	require.True(t, memoryPass(80_000_000, 119_000_000))
	require.False(t, memoryPass(80_000_000, 120_000_000), "growth of exactly 1.5×")
	require.False(t, memoryPass(110_000_000, 151_000_000), "over 150 MB")
}

func TestParseVmHWMReadsKilobytes(t *testing.T) {
	t.Parallel()
	status := "Name:\twugsync\nVmPeak:\t 1300000 kB\nVmHWM:\t   87040 kB\nVmRSS:\t   80000 kB\n"
	got, err := parseVmHWM([]byte(status))
	require.NoError(t, err)
	require.Equal(t, uint64(87040*1024), got)
	_, err = parseVmHWM([]byte("Name:\twugsync\n"))
	require.Error(t, err)
	_, err = parseVmHWM([]byte("VmHWM:\t12 MB\n"))
	require.Error(t, err)
}

func TestCheckEndStateFindsEveryDifference(t *testing.T) {
	t.Parallel()
	a, b := netip.MustParseAddr("10.0.0.1"), netip.MustParseAddr("10.0.0.2")
	want := expected{
		a: export.Mapped{Address: a, Template: wug.DeviceTemplate{DisplayName: "sw1"}},
		b: export.Mapped{Address: b, Template: wug.DeviceTemplate{DisplayName: "sw2"}},
	}
	require.Empty(t, checkEndState(want, []wugDevice{{"sw1", "10.0.0.1"}, {"sw2", "10.0.0.2"}}))
	require.Equal(t, "missing=1 duplicates=1 wrong_name=1 unexpected=1",
		checkEndState(want, []wugDevice{{"sw1", "10.0.0.1"}, {"sw1-old", "10.0.0.1"}, {"x", "10.0.0.9"}}))
}
