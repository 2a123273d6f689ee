package bench

import (
	"context"
	"fmt"
	"path/filepath"

	"github.com/wugsync/wugsync/config"
)

// memoryNetBoxRate is the NetBox rate limit of the memory line's worker:
// high enough that pacing NetBox reads does not stretch the export (it
// changes the time, not what the worker holds).
const memoryNetBoxRate = 10000

// memory exports each size with one separate `wugsync worker` process
// (production settings, no GOGC or ballast) while the simulators stay in
// the bench process, and compares the worker's peak RSS (VmHWM).
func (r *runner) memory(ctx context.Context, sizes [2]int) (Result, error) {
	var peaks [2]uint64
	r.printf("| n | created | seconds | peak RSS MB | bytes per device |\n|---:|---:|---:|---:|---:|\n")
	for i, n := range sizes {
		peak, created, secs, err := r.workerPeak(ctx, n)
		if err != nil {
			return Result{}, fmt.Errorf("%d devices: %w", n, err)
		}
		peaks[i] = peak
		r.printf("| %d | %d | %.2f | %.1f | %d |\n", n, created, secs, float64(peak)/1e6, peak/uint64(n))
	}
	growth := float64(peaks[1]) / float64(peaks[0])
	marginal := (float64(peaks[1]) - float64(peaks[0])) / float64(sizes[1]-sizes[0])
	return r.result("memory", sizes[1], memoryPass(peaks[0], peaks[1]), []Figure{
		Fig("growth", fmt.Sprintf("%.3f", growth)), Fig("target", memoryGrowth),
		Fig("peak", fmt.Sprintf("%.1fMB", float64(peaks[1])/1e6)), Fig("peak_target", "150MB"),
		Fig("peak_small", fmt.Sprintf("%.1fMB", float64(peaks[0])/1e6)), Fig("n_small", sizes[0]),
		Fig("bytes_per_device", peaks[1]/uint64(sizes[1])), Fig("marginal_bytes_per_device", int64(marginal)),
	}, append(fastSettings()[:2], Fig("netbox_rate", memoryNetBoxRate))), nil
}

// workerPeak exports n devices with one worker process and returns its
// VmHWM, the devices created and the export's seconds.
func (r *runner) workerPeak(ctx context.Context, n int) (uint64, int, float64, error) {
	e, err := newEnv(ctx, r.opts, n)
	if err != nil {
		return 0, 0, 0, err
	}
	defer e.close()
	conn, err := e.connection(ctx, "bench", fastConnection)
	if err != nil {
		return 0, 0, 0, err
	}
	env := []string{fmt.Sprintf("%s=%d", config.EnvNetBoxRateLimit, memoryNetBoxRate)}
	if r.opts.Concurrency != config.DefaultWorkerConcurrency {
		env = append(env, fmt.Sprintf("%s=%d", config.EnvWorkerConcurrency, r.opts.Concurrency))
	}
	var args []string
	if dir := r.opts.HeapProfileDir; dir != "" {
		args = append(args, "--heap-profile", filepath.Join(dir, fmt.Sprintf("memory-%d-%s.heap", n, stackOf(r.opts))))
	}
	p, err := startWorkerProcessArgs(ctx, e, args, env...)
	if err != nil {
		return 0, 0, 0, err
	}
	run, took, err := e.export(ctx, conn.ID)
	peak, perr := p.peakRSS()
	serr := p.stop()
	switch {
	case err != nil:
		return 0, 0, 0, err
	case perr != nil:
		return 0, 0, 0, perr
	case serr != nil:
		return 0, 0, 0, serr
	}
	return peak, run.DevicesCreated, took.Seconds(), nil
}
