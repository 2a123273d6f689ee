package wugsim_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/wugsync/wugsync/sim/wugsim"
)

func TestMyNetworkIsGroupZero(t *testing.T) {
	t.Parallel()
	b := setup(t, wugsim.Options{})
	root := b.call(t, http.MethodGet, "/api/v1/device-groups/0", "").dataMap(t)
	require.Equal(t, map[string]any{"id": "0", "name": "My Network", "description": "", "parentGroupId": ""}, root)
	list := b.call(t, http.MethodGet, "/api/v1/device-groups/-", "")
	groups := list.dataMap(t)["groups"].([]any)
	require.Len(t, groups, 2)
	require.Equal(t, "Discovered Devices", groups[1].(map[string]any)["name"])
	require.Equal(t, "0", groups[1].(map[string]any)["parentGroupId"], "top-level groups have parent 0")
}

func TestGroupF10CreateChildAndAddMembers(t *testing.T) {
	t.Parallel()
	b := setup(t, wugsim.Options{})
	res := b.call(t, http.MethodPost, "/api/v1/device-groups/0/child", fixture(t, "f10_create_group_request.json"))
	require.Equal(t, http.StatusOK, res.status, string(res.body))
	g := res.dataMap(t)
	require.Equal(t, "WUGPS-Test-1a2b3c4d", g["name"])
	require.Equal(t, "Automated test group", g["description"])
	require.Equal(t, "0", g["parentGroupId"])
	gid := g["id"].(string)

	dup := b.call(t, http.MethodPost, "/api/v1/device-groups/0/child", strings.ToUpper(fixture(t, "f10_create_group_request.json")))
	require.Equal(t, http.StatusBadRequest, dup.status, "names are unique under a parent, in any case")
	nested := b.call(t, http.MethodPost, "/api/v1/device-groups/"+gid+"/child", fixture(t, "f10_create_group_request.json"))
	require.Equal(t, http.StatusOK, nested.status, "the same name under another parent is fine")
	require.Equal(t, http.StatusNotFound, b.call(t, http.MethodPost, "/api/v1/device-groups/999/child", `{"name":"x"}`).status)
	require.Equal(t, http.StatusBadRequest, b.call(t, http.MethodPost, "/api/v1/device-groups/0/child", `{"description":"no name"}`).status)

	for range 6432 {
		_, _ = b.sim.AddDevice(wugsim.Device{Name: "filler", NetworkAddress: "192.0.2.1"})
	}
	id := b.addDevice(t, wugsim.Device{Name: "sw", NetworkAddress: "10.0.0.1"})
	require.Equal(t, "6433", id)
	add := b.call(t, http.MethodPost, "/api/v1/device-groups/"+gid+"/devices/-", fixture(t, "f10_add_members_request.json"))
	require.Equal(t, http.StatusOK, add.status)
	counted := add.json(t) // a bare CountedSuccessResult, as the spec says
	require.EqualValues(t, 1, counted["successfulOperations"])
	require.Equal(t, true, counted["success"])
	d, _ := b.sim.Device(id)
	require.Equal(t, []string{"My Network/Discovered Devices", "My Network/WUGPS-Test-1a2b3c4d"}, d.Groups)

	missing := b.call(t, http.MethodPost, "/api/v1/device-groups/"+gid+"/devices/-", `{"devices":[999999]}`).json(t)
	require.Equal(t, false, missing["success"])
	require.Equal(t, []any{"999999"}, missing["resourcesWithErros"])
}

func TestGroupF13Children(t *testing.T) {
	t.Parallel()
	b := setup(t, wugsim.Options{Groups: []string{"Lab/subnet_16/deeper"}})
	_, err := b.sim.AddDynamicGroup("Lab", "All routers")
	require.NoError(t, err)
	lab := b.sim.Groups()[2]
	require.Equal(t, "Lab", lab.Name)
	res := b.call(t, http.MethodGet, "/api/v1/device-groups/"+lab.ID+"/children", "")
	data := res.dataMap(t)
	require.Equal(t, lab.ID, data["parentGroupId"])
	names := field(toMaps(data["groups"]), "name")
	require.Equal(t, []any{"subnet_16", "All routers"}, names, "direct children only by default")

	deep := b.call(t, http.MethodGet, "/api/v1/device-groups/"+lab.ID+"/children"+q("returnHierarchy", "true"), "").dataMap(t)
	require.Len(t, deep["groups"], 3)
	static := b.call(t, http.MethodGet, "/api/v1/device-groups/-"+q("groupType", "dynamic_group"), "").dataMap(t)
	require.Equal(t, []any{"All routers"}, field(toMaps(static["groups"]), "name"))
}

func toMaps(v any) []map[string]any {
	list := v.([]any)
	out := make([]map[string]any, len(list))
	for i, x := range list {
		out[i] = x.(map[string]any)
	}
	return out
}

func TestMembershipRules(t *testing.T) {
	t.Parallel()
	b := setup(t, wugsim.Options{Groups: []string{"A", "B"}})
	dyn, err := b.sim.AddDynamicGroup("", "Dyn")
	require.NoError(t, err)
	id := b.addDevice(t, wugsim.Device{Name: "sw", NetworkAddress: "10.0.0.1", Groups: []string{"A"}})
	groups := b.sim.Groups()
	a, bb := groups[2].ID, groups[3].ID
	body := fmt.Sprintf(`{"devices":["%s"]}`, id)

	last := b.call(t, http.MethodDelete, "/api/v1/device-groups/"+a+"/devices/-", body).json(t)
	require.Equal(t, false, last["success"], "a device keeps at least one static group")
	require.Equal(t, http.StatusBadRequest, b.call(t, http.MethodDelete, "/api/v1/devices/"+id+"/group/"+a, "").status)

	require.Equal(t, http.StatusBadRequest, b.call(t, http.MethodPost, "/api/v1/device-groups/"+dyn.ID+"/devices/-", body).status,
		"dynamic groups take no members")

	// Device-side move in one PATCH: deletes before adds, the rule checked at the end.
	move := b.call(t, http.MethodPatch, "/api/v1/devices/"+id+"/group/-", fmt.Sprintf(`{"groupsToAdd":[%s],"groupsToDelete":["%s"]}`, bb, a))
	require.Equal(t, http.StatusOK, move.status, string(move.body))
	require.EqualValues(t, 2, move.dataMap(t)["successfulOperations"])
	d, _ := b.sim.Device(id)
	require.Equal(t, []string{"My Network/B"}, d.Groups)
	refused := b.call(t, http.MethodPatch, "/api/v1/devices/"+id+"/group/-", fmt.Sprintf(`{"groupsToDelete":["%s"]}`, bb)).dataMap(t)
	require.Equal(t, false, refused["success"])
	d, _ = b.sim.Device(id)
	require.Equal(t, []string{"My Network/B"}, d.Groups, "nothing changes when the rule would break")

	// PUT /devices/{id}/group/-: the spec's bare string and WhatsUpGoldPS's object.
	require.Equal(t, http.StatusOK, b.call(t, http.MethodPut, "/api/v1/devices/"+id+"/group/-", `"`+a+`"`).status)
	require.Equal(t, true, b.call(t, http.MethodGet, "/api/v1/devices/"+id+"/group/"+a+"/is-member", "").json(t)["success"])
	require.Equal(t, http.StatusOK, b.call(t, http.MethodDelete, "/api/v1/devices/"+id+"/group/"+a, "").status)
	require.Equal(t, http.StatusOK, b.call(t, http.MethodPut, "/api/v1/devices/"+id+"/group/-", `{"groupId":"`+a+`"}`).status)
	memberships := b.call(t, http.MethodGet, "/api/v1/devices/"+id+"/group/-", "").data(t)
	require.Len(t, memberships, 2, "GET /devices/{id}/group/- has a bare list as data")

	one := b.call(t, http.MethodDelete, "/api/v1/device-groups/"+a+"/devices/"+id, "").json(t)
	require.EqualValues(t, 1, one["successfulOperations"])
}

func TestGroupDeleteAndMove(t *testing.T) {
	t.Parallel()
	b := setup(t, wugsim.Options{Groups: []string{"A/A1", "B"}})
	groups := b.sim.Groups()
	a, a1, bb := groups[2], groups[3], groups[4]
	require.Equal(t, http.StatusBadRequest, b.call(t, http.MethodDelete, "/api/v1/device-groups/"+a.ID, "").status, "has a child")
	require.Equal(t, http.StatusBadRequest, b.call(t, http.MethodDelete, "/api/v1/device-groups/0", "").status)
	b.addDevice(t, wugsim.Device{Name: "x", NetworkAddress: "10.0.0.1", Groups: []string{"B"}})
	require.Equal(t, http.StatusBadRequest, b.call(t, http.MethodDelete, "/api/v1/device-groups/"+bb.ID, "").status, "has a device")

	require.Equal(t, http.StatusBadRequest, b.call(t, http.MethodPut, "/api/v1/device-groups/"+a.ID+"/definition", `{"parentGroupId":"`+a1.ID+`"}`).status,
		"a group cannot move below itself")
	moved := b.call(t, http.MethodPut, "/api/v1/device-groups/"+a1.ID+"/definition", `{"parentGroupId":"`+bb.ID+`","name":"B1"}`)
	require.Equal(t, map[string]any{"success": true}, moved.json(t), "a bare SuccessResult")
	require.Equal(t, "My Network/B/B1", b.sim.Groups()[3].Path)

	deleted := b.call(t, http.MethodDelete, "/api/v1/device-groups/"+a.ID, "")
	require.Equal(t, http.StatusOK, deleted.status)
	require.Len(t, b.sim.Groups(), 4)
}
