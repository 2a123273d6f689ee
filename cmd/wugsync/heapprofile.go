package main

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"runtime/pprof"
	"time"
)

// heapWatchInterval is how often a heap watch looks at the heap.
const heapWatchInterval = 100 * time.Millisecond

// watchHeap is a diagnostic of the bench's memory line (`wugsync worker
// --heap-profile FILE`, hidden): it writes a heap profile to path each time
// the heap in use reaches a new peak (5% above the last one written), so the
// file ends up describing what the process held near its peak RSS, and
// path+".txt" the runtime's figures at that moment. Nothing changes when the
// flag is not given; when it is, the process's memory is what it would be
// (the profile rate is Go's default), plus the profiles' own writing.
func watchHeap(ctx context.Context, path string) {
	var written uint64
	tick := time.NewTicker(heapWatchInterval)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		if ms.HeapInuse < written+written/20 {
			continue
		}
		written = ms.HeapInuse
		if err := writeHeapProfile(path, &ms); err != nil {
			fmt.Fprintf(os.Stderr, "heap profile: %v\n", err)
			return
		}
	}
}

// writeHeapProfile replaces path with the heap profile of the last GC and
// path+".txt" with ms and the process's VmHWM and VmRSS.
func writeHeapProfile(path string, ms *runtime.MemStats) error {
	f, err := os.Create(path + ".tmp")
	if err != nil {
		return err
	}
	if err := pprof.Lookup("heap").WriteTo(f, 0); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := os.Rename(path+".tmp", path); err != nil {
		return err
	}
	status, _ := os.ReadFile("/proc/self/status")
	text := fmt.Sprintf("HeapInuse %d\nHeapAlloc %d\nHeapIdle %d\nHeapReleased %d\nStackInuse %d\nSys %d\nNextGC %d\nNumGC %d\nGoroutines %d\n\n%s",
		ms.HeapInuse, ms.HeapAlloc, ms.HeapIdle, ms.HeapReleased, ms.StackInuse, ms.Sys, ms.NextGC, ms.NumGC,
		runtime.NumGoroutine(), status)
	return os.WriteFile(path+".txt", []byte(text), 0o644)
}
