package workers

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/wugsync/wugsync/export"
	"github.com/wugsync/wugsync/models"
	"github.com/wugsync/wugsync/tasks"
)

// batchSize is the connection's batch size within WUG's bounds.
func (p *planner) batchSize() int {
	return max(1, min(p.conn.BatchSize, models.MaxBatchSize))
}

// number gives the writing entries about to be stored their batch, in a
// pipelined run: a batch fills in object order across pages and holds one
// object type. Elsewhere commit numbers the whole plan at its end.
func (p *planner) number(entries []*models.PlanEntry) {
	pp := p.pipe
	if pp == nil {
		return
	}
	writes := export.WriteActions()
	for _, e := range entries {
		if !slices.Contains(writes, e.Action) {
			continue
		}
		t := e.Key().ObjectType
		if pp.last == pp.queued || pp.fill == pp.size || t != pp.lastType {
			pp.last, pp.fill, pp.lastType = pp.last+1, 0, t
		}
		e.Batch = pp.last
		pp.fill++
	}
}

// pageDone ends a page of a pipelined run: its creates are checked for
// adoption, then every batch the page completed is opened and enqueued, so
// WUG writes overlap the reading of the next pages.
//
// A page is final when its batches go: the conflict check across NetBox
// (primaries, read before the first page is planned) already knows every
// address, so a later page turns an earlier object into a conflict skip
// only when NetBox changed between the two listings; such an object may
// already be in WUG, and the next run settles it as it settles any change.
// Decommissions are planned after the last page (only then is it known
// which linked objects NetBox no longer lists), once the last batch of
// writes has gone (build), and fill batches of their own.
func (p *planner) pageDone(ctx context.Context) error {
	if p.pipe == nil {
		return nil
	}
	if err := p.resolveAdoptions(ctx); err != nil {
		return err
	}
	p.createPageGroups(ctx)
	return p.closeBatches(ctx, false)
}

// createPageGroups starts creating the missing WUG groups of the page's
// creates, in the background, as the page's batches are enqueued: a
// batch's template call waits for its groups, a level at a time, and
// begun here they are made while the batch task is being picked up. The
// batches resolve the same groups and share a create still in flight
// (createGroup), so no group is created twice; a failure here is theirs
// to meet again. Nothing is started when the connection may not create
// groups.
func (p *planner) createPageGroups(ctx context.Context) {
	paths := p.newPaths
	p.newPaths = nil
	if len(paths) == 0 || !p.conn.CreateMissingGroups {
		return
	}
	p.bg.Add(1)
	go func() {
		defer p.bg.Done()
		_, _ = p.w.resolveGroups(ctx, p.conn, p.client, paths)
	}()
}

// closeBatches opens and enqueues the batches that are complete: every one
// before the batch being filled, that one too when full or when final.
func (p *planner) closeBatches(ctx context.Context, final bool) error {
	pp := p.pipe
	upto := pp.last - 1
	if final || pp.fill == pp.size {
		upto = pp.last
	}
	if upto <= pp.queued {
		return nil
	}
	if err := p.w.store.OpenBatches(ctx, p.run.ID, pp.queued+1, upto, p.w.now()); err != nil {
		return err
	}
	for n := pp.queued + 1; n <= upto; n++ {
		if err := p.w.p.Enqueuer.Enqueue(ctx, tasks.BatchPayload{RunID: p.run.ID, Batch: n}); err != nil && !errors.Is(err, tasks.ErrAlreadyQueued) {
			return fmt.Errorf("enqueue batch %d of run %d: %w", n, p.run.ID, err)
		}
	}
	pp.queued = upto
	return nil
}

// commitPipelined ends a pipelined plan: the last batches go, then the
// counters and planned_at, after which the run may close.
func (p *planner) commitPipelined(ctx context.Context) error {
	if err := p.closeBatches(ctx, true); err != nil {
		return err
	}
	if err := p.w.commitPlanCounts(ctx, p.run); err != nil {
		return err
	}
	return p.w.store.MarkRunPlanned(ctx, p.run, p.w.now(), p.pipe.queued)
}
