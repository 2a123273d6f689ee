package bench

import (
	"context"
	"fmt"
	"net/http"

	"github.com/wugsync/wugsync/models"
)

// writebackTarget is DESIGN.md §10's bound on NetBox writes per exported
// object at batch 100 (one bulk PATCH, and with the journal one bulk POST,
// per batch).
const writebackTarget = 0.02

// writebackDevices is the inventory of the write-back benchmark.
const writebackDevices = 1000

// writebackBench exports an inventory with write-back and the journal on
// (batch 100) and counts the NetBox writes per exported object.
func writebackBench(ctx context.Context, opts Options) error {
	e, err := newEnv(ctx, opts, writebackDevices)
	if err != nil {
		return err
	}
	defer e.close()
	conn, err := e.connection(ctx, "bench", func(c *models.WUGConnection) {
		c.NetBoxWriteback, c.NetBoxJournal, c.BatchSize = true, true, 100
	})
	if err != nil {
		return err
	}
	stop, err := e.startWorker(opts.Concurrency)
	if err != nil {
		return err
	}
	defer stop()
	e.nb.ResetRequests()
	run, dur, err := e.export(ctx, conn.ID)
	if err != nil {
		return err
	}
	patches := e.nb.RequestCount(http.MethodPatch, "/api/dcim/devices/")
	journal := e.nb.RequestCount(http.MethodPost, "/api/extras/journal-entries/")
	objects := float64(max(run.DevicesCreated, 1))
	perObject := float64(patches) / objects
	verdict := "within"
	if perObject > writebackTarget {
		verdict = "OVER"
	}
	fmt.Fprintln(opts.Out, "## NetBox writes per exported object (write-back and journal on, batch 100)")
	fmt.Fprintln(opts.Out)
	fmt.Fprintln(opts.Out, "| devices created | custom field PATCHes | write-back writes per object | target | journal POSTs | all NetBox writes per object | seconds |")
	fmt.Fprintln(opts.Out, "|---:|---:|---:|---:|---:|---:|---:|")
	fmt.Fprintf(opts.Out, "| %d | %d | %.3f | ≤ %.2f (%s) | %d | %.3f | %.2f |\n",
		run.DevicesCreated, patches, perObject, writebackTarget, verdict, journal, float64(patches+journal)/objects, dur.Seconds())
	fmt.Fprintln(opts.Out)
	return nil
}
