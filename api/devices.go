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
	return s.queueObjectSync(ctx, models.ObjectDevice, deviceID, trigger)
}

// queueObjectSync is queueDeviceSync for a device or a virtual machine.
// A VM reaches the connections that export VMs; on the others a VM they
// exported before leaves WUG by the decommission action.
func (s *Server) queueObjectSync(ctx context.Context, t models.ObjectType, id int64, trigger models.Trigger) (int64, error) {
	count, what := s.q.syncTargets, "no connection is active with export enabled"
	if t == models.ObjectVirtualMachine {
		count, what = s.q.vmSyncTargets, "no active, export-enabled connection exports virtual machines (export_virtual_machines)"
	}
	targets, err := count(ctx)
	if err != nil {
		return 0, err
	}
	if targets == 0 {
		return 0, conflict("%s; nothing would receive %s %d", what, t.Noun(), id)
	}
	payload := tasks.DeviceSyncPayload{NetBoxDeviceID: id, Trigger: string(trigger)}
	if t == models.ObjectVirtualMachine {
		payload.NetBoxDeviceID, payload.NetBoxVMID = 0, id
	}
	err = s.p.Enqueuer.Enqueue(ctx, payload)
	if err != nil && !errors.Is(err, tasks.ErrAlreadyQueued) {
		return 0, unavailable("cannot queue the sync: %v", err)
	}
	s.p.Log.WithFields(logrus.Fields{"device_id": id, "object_type": t, "connections": targets, "trigger": trigger}).Info("device sync queued")
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
	c.JSON(http.StatusAccepted, queuedSync{Status: "queued", ObjectType: models.ObjectDevice, NetBoxDeviceID: id, Connections: int(n)})
	return nil
}

// syncNetBoxVM is POST /api/v1/netbox-vms/{vm_id}/sync: the device route
// for a virtual machine.
func (s *Server) syncNetBoxVM(c *gin.Context) error {
	id, err := pathNetBoxID(c, "vm_id")
	if err != nil {
		return err
	}
	if err := decodeNoFields(c.Request); err != nil {
		return err
	}
	n, err := s.queueObjectSync(c.Request.Context(), models.ObjectVirtualMachine, id, models.TriggerAPI)
	if err != nil {
		return err
	}
	c.JSON(http.StatusAccepted, queuedSync{Status: "queued", ObjectType: models.ObjectVirtualMachine, NetBoxVMID: id, Connections: int(n)})
	return nil
}
