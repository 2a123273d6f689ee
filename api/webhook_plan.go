package api

import (
	"encoding/json"
	"fmt"

	"github.com/wugsync/wugsync/netbox"
)

// What a webhook asks wugsync to do.
const (
	webhookSync         = "sync"
	webhookDecommission = "decommission"
	webhookIgnored      = "ignored"
)

// webhookAction is the decision for one NetBox event, made from the body
// alone: the receiver may not call NetBox, so it acts on hints and lets the
// tasks re-read NetBox (a sync of an unchanged device costs no WUG call).
type webhookAction struct {
	Kind     string
	Reason   string
	ObjectID int64
	// DeviceIDs are the NetBox devices to sync or decommission.
	DeviceIDs []int64
	// VMIDs are the NetBox virtual machines to sync or decommission.
	VMIDs []int64
	// Addresses are IPs whose exported devices must be synced too: an IP
	// that moved or was renumbered leaves its former device stale, and
	// only our export rows know which device that was.
	Addresses []string
}

// planWebhook decides what a verified, parsed event means. Errors wrap
// netbox.ErrWebhookPayload.
func planWebhook(ev netbox.WebhookEvent) (webhookAction, error) {
	switch ev.ObjectType {
	case netbox.ObjectTypeDevice, netbox.ObjectTypeVirtualMachine:
		return planDeviceEvent(ev)
	case netbox.ObjectTypeIPAddress:
		return planIPEvent(ev)
	}
	return webhookAction{Kind: webhookIgnored,
		Reason: fmt.Sprintf("%q events are not used; wugsync acts on dcim.device, virtualization.virtualmachine and ipam.ipaddress", ev.ObjectType)}, nil
}

// planDeviceEvent plans a device's or a virtual machine's event: both are
// handled alike, each by its own kind of id.
func planDeviceEvent(ev netbox.WebhookEvent) (webhookAction, error) {
	noun := "device"
	if ev.ObjectType == netbox.ObjectTypeVirtualMachine {
		noun = "virtual machine"
	}
	if !objectEvent(ev.Event) {
		return webhookAction{Kind: webhookIgnored, Reason: fmt.Sprintf("event %q is not a change of the %s", ev.Event, noun)}, nil
	}
	id, err := ev.ObjectID()
	if err != nil {
		return webhookAction{}, err
	}
	act := webhookAction{Kind: webhookSync, ObjectID: id, DeviceIDs: []int64{int64(id)}}
	if ev.ObjectType == netbox.ObjectTypeVirtualMachine {
		act.DeviceIDs, act.VMIDs = nil, []int64{int64(id)}
	}
	if ev.Event == netbox.EventDeleted {
		act.Kind = webhookDecommission
	}
	return act, nil
}

// planIPEvent syncs the device the address is assigned to and, through the
// export rows, whichever device held the address (or its former value)
// before. NetBox sends no device event when only the IP changes.
func planIPEvent(ev netbox.WebhookEvent) (webhookAction, error) {
	if !objectEvent(ev.Event) {
		return webhookAction{Kind: webhookIgnored, Reason: fmt.Sprintf("event %q is not a change of the address", ev.Event)}, nil
	}
	ip, err := ev.IPAddress()
	if err != nil {
		return webhookAction{}, err
	}
	act := webhookAction{Kind: webhookSync, ObjectID: ip.ID}
	if id, ok := ip.DeviceID(); ok && id > 0 {
		act.DeviceIDs = append(act.DeviceIDs, id)
	}
	if ao := ip.AssignedObject; ao != nil && ao.VirtualMachine != nil && ao.VirtualMachine.ID > 0 {
		act.VMIDs = append(act.VMIDs, int64(ao.VirtualMachine.ID))
	}
	if addr, ok := normalizeIP(ip.Address); ok {
		act.Addresses = append(act.Addresses, addr)
	}
	if before, ok := prechangeAddress(ev.Snapshots.Prechange); ok {
		act.Addresses = appendUnique(act.Addresses, before)
	}
	if len(act.DeviceIDs) == 0 && len(act.VMIDs) == 0 && len(act.Addresses) == 0 {
		return webhookAction{Kind: webhookIgnored, ObjectID: ip.ID, Reason: "the address is not assigned to a device or a virtual machine"}, nil
	}
	return act, nil
}

// prechangeAddress reads "address" from an IP address's prechange snapshot
// (Django serializer form: the assignment there is an interface id, which
// cannot be resolved without NetBox, but the address can).
func prechangeAddress(snapshot json.RawMessage) (string, bool) {
	if len(snapshot) == 0 {
		return "", false
	}
	var pre struct {
		Address string `json:"address"`
	}
	if err := json.Unmarshal(snapshot, &pre); err != nil {
		return "", false
	}
	return normalizeIP(pre.Address)
}

func objectEvent(event string) bool {
	return event == netbox.EventCreated || event == netbox.EventUpdated || event == netbox.EventDeleted
}
