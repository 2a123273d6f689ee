package api

import (
	"errors"
	"net/http"

	"github.com/gin-gonic/gin"
	"github.com/sirupsen/logrus"

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
	Reason     string  `json:"reason,omitempty"`
}

// receiveWebhook is POST /api/v1/webhooks/netbox. It verifies the
// signature over the raw body before reading anything from it, answers
// within milliseconds (NetBox neither retries nor times out), and only
// queues debounced tasks, so a burst or a replay of one event is harmless.
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
	if answer.DeviceIDs, err = s.enqueueWebhookAction(c, act); err != nil {
		s.metrics.webhook(ev.ObjectType, "error")
		return err
	}
	if len(answer.DeviceIDs) == 0 {
		answer.Status, answer.Action, answer.Reason = webhookIgnored, "", "no device holds the address, before or after the change"
		s.metrics.webhook(ev.ObjectType, webhookIgnored)
		c.JSON(http.StatusAccepted, answer)
		return nil
	}
	s.metrics.webhook(ev.ObjectType, act.Kind)
	s.requestLog(c).WithFields(logrus.Fields{"event": ev.Event, "object_type": ev.ObjectType,
		"object_id": act.ObjectID, "device_ids": answer.DeviceIDs, "action": act.Kind}).Info("webhook queued")
	c.JSON(http.StatusAccepted, answer)
	return nil
}

// enqueueWebhookAction resolves former addresses to devices and queues one
// debounced task per device.
func (s *Server) enqueueWebhookAction(c *gin.Context, act webhookAction) ([]int64, error) {
	ctx := c.Request.Context()
	devices := append([]int64{}, act.DeviceIDs...)
	if len(act.Addresses) > 0 {
		byIP, err := s.q.devicesByIP(ctx, 0, act.Addresses)
		if err != nil {
			return nil, err
		}
		for _, addr := range act.Addresses {
			for _, id := range byIP[addr] {
				devices = appendUnique(devices, id)
			}
		}
	}
	trigger := string(models.TriggerWebhook)
	for _, id := range devices {
		var err error
		if act.Kind == webhookDecommission {
			err = s.p.Enqueuer.Enqueue(ctx, tasks.DecommissionPayload{NetBoxDeviceID: id, Trigger: trigger})
		} else {
			err = s.p.Enqueuer.Enqueue(ctx, tasks.DeviceSyncPayload{NetBoxDeviceID: id, Trigger: trigger})
		}
		if err != nil && !errors.Is(err, tasks.ErrAlreadyQueued) {
			// A failure status makes NetBox record the delivery as failed,
			// where a person can requeue it.
			return nil, unavailable("cannot queue the %s of device %d: %v", act.Kind, id, err)
		}
	}
	return devices, nil
}
