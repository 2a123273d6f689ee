package api

import (
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/sirupsen/logrus"
	"gorm.io/gorm"

	"github.com/wugsync/wugsync/models"
	"github.com/wugsync/wugsync/tasks"
)

// MaxPlanAge is how old a dry run's plan may be and still be applied: past
// it NetBox and WUG have moved on too far for the plan a person reviewed to
// mean what it said.
const MaxPlanAge = time.Hour

// applyRun is POST /api/v1/sync-logs/{id}/apply: it turns a completed dry
// run's stored plan into a new run, which writes what the plan said (the
// objects NetBox changed since are decided again; the run lists them in
// replanned). A person asks for it, so it runs even on a connection whose
// periodic export is off.
func (s *Server) applyRun(c *gin.Context) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	if err := decodeNoFields(c.Request); err != nil {
		return err
	}
	ctx := c.Request.Context()
	source, err := s.q.run(ctx, id)
	if err != nil {
		return err
	}
	if err := s.checkApplicable(source); err != nil {
		return err
	}
	switch applying, err := s.q.store.ApplyingRun(ctx, source.ID); {
	case err == nil:
		e := conflict("dry run %d is already applied by run %d (%s)", source.ID, applying.ID, applying.Status)
		e.RunID = applying.ID
		return e
	case !models.IsNotFound(err):
		return err
	}
	conn, err := s.q.connection(ctx, source.ConnectionID)
	if err != nil {
		return err
	}
	from := source.ID
	run, err := tasks.StartExport(ctx, s.q.store, s.p.Enqueuer, tasks.ExportRequest{
		ConnectionID: conn.ID, Trigger: models.TriggerManual, Filters: source.Filters, AppliedFrom: &from,
	})
	var active *tasks.ActiveRunError
	switch {
	case errors.As(err, &active):
		e := conflict("connection %q already has export run %d %s; apply the plan when it ends", conn.Name, active.Run.ID, active.Run.Status)
		e.RunID = active.Run.ID
		return e
	case errors.Is(err, tasks.ErrConnectionInactive):
		return conflict("connection %q is not active (is_active is false)", conn.Name)
	case errors.Is(err, tasks.ErrConnectionNotFound):
		return notFound("no connection with id %d", source.ConnectionID)
	case err != nil:
		return fmt.Errorf("apply dry run %d: %w", source.ID, err)
	}
	s.p.Log.WithFields(logrus.Fields{"connection": conn.Name, "run_id": run.ID, "applied_from": source.ID}).
		Info("dry run plan applied as a new run")
	c.Header("Location", runURL(run.ID))
	c.JSON(http.StatusAccepted, exportStarted{RunID: run.ID, Status: run.Status, URL: runURL(run.ID)})
	return nil
}

// checkApplicable refuses (409) a run whose plan cannot be applied, saying
// why: only the plan of a completed export dry run made within MaxPlanAge.
func (s *Server) checkApplicable(r models.WUGSyncLog) error {
	switch {
	case !r.DryRun:
		return conflict("run %d is not a dry run: only the plan of a completed dry run can be applied", r.ID)
	case r.SyncType != models.SyncExport:
		return conflict("run %d is a %s dry run: only the plan of an export dry run can be applied", r.ID, r.SyncType)
	case r.Status != models.RunCompleted || r.PlannedAt == nil:
		return conflict("dry run %d is %s: only the plan of a completed dry run can be applied", r.ID, r.Status)
	}
	if age := s.p.Now().Sub(*r.PlannedAt); age > MaxPlanAge {
		return conflict("the plan of dry run %d was made %s ago, more than %s: NetBox and WUG may have moved on; "+
			"start a new dry run and apply that", r.ID, age.Round(time.Minute), MaxPlanAge)
	}
	return nil
}

// consideredOnly leaves out the plan entries of objects excluded for their
// status: the seed's answer has one result per device considered
// (total_devices), and those are outside it (devices_excluded).
func consideredOnly(tx *gorm.DB) *gorm.DB { return tx.Where("excluded = ?", false) }
