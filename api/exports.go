package api

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/gin-gonic/gin"
	"github.com/sirupsen/logrus"
	"gorm.io/gorm"

	"github.com/wugsync/wugsync/models"
	"github.com/wugsync/wugsync/tasks"
)

// recentRunCount is how many runs export-status lists.
const recentRunCount = 10

// exportInput is the optional body of POST /connections/{id}/export.
type exportInput struct {
	DeviceFilters *models.DeviceFilters `json:"device_filters"`
	DryRun        bool                  `json:"dry_run"`
	// Full makes the run read the whole selection from NetBox even when an
	// earlier export would let it ask only for what changed since.
	Full bool `json:"full" doc:"read the whole selection from NetBox instead of only what changed since the last export (a full reconcile); default false"`
}

// startExport validates and records a run; shared by the v1 and the seed
// route, which differ only in trigger and answer shape.
func (s *Server) startExport(ctx context.Context, connectionID uint, in exportInput, trigger models.Trigger) (models.WUGSyncLog, error) {
	var filters models.DeviceFilters
	if in.DeviceFilters != nil {
		var err error
		if filters, err = cleanFilters(*in.DeviceFilters, "device_filters"); err != nil {
			return models.WUGSyncLog{}, err
		}
	}
	conn, err := s.q.connection(ctx, connectionID)
	if err != nil {
		return models.WUGSyncLog{}, err
	}
	if !conn.EnableNetBoxExport && !in.DryRun {
		return models.WUGSyncLog{}, conflict("export is disabled for connection %q (enable_netbox_export is false); a dry run is allowed", conn.Name)
	}
	run, err := tasks.StartExport(ctx, s.q.store, s.p.Enqueuer, tasks.ExportRequest{
		ConnectionID: conn.ID, Trigger: trigger, Filters: filters, DryRun: in.DryRun, Full: in.Full,
	})
	var active *tasks.ActiveRunError
	switch {
	case errors.As(err, &active):
		e := conflict("connection %q already has export run %d %s", conn.Name, active.Run.ID, active.Run.Status)
		e.RunID = active.Run.ID
		return models.WUGSyncLog{}, e
	case errors.Is(err, tasks.ErrConnectionNotFound):
		return models.WUGSyncLog{}, notFound("no connection with id %d", connectionID)
	case errors.Is(err, tasks.ErrConnectionInactive):
		return models.WUGSyncLog{}, conflict("connection %q is not active (is_active is false)", conn.Name)
	case err != nil:
		return models.WUGSyncLog{}, fmt.Errorf("start export of connection %q: %w", conn.Name, err)
	}
	s.p.Log.WithFields(logrus.Fields{"connection": conn.Name, "run_id": run.ID, "dry_run": run.DryRun,
		"trigger": trigger}).Info("export run queued")
	return run, nil
}

// triggerExport is POST /api/v1/connections/{id}/export.
func (s *Server) triggerExport(c *gin.Context) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	var in exportInput
	if err := decodeJSON(c.Request, &in, true); err != nil {
		return err
	}
	run, err := s.startExport(c.Request.Context(), id, in, models.TriggerManual)
	if err != nil {
		return err
	}
	c.Header("Location", runURL(run.ID))
	c.JSON(http.StatusAccepted, exportStarted{RunID: run.ID, Status: run.Status, URL: runURL(run.ID)})
	return nil
}

// getExportStatus is GET /api/v1/connections/{id}/export-status.
func (s *Server) getExportStatus(c *gin.Context) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	st, err := s.exportStatus(c.Request.Context(), id)
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, st)
	return nil
}

func (s *Server) exportStatus(ctx context.Context, id uint) (exportStatus, error) {
	conn, err := s.q.connection(ctx, id)
	if err != nil {
		return exportStatus{}, err
	}
	counts, total, err := s.q.exportCounts(ctx, conn.ID)
	if err != nil {
		return exportStatus{}, err
	}
	runs, err := s.q.recentRuns(ctx, conn.ID, recentRunCount)
	if err != nil {
		return exportStatus{}, err
	}
	st := exportStatus{
		ConnectionID: conn.ID, ConnectionName: conn.Name, EnableNetBoxExport: conn.EnableNetBoxExport,
		LastExport: conn.LastExport, Counts: counts, Total: total, RecentRuns: make([]runView, 0, len(runs)),
	}
	for _, r := range runs {
		st.RecentRuns = append(st.RecentRuns, newRunView(r, conn.Name))
	}
	active, err := s.q.store.ActiveExport(ctx, conn.ID)
	switch {
	case err == nil:
		v := newRunView(active, conn.Name)
		st.ActiveRun = &v
	case !errors.Is(err, gorm.ErrRecordNotFound):
		return exportStatus{}, err
	}
	return st, nil
}
