package bench

import (
	"math"
	"time"
)

// The targets of issue 15 §6. They are never lowered: a missed target is a
// pass=false line and a paragraph in BENCHMARKS.md on what limits it.
const (
	// coldRatioSmall and coldRatioLarge bound a cold export against the
	// floor: at 10,000 devices and below, and above 10,000 (100,000).
	coldRatioSmall = 1.5
	coldRatioLarge = 2.0
	// warmReadsPer is the N per WUG read a warm re-export may make
	// (ceil(N/250)); warmTimeShare is its time against the cold export.
	warmReadsPer  = 250
	warmTimeShare = 0.20
	// faultsCallsRatio bounds WUG calls under faults against the same
	// export without; faultsTimeRatio the time against the ideal.
	faultsCallsRatio = 1.3
	faultsTimeRatio  = 1.25
	// latencyTimeRatio bounds the export against the ideal under latency.
	latencyTimeRatio = 1.25
	// callsPerDevice is the most WUG calls per new device at the default
	// batch size; callsFewerThanSeed how many times fewer than the old
	// plugin's way they must be (strictly more).
	callsPerDevice     = 0.05
	callsFewerThanSeed = 20.0
	// memoryGrowth bounds peak RSS at the large size against the small
	// one (strictly less); memoryPeak is the most at the large size.
	memoryGrowth = 1.5
	memoryPeak   = 150_000_000
)

// coldTarget is the largest cold ratio that passes at n devices.
func coldTarget(n int) float64 {
	if n <= 10000 {
		return coldRatioSmall
	}
	return coldRatioLarge
}

// coldPass: a cold export within its ratio of the floor.
func coldPass(n int, ratio float64) bool { return ratio <= coldTarget(n) }

// warmMaxReads is ceil(n/250).
func warmMaxReads(n int) int { return int(math.Ceil(float64(n) / warmReadsPer)) }

// warmPass: no write, at most ceil(n/250) reads, at most 20% of the cold
// export's time.
func warmPass(n, writes, reads int, warm, cold time.Duration) bool {
	return writes == 0 && reads <= warmMaxReads(n) && cold > 0 && warm.Seconds() <= warmTimeShare*cold.Seconds()
}

// faultsIdeal is the ideal time under faults: every call at the limit,
// plus the Retry-After pause each 429 asked for (a 429 pauses the whole
// connection, so an ideal client waits it out once per 429).
func faultsIdeal(calls, limit int, rateLimited int, retryAfter time.Duration) time.Duration {
	return time.Duration(float64(calls)/float64(limit)*float64(time.Second)) + time.Duration(rateLimited)*retryAfter
}

// faultsPass: an exact end state, calls within 1.3× the clean export's,
// time within 1.25× the ideal.
func faultsPass(exact bool, calls, cleanCalls int, took, ideal time.Duration) bool {
	return exact && cleanCalls > 0 && float64(calls) <= faultsCallsRatio*float64(cleanCalls) &&
		ideal > 0 && took.Seconds() <= faultsTimeRatio*ideal.Seconds()
}

// latencyIdeal is the floor's WUG calls at the same batch size at the
// limit, plus one NetBox page (reading NetBox overlaps writing to WUG).
func latencyIdeal(floorCalls, limit int, page time.Duration) time.Duration {
	return time.Duration(float64(floorCalls)/float64(limit)*float64(time.Second)) + page
}

// latencyPass: within 1.25× the ideal.
func latencyPass(took, ideal time.Duration) bool {
	return ideal > 0 && took.Seconds() <= latencyTimeRatio*ideal.Seconds()
}

// callsPass: at most 0.05 WUG calls per new device, and more than 20×
// fewer than the old plugin's way.
func callsPass(perDevice, seedPerDevice float64) bool {
	return perDevice <= callsPerDevice && perDevice > 0 && seedPerDevice/perDevice > callsFewerThanSeed
}

// memoryPass: growth under 1.5× and at most 150 MB at the large size.
func memoryPass(small, large uint64) bool {
	return small > 0 && float64(large)/float64(small) < memoryGrowth && large <= memoryPeak
}
