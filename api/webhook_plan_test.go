package api

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/wugsync/wugsync/netbox"
)

func TestPlanWebhookDecisions(t *testing.T) {
	t.Parallel()
	parse := func(body string) webhookAction {
		t.Helper()
		ev, err := netbox.ParseWebhook([]byte(body))
		require.NoError(t, err)
		act, err := planWebhook(ev)
		require.NoError(t, err)
		return act
	}
	act := parse(`{"event": "created", "object_type": "dcim.device", "data": {"id": 5}}`)
	require.Equal(t, webhookAction{Kind: webhookSync, ObjectID: 5, DeviceIDs: []int64{5}}, act)
	act = parse(`{"event": "deleted", "model": "device", "data": {"id": 5}}`)
	require.Equal(t, webhookDecommission, act.Kind, "NetBox 4.2 bodies carry model only")
	act = parse(`{"event": "job_ended", "object_type": "dcim.device", "data": {"id": 5}}`)
	require.Equal(t, webhookIgnored, act.Kind)
	act = parse(`{"event": "updated", "object_type": "ipam.ipaddress",
		"data": {"id": 9, "address": "10.0.0.9/24", "assigned_object": {"id": 3, "name": "eth0", "device": {"id": 77}}},
		"snapshots": {"prechange": {"address": "10.0.0.8/24", "assigned_object_id": 2}, "postchange": {"address": "10.0.0.9/24"}}}`)
	require.Equal(t, webhookAction{Kind: webhookSync, ObjectID: 9, DeviceIDs: []int64{77},
		Addresses: []string{"10.0.0.9", "10.0.0.8"}}, act)
	act = parse(`{"event": "updated", "object_type": "ipam.ipaddress", "data": {"id": 9, "address": "not-an-ip"}}`)
	require.Equal(t, webhookIgnored, act.Kind, "no device and no usable address")
	act = parse(`{"event": "updated", "object_type": "virtualization.virtualmachine", "data": {"id": 9}}`)
	require.Equal(t, webhookAction{Kind: webhookSync, ObjectID: 9, VMIDs: []int64{9}}, act,
		"a VM is synced as a VM, never as device 9")
	act = parse(`{"event": "deleted", "object_type": "virtualization.virtualmachine", "data": {"id": 9}}`)
	require.Equal(t, webhookAction{Kind: webhookDecommission, ObjectID: 9, VMIDs: []int64{9}}, act)
	act = parse(`{"event": "updated", "object_type": "ipam.ipaddress",
		"data": {"id": 4, "address": "10.0.0.4/24", "assigned_object": {"id": 3, "name": "eth0", "virtual_machine": {"id": 12}}}}`)
	require.Equal(t, webhookAction{Kind: webhookSync, ObjectID: 4, VMIDs: []int64{12}, Addresses: []string{"10.0.0.4"}}, act,
		"an address on a VM interface syncs the VM")
}
