package api

import (
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"
	"github.com/sirupsen/logrus"

	"github.com/wugsync/wugsync/models"
	"github.com/wugsync/wugsync/tasks"
)

// parseIPExportFilter reads the filters of GET /ip-exports (and of the
// seed route, which shares them).
func parseIPExportFilter(c *gin.Context) (ipExportFilter, error) {
	var f ipExportFilter
	var err error
	if f.ConnectionID, err = queryID(c, "connection_id"); err != nil {
		return f, err
	}
	if f.Status, err = queryEnum(c, "status", models.ExportStatuses()); err != nil {
		return f, err
	}
	if raw := strings.TrimSpace(c.Query("ip")); raw != "" {
		addr, ok := normalizeIP(raw)
		if !ok {
			return f, badRequest("ip", fmt.Sprintf("%q is not an IP address", raw))
		}
		f.IP = addr
	}
	if f.DeviceID, err = queryNetBoxID(c, "device_id"); err != nil {
		return f, err
	}
	if f.ObjectType, err = queryEnum(c, "object_type", models.ObjectTypes()); err != nil {
		return f, err
	}
	if f.VMID, err = queryNetBoxID(c, "vm_id"); err != nil {
		return f, err
	}
	f.DeviceName = strings.TrimSpace(c.Query("device"))
	if len(f.DeviceName) > 200 {
		return f, badRequest("device", "is longer than 200 characters")
	}
	return f, nil
}

// listIPExports is GET /api/v1/ip-exports.
func (s *Server) listIPExports(c *gin.Context) error {
	p, err := parsePage(c)
	if err != nil {
		return err
	}
	f, err := parseIPExportFilter(c)
	if err != nil {
		return err
	}
	rows, total, err := s.q.ipExports(c.Request.Context(), f, p)
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, page[models.NetBoxIPExport]{Items: rows, Total: total, Limit: p.Limit, Offset: p.Offset})
	return nil
}

// getIPExport is GET /api/v1/ip-exports/{id}, with a page (limit, offset)
// of its kept attempts.
func (s *Server) getIPExport(c *gin.Context) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	p, err := parsePage(c)
	if err != nil {
		return err
	}
	ctx := c.Request.Context()
	row, err := s.q.ipExport(ctx, id)
	if err != nil {
		return err
	}
	attempts, total, err := s.q.attempts(ctx, row.ID, p)
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, ipExportView{NetBoxIPExport: row, Attempts: attempts, AttemptHistoryTotal: total,
		Limit: p.Limit, Offset: p.Offset})
	return nil
}

// retryIPExport is POST /api/v1/ip-exports/{id}/retry: it syncs the row's
// device on the row's connection again.
func (s *Server) retryIPExport(c *gin.Context) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	if err := decodeNoFields(c.Request); err != nil {
		return err
	}
	ctx := c.Request.Context()
	row, err := s.q.ipExport(ctx, id)
	if err != nil {
		return err
	}
	conn, err := s.q.connection(ctx, row.ConnectionID)
	if err != nil {
		return err
	}
	if !conn.IsActive || !conn.EnableNetBoxExport {
		return conflict("connection %q is not active or has export disabled", conn.Name)
	}
	key := row.Key()
	answer := queuedSync{Status: "queued", ObjectType: key.ObjectType, ConnectionID: row.ConnectionID, Connections: 1}
	payload := tasks.DeviceSyncPayload{ConnectionID: row.ConnectionID, Trigger: string(models.TriggerManual)}
	if key.ObjectType == models.ObjectVirtualMachine {
		payload.NetBoxVMID, answer.NetBoxVMID = key.ObjectID, key.ObjectID
	} else {
		payload.NetBoxDeviceID, answer.NetBoxDeviceID = key.ObjectID, key.ObjectID
	}
	err = s.p.Enqueuer.Enqueue(ctx, payload)
	if err != nil && !errors.Is(err, tasks.ErrAlreadyQueued) {
		return unavailable("cannot queue the sync: %v", err)
	}
	s.requestLog(c).WithFields(logrus.Fields{"connection": conn.Name, "device_id": key.ObjectID, "object_type": key.ObjectType}).Info("ip export retry queued")
	c.JSON(http.StatusAccepted, answer)
	return nil
}
