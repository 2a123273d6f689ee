package api

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/wugsync/wugsync/models"
	"github.com/wugsync/wugsync/tasks"
)

// MaxWaitSeconds bounds ?wait=: long enough for a typical export, short
// enough for proxies and clients to keep the request open.
const MaxWaitSeconds = 300

// listRuns is GET /api/v1/sync-logs, newest first.
func (s *Server) listRuns(c *gin.Context) error {
	p, err := parsePage(c)
	if err != nil {
		return err
	}
	var f runFilter
	if f.ConnectionID, err = queryID(c, "connection_id"); err != nil {
		return err
	}
	if f.Status, err = queryEnum(c, "status", models.RunStatuses()); err != nil {
		return err
	}
	if f.SyncType, err = queryEnum(c, "sync_type", models.SyncTypes()); err != nil {
		return err
	}
	ctx := c.Request.Context()
	runs, total, err := s.q.runs(ctx, f, p)
	if err != nil {
		return err
	}
	views, err := s.q.runViews(ctx, runs)
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, page[runView]{Items: views, Total: total, Limit: p.Limit, Offset: p.Offset})
	return nil
}

// getRun is GET /api/v1/sync-logs/{id}; with ?wait=N it answers when the
// run ends or after N seconds, whichever comes first, with the run as it
// then is.
func (s *Server) getRun(c *gin.Context) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	wait, err := queryInt(c, "wait", 0, 0, MaxWaitSeconds)
	if err != nil {
		return err
	}
	run, err := s.waitRun(c.Request.Context(), id, time.Duration(wait)*time.Second)
	if err != nil {
		return err
	}
	views, err := s.q.runViews(c.Request.Context(), []models.WUGSyncLog{run})
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, views[0])
	return nil
}

// waitRun loads a run and, when it is still active and wait is positive,
// blocks until it ends (announced on Redis) or wait passes.
func (s *Server) waitRun(ctx context.Context, id uint, wait time.Duration) (models.WUGSyncLog, error) {
	run, err := s.q.run(ctx, id)
	if err != nil || wait <= 0 || !run.Status.Active() {
		return run, err
	}
	waitCtx, cancel := context.WithTimeout(ctx, wait)
	defer cancel()
	ended, err := s.waiter.Wait(waitCtx, run.ID)
	switch {
	case err == nil:
		return ended, nil
	case errors.Is(err, context.DeadlineExceeded) && ctx.Err() == nil:
		// The wait is over and the run goes on: report where it stands.
		return s.q.run(ctx, id)
	case ctx.Err() != nil:
		return run, ctx.Err()
	case errors.Is(err, tasks.ErrTooManyWaiters):
		e := unavailable("too many clients are waiting for runs to end (at most %d per API process): "+
			"retry later, or poll %s without ?wait", s.waiter.Max(), runURL(run.ID))
		e.RunID, e.Cause = run.ID, err
		return ended, e
	}
	e := unavailable("cannot wait for run %d: %v", run.ID, err)
	e.Cause = err
	return run, e
}

// getPlan is GET /api/v1/sync-logs/{id}/plan.
func (s *Server) getPlan(c *gin.Context) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	p, err := parsePage(c)
	if err != nil {
		return err
	}
	action, err := queryEnum(c, "action", models.PlanActions())
	if err != nil {
		return err
	}
	ctx := c.Request.Context()
	run, err := s.q.run(ctx, id)
	if err != nil {
		return err
	}
	entries, total, err := s.q.planEntries(ctx, run.ID, action, p)
	if err != nil {
		return err
	}
	views, err := s.q.runViews(ctx, []models.WUGSyncLog{run})
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, planPage{Run: views[0], Items: entries, Total: total, Limit: p.Limit, Offset: p.Offset})
	return nil
}
