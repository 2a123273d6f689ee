package api

import (
	"context"
	"errors"
	"net/http"

	"github.com/gin-gonic/gin"
	"github.com/sirupsen/logrus"

	"github.com/wugsync/wugsync/models"
	"github.com/wugsync/wugsync/tasks"
)

// queueDeviceSync queues a sync of one NetBox device to every active,
// export-enabled connection, and returns how many connections it reaches.
// With none there is nothing to do, which the caller hears as a 409.
func (s *Server) queueDeviceSync(ctx context.Context, deviceID int64, trigger models.Trigger) (int64, error) {
	targets, err := s.q.syncTargets(ctx)
	if err != nil {
		return 0, err
	}
	if targets == 0 {
		return 0, conflict("no connection is active with export enabled; nothing would receive device %d", deviceID)
	}
	err = s.p.Enqueuer.Enqueue(ctx, tasks.DeviceSyncPayload{NetBoxDeviceID: deviceID, Trigger: string(trigger)})
	if err != nil && !errors.Is(err, tasks.ErrAlreadyQueued) {
		return 0, unavailable("cannot queue the sync: %v", err)
	}
	s.p.Log.WithFields(logrus.Fields{"device_id": deviceID, "connections": targets, "trigger": trigger}).Info("device sync queued")
	return targets, nil
}

// syncNetBoxDevice is POST /api/v1/netbox-devices/{device_id}/sync.
func (s *Server) syncNetBoxDevice(c *gin.Context) error {
	id, err := pathNetBoxID(c, "device_id")
	if err != nil {
		return err
	}
	if err := decodeNoFields(c.Request); err != nil {
		return err
	}
	n, err := s.queueDeviceSync(c.Request.Context(), id, models.TriggerAPI)
	if err != nil {
		return err
	}
	c.JSON(http.StatusAccepted, queuedSync{Status: "queued", NetBoxDeviceID: id, Connections: int(n)})
	return nil
}
