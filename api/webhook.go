package api

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/sirupsen/logrus"
	"gorm.io/gorm"

	"github.com/wugsync/wugsync/models"
	"github.com/wugsync/wugsync/netbox"
	"github.com/wugsync/wugsync/tasks"
)

// webhookAnswer is the 202 body of the webhook receiver.
type webhookAnswer struct {
	Status     string  `json:"status"`
	Event      string  `json:"event"`
	ObjectType string  `json:"object_type"`
	ObjectID   int64   `json:"object_id,omitempty"`
	Action     string  `json:"action,omitempty"`
	DeviceIDs  []int64 `json:"device_ids"`
	// VMIDs are the virtual machines queued, beside DeviceIDs.
	VMIDs  []int64 `json:"vm_ids,omitempty"`
	Reason string  `json:"reason,omitempty"`
}

// receiveWebhook is POST /api/v1/webhooks/netbox. It verifies the
// signature over the raw body before reading anything from it, answers
// within milliseconds (NetBox neither retries nor times out), and only
// queues work that coalesces, so a burst or a replay of one event is
// harmless.
func (s *Server) receiveWebhook(c *gin.Context) error {
	if s.p.WebhookSecret == "" {
		s.metrics.webhook("", "refused")
		return unavailable("webhooks are refused: WUGSYNC_WEBHOOK_SECRET is not set; set it and the same secret on the NetBox webhook")
	}
	body, err := readBody(c.Request)
	if err != nil {
		return err
	}
	if err := netbox.VerifySignature([]byte(s.p.WebhookSecret), body, c.GetHeader(netbox.SignatureHeader)); err != nil {
		s.metrics.webhook("", "bad_signature")
		s.requestLog(c).WithField("reason", err.Error()).Warn("webhook refused")
		if errors.Is(err, netbox.ErrSignatureMissing) {
			return unauthorized("the " + netbox.SignatureHeader + " header is missing: give the NetBox webhook the secret WUGSYNC_WEBHOOK_SECRET holds")
		}
		return unauthorized("the " + netbox.SignatureHeader + " signature does not match the body and WUGSYNC_WEBHOOK_SECRET")
	}
	ev, err := netbox.ParseWebhook(body)
	if err != nil {
		s.metrics.webhook("", "bad_payload")
		return badRequest("", err.Error())
	}
	if echo, err := s.writebackEcho(c.Request.Context(), ev); err != nil {
		s.metrics.webhook(ev.ObjectType, "error")
		return err
	} else if echo != "" {
		// Our own write-back coming back: nothing for WUG changed, so no
		// task, no NetBox read and no WUG call.
		s.metrics.webhook(ev.ObjectType, webhookEcho)
		c.JSON(http.StatusAccepted, webhookAnswer{Status: webhookIgnored, Event: ev.Event, ObjectType: ev.ObjectType,
			DeviceIDs: []int64{}, Reason: echo})
		return nil
	}
	act, err := planWebhook(ev)
	if err != nil {
		s.metrics.webhook(ev.ObjectType, "bad_payload")
		return badRequest("data", err.Error())
	}
	answer := webhookAnswer{Status: "queued", Event: ev.Event, ObjectType: ev.ObjectType, ObjectID: act.ObjectID,
		Action: act.Kind, DeviceIDs: []int64{}, Reason: act.Reason}
	if act.Kind == webhookIgnored {
		answer.Status, answer.Action = webhookIgnored, ""
		s.metrics.webhook(ev.ObjectType, webhookIgnored)
		c.JSON(http.StatusAccepted, answer)
		return nil
	}
	if answer.DeviceIDs, answer.VMIDs, err = s.enqueueWebhookAction(c, act); err != nil {
		s.metrics.webhook(ev.ObjectType, "error")
		return err
	}
	if len(answer.DeviceIDs) == 0 && len(answer.VMIDs) == 0 {
		answer.Status, answer.Action, answer.Reason = webhookIgnored, "", "no device holds the address, before or after the change"
		s.metrics.webhook(ev.ObjectType, webhookIgnored)
		c.JSON(http.StatusAccepted, answer)
		return nil
	}
	s.metrics.webhook(ev.ObjectType, act.Kind)
	s.requestLog(c).WithFields(logrus.Fields{"event": ev.Event, "object_type": ev.ObjectType,
		"object_id": act.ObjectID, "device_ids": answer.DeviceIDs, "vm_ids": answer.VMIDs, "action": act.Kind}).Info("webhook queued")
	c.JSON(http.StatusAccepted, answer)
	return nil
}

// enqueueWebhookAction resolves former addresses to devices and VMs and
// queues them: a deletion as one debounced decommission task per object, a
// change into the connections' sync queues (tasks.SyncQueue).
func (s *Server) enqueueWebhookAction(c *gin.Context, act webhookAction) (devices, vms []int64, err error) {
	ctx := c.Request.Context()
	devices = append([]int64{}, act.DeviceIDs...)
	vms = append([]int64{}, act.VMIDs...)
	if len(act.Addresses) > 0 {
		byIP, err := s.q.devicesByIP(ctx, 0, act.Addresses)
		if err != nil {
			return nil, nil, err
		}
		vmsByIP, err := s.q.objectsByIP(ctx, 0, models.ObjectVirtualMachine, act.Addresses)
		if err != nil {
			return nil, nil, err
		}
		for _, addr := range act.Addresses {
			for _, id := range byIP[addr] {
				devices = appendUnique(devices, id)
			}
			for _, id := range vmsByIP[addr] {
				vms = appendUnique(vms, id)
			}
		}
	}
	if act.Kind == webhookDecommission {
		trigger := string(models.TriggerWebhook)
		for _, o := range syncObjects(devices, vms) {
			err := s.p.Enqueuer.Enqueue(ctx, tasks.DecommissionPayload{NetBoxDeviceID: deviceOf(o), NetBoxVMID: vmOf(o), Trigger: trigger})
			if err != nil && !errors.Is(err, tasks.ErrAlreadyQueued) {
				// A failure status makes NetBox record the delivery as
				// failed, where a person can requeue it.
				return nil, nil, unavailable("cannot queue the %s of %s: %v", act.Kind, syncedNoun(deviceOf(o), vmOf(o)), err)
			}
		}
	} else if err := s.queueWebhookSyncs(ctx, syncObjects(devices, vms)); err != nil {
		return nil, nil, err
	}
	if len(vms) == 0 {
		vms = nil
	}
	return devices, vms, nil
}

// queueWebhookSyncs puts the objects in the sync queue of every exporting
// connection. The first event of a quiet connection enqueues its drain task
// to run at once; the rest of a burst only joins the queue, where the
// drain takes them a batch (one NetBox read) at a time.
func (s *Server) queueWebhookSyncs(ctx context.Context, objs []tasks.SyncObject) error {
	if len(objs) == 0 {
		return nil
	}
	connIDs, err := s.hookConns.get(ctx, s.p.DB, s.p.Now())
	if err != nil {
		return err
	}
	q := tasks.NewSyncQueue(s.p.Redis).WithClock(s.p.Enqueuer.Now)
	for _, id := range connIDs {
		if err := tasks.EnqueueSync(ctx, q, s.p.Enqueuer, id, objs); err != nil {
			return unavailable("cannot queue the sync of %d objects on connection %d: %v", len(objs), id, err)
		}
	}
	return nil
}

// exportingCacheTTL is how long the webhook receiver reuses its list of
// exporting connections. A bulk edit sends thousands of webhooks a second,
// and on SQLite each query waits for the database's one connection behind
// the workers' writes. A connection switched on within the TTL misses at
// most that much of the events (its runs catch up); one switched off gets
// them for as long, and its drain drops them.
const exportingCacheTTL = time.Second

// exportingCache holds the ids of the active, export-enabled connections.
type exportingCache struct {
	mu      sync.Mutex
	fetched time.Time
	ids     []uint
}

func (c *exportingCache) get(ctx context.Context, db *gorm.DB, now time.Time) ([]uint, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if age := now.Sub(c.fetched); !c.fetched.IsZero() && age >= 0 && age < exportingCacheTTL {
		return c.ids, nil
	}
	var ids []uint
	if err := db.WithContext(ctx).Model(&models.WUGConnection{}).
		Where("is_active = ? AND enable_netbox_export = ?", true, true).Order("id").Pluck("id", &ids).Error; err != nil {
		return nil, fmt.Errorf("list exporting connections for a webhook: %w", err)
	}
	c.ids, c.fetched = ids, now
	return ids, nil
}

// syncObjects lists devices then VMs as sync queue objects.
func syncObjects(devices, vms []int64) []tasks.SyncObject {
	out := make([]tasks.SyncObject, 0, len(devices)+len(vms))
	for _, id := range devices {
		out = append(out, tasks.SyncObject{ID: id})
	}
	for _, id := range vms {
		out = append(out, tasks.SyncObject{VM: true, ID: id})
	}
	return out
}

func deviceOf(o tasks.SyncObject) int64 {
	if o.VM {
		return 0
	}
	return o.ID
}

func vmOf(o tasks.SyncObject) int64 {
	if o.VM {
		return o.ID
	}
	return 0
}

// syncedNoun names the object of a sync task for a message.
func syncedNoun(deviceID, vmID int64) string {
	if vmID != 0 {
		return fmt.Sprintf("virtual machine %d", vmID)
	}
	return fmt.Sprintf("device %d", deviceID)
}
