package netboxsim_test

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/wugsync/wugsync/sim/netboxsim"
)

func TestVMRESTWritesFireVMWebhooks(t *testing.T) {
	t.Parallel()
	r := newReceiver(t, 200)
	b := hookSim(t, r, netboxsim.Options{WebhookSync: true, Devices: 40})
	a := b.do(t, http.MethodPatch, "/api/virtualization/virtual-machines/1/", map[string]any{
		"status": "offline", "custom_fields": map[string]any{"wug_device_id": "77"},
	}, nil)
	require.Equal(t, http.StatusOK, a.status, string(a.raw))
	require.Equal(t, "offline", a.body["status"].(map[string]any)["value"])
	vm, _ := b.sim.VirtualMachine(1)
	require.Equal(t, "offline", vm.Status)
	require.Equal(t, "77", vm.CustomFields["wug_device_id"])
	require.Equal(t, "standard", vm.CustomFields["monitoring_profile"], "custom_fields merge")

	bulk := b.do(t, http.MethodPatch, "/api/virtualization/virtual-machines/", []any{
		cfPatch(2, map[string]any{"wug_device_id": "78"}), cfPatch(3, map[string]any{"wug_device_id": "79"}),
	}, nil)
	require.Equal(t, http.StatusOK, bulk.status, string(bulk.raw))

	bodies, _ := r.got()
	require.Len(t, bodies, 3)
	m := decode(t, bodies[0])
	require.Equal(t, "virtualization.virtualmachine", m["object_type"])
	require.Equal(t, "virtualmachine", m["model"])
	require.Equal(t, "/api/virtualization/virtual-machines/1/", m["data"].(map[string]any)["url"])
	post := m["snapshots"].(map[string]any)["postchange"].(map[string]any)
	require.Equal(t, "offline", post["status"])
	require.IsType(t, float64(0), post["cluster"], "foreign keys are ids in snapshots")
	require.NotContains(t, post, "id")

	changes := b.get(t, "/api/core/object-changes/?changed_object_type=virtualization.virtualmachine")
	require.Equal(t, 3, changes.count())
}

func TestVMValidation(t *testing.T) {
	t.Parallel()
	b := setup(t, netboxsim.Options{Devices: 40})
	d1, _ := b.sim.Device(1)
	cases := []struct {
		name    string
		payload map[string]any
		want    string
	}{
		{"bad status", map[string]any{"status": "inventory"}, `{"status":["\"inventory\" is not a valid choice."]}`},
		{"no site or cluster", map[string]any{"site": nil, "cluster": nil}, `{"cluster":["A virtual machine must be assigned to a site and/or cluster."]}`},
		{"device's address as primary", map[string]any{"primary_ip4": d1.PrimaryIP4ID}, ""},
		{"blank name", map[string]any{"name": ""}, `{"name":["This field may not be blank."]}`},
	}
	for _, tc := range cases {
		a := b.do(t, http.MethodPatch, "/api/virtualization/virtual-machines/1/", tc.payload, nil)
		require.Equal(t, http.StatusBadRequest, a.status, tc.name)
		if tc.want != "" {
			require.JSONEq(t, tc.want, string(a.raw), tc.name)
		} else {
			require.Contains(t, string(a.raw), "is not assigned to this VM", tc.name)
		}
	}
	require.Equal(t, http.StatusBadRequest, b.do(t, http.MethodPut, "/api/virtualization/virtual-machines/1/", map[string]any{"status": "active"}, nil).status,
		"PUT needs the required fields")
}

func TestVMGoAPI(t *testing.T) {
	t.Parallel()
	r := newReceiver(t, 200)
	b := hookSim(t, r, netboxsim.Options{WebhookSync: true, Devices: 20})
	vm, err := b.sim.CreateVirtualMachine(netboxsim.VirtualMachine{Name: "lab-vm01", ClusterID: 1})
	require.NoError(t, err)
	require.Equal(t, "active", vm.Status)
	require.Equal(t, "lab-vm01", b.get(t, "/api/virtualization/virtual-machines/"+itoa(vm.ID)+"/").body["name"])

	_, err = b.sim.UpdateVirtualMachine(vm.ID, func(v *netboxsim.VirtualMachine) { v.Status = "paused" })
	require.NoError(t, err)
	_, err = b.sim.UpdateVirtualMachine(vm.ID, func(v *netboxsim.VirtualMachine) { v.Status = "bogus" })
	require.ErrorIs(t, err, netboxsim.ErrInvalid)

	withIP := b.sim.VirtualMachines()[0]
	require.NotZero(t, withIP.PrimaryIP4ID)
	require.NoError(t, b.sim.DeleteVirtualMachine(withIP.ID))
	_, ok := b.sim.IPAddress(withIP.PrimaryIP4ID)
	require.False(t, ok, "the VM's addresses go with it")
	require.ErrorIs(t, b.sim.DeleteVirtualMachine(withIP.ID), netboxsim.ErrNotFound)

	var events []string
	for _, d := range b.sim.Deliveries() {
		if d.ObjectType == "virtualization.virtualmachine" {
			events = append(events, d.Event)
		}
	}
	require.Equal(t, []string{"created", "updated", "deleted"}, events)
}

func TestDeletingAVMsPrimaryIPSavesTheVM(t *testing.T) {
	t.Parallel()
	r := newReceiver(t, 200)
	b := hookSim(t, r, netboxsim.Options{WebhookSync: true, Devices: 20})
	vm := b.sim.VirtualMachines()[0]
	require.NoError(t, b.sim.DeleteIPAddress(vm.PrimaryIP4ID))
	after, _ := b.sim.VirtualMachine(vm.ID)
	require.Zero(t, after.PrimaryIP4ID)
	require.True(t, after.LastUpdated.After(vm.LastUpdated))
	var types []string
	for _, d := range b.sim.Deliveries() {
		types = append(types, d.ObjectType+" "+d.Event)
	}
	require.Contains(t, types, "virtualization.virtualmachine updated")
}
