package api

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/gin-gonic/gin"
	"gorm.io/gorm"

	"github.com/wugsync/wugsync/models"
)

// listConnections is GET /api/v1/connections.
func (s *Server) listConnections(c *gin.Context) error {
	p, err := parsePage(c)
	if err != nil {
		return err
	}
	conns, total, err := s.q.connections(c.Request.Context(), p)
	if err != nil {
		return err
	}
	ids := make([]uint, len(conns))
	for i, conn := range conns {
		ids[i] = conn.ID
	}
	lastRuns, err := models.LastExportRuns(c.Request.Context(), s.p.DB, ids...)
	if err != nil {
		return err
	}
	views := make([]connectionView, 0, len(conns))
	for _, conn := range conns {
		views = append(views, newConnectionView(conn, lastRuns))
	}
	c.JSON(http.StatusOK, page[connectionView]{Items: views, Total: total, Limit: p.Limit, Offset: p.Offset})
	return nil
}

// createConnection is POST /api/v1/connections.
func (s *Server) createConnection(c *gin.Context) error {
	var in connectionInput
	if err := decodeJSON(c.Request, &in, false); err != nil {
		return err
	}
	conn := models.NewWUGConnection()
	if err := in.apply(&conn, s.p.Sealer, s.deny, true); err != nil {
		return err
	}
	if err := s.checkWritebackField(c.Request.Context(), conn); err != nil {
		return err
	}
	if err := s.p.DB.WithContext(c.Request.Context()).Create(&conn).Error; err != nil {
		if models.IsUniqueViolation(err) {
			return saveConflict(conn, err)
		}
		return fmt.Errorf("create connection %q: %w", conn.Name, err)
	}
	s.requestLog(c).WithField("connection", conn.Name).Info("connection created")
	c.Header("Location", fmt.Sprintf("/api/v1/connections/%d", conn.ID))
	c.JSON(http.StatusCreated, newConnectionView(conn, nil))
	return nil
}

// getConnection is GET /api/v1/connections/{id}.
func (s *Server) getConnection(c *gin.Context) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	conn, err := s.q.connection(c.Request.Context(), id)
	if err != nil {
		return err
	}
	view, err := s.connectionView(c.Request.Context(), conn)
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, view)
	return nil
}

// updateConnection is PATCH /api/v1/connections/{id}: only the fields sent
// change; without "password" the stored one is kept.
func (s *Server) updateConnection(c *gin.Context) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	var in connectionInput
	if err := decodeJSON(c.Request, &in, false); err != nil {
		return err
	}
	ctx := c.Request.Context()
	conn, err := s.q.connection(ctx, id)
	if err != nil {
		return err
	}
	if err := in.apply(&conn, s.p.Sealer, s.deny, false); err != nil {
		return err
	}
	if err := s.checkWritebackField(ctx, conn); err != nil {
		return err
	}
	// Select("*") writes every column, false and zero values included.
	if err := s.p.DB.WithContext(ctx).Model(&conn).Select("*").Omit("id", "created_at").Updates(&conn).Error; err != nil {
		if models.IsUniqueViolation(err) {
			return saveConflict(conn, err)
		}
		return fmt.Errorf("update connection %d: %w", id, err)
	}
	if conn, err = s.q.connection(ctx, id); err != nil {
		return err
	}
	s.requestLog(c).WithField("connection", conn.Name).Info("connection updated")
	view, err := s.connectionView(c.Request.Context(), conn)
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, view)
	return nil
}

// connectionView shows one connection with when its next export starts.
func (s *Server) connectionView(ctx context.Context, conn models.WUGConnection) (connectionView, error) {
	lastRuns, err := models.LastExportRuns(ctx, s.p.DB, conn.ID)
	if err != nil {
		return connectionView{}, err
	}
	return newConnectionView(conn, lastRuns), nil
}

// deleteConnection is DELETE /api/v1/connections/{id}. Its runs and export
// rows go with it (the schema cascades); a connection with an export in
// progress is refused, so no worker writes to rows that vanished.
func (s *Server) deleteConnection(c *gin.Context) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	ctx := c.Request.Context()
	conn, err := s.q.connection(ctx, id)
	if err != nil {
		return err
	}
	active, err := s.q.store.ActiveExport(ctx, conn.ID)
	switch {
	case err == nil:
		e := conflict("connection %q has export run %d %s; wait for it to end before deleting", conn.Name, active.ID, active.Status)
		e.RunID = active.ID
		return e
	case !errors.Is(err, gorm.ErrRecordNotFound):
		return err
	}
	if err := s.p.DB.WithContext(ctx).Delete(&models.WUGConnection{}, conn.ID).Error; err != nil {
		return fmt.Errorf("delete connection %d: %w", id, err)
	}
	s.requestLog(c).WithField("connection", conn.Name).Info("connection deleted")
	c.Status(http.StatusNoContent)
	return nil
}
