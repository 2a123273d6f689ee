package wugsim_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/wugsync/wugsync/sim/wugsim"
)

const templatePath = "/api/v1/devices/-/config/template"

func TestTemplateF5FromWhatsUpGoldPS(t *testing.T) {
	t.Parallel()
	b := setup(t, wugsim.Options{})
	res := b.call(t, http.MethodPatch, templatePath, fixture(t, "f05_template_request_ps.json"))
	require.Equal(t, http.StatusOK, res.status, string(res.body))
	data := res.dataMap(t) // the shape of F7
	require.Equal(t, []any{}, data["errors"], "unknown sub-roles are skipped silently")
	idMap := data["idMap"].([]any)
	require.Len(t, idMap, 1)
	entry := idMap[0].(map[string]any)
	require.Equal(t, "WhatsUpGoldPS", entry["templateId"])
	require.EqualValues(t, 1, data["operations"])
	require.EqualValues(t, 1, data["successful"])

	d, ok := b.sim.Device(entry["resultId"].(string))
	require.True(t, ok)
	require.Equal(t, "Example New Device", d.Name)
	require.Equal(t, "192.168.1.1", d.NetworkAddress)
	require.Equal(t, []string{"My Network"}, d.Groups, `{"name":"My Network"} is the root`)
	require.Equal(t, []string{"Ping"}, d.ActiveMonitors)
	require.Equal(t, 60, d.PollInterval, `"60" is read as a number`)
	require.Equal(t, []wugsim.Attribute{{ID: d.Attributes[0].ID, Name: "Added by WhatsUpGoldPS", Value: "2026-03-08 12:00:00"}}, d.Attributes)
	require.Equal(t, "Workstation", d.DeviceType, "an empty deviceType gets the default")
	require.Equal(t, wugsim.SourceTemplate, d.Source)
}

func TestTemplateF6FromTheSeedPlugin(t *testing.T) {
	t.Parallel()
	b := setup(t, wugsim.Options{Groups: []string{"DATA_CENTERS"}})
	res := b.call(t, http.MethodPatch, templatePath, fixture(t, "f06_template_request_seed.json"))
	require.Equal(t, http.StatusOK, res.status, string(res.body))
	data := res.dataMap(t)
	require.Equal(t, []any{}, data["errors"], `"Name" casing and the unknown pollIntervalSeconds are tolerated`)
	entry := data["idMap"].([]any)[0].(map[string]any)
	require.Equal(t, "0", entry["templateId"], "a missing templateId is assigned by the server")
	d, _ := b.sim.Device(entry["resultId"].(string))
	require.Equal(t, []string{"Ping"}, d.ActiveMonitors)
	require.Equal(t, "Network Device", d.DeviceType)
	require.Equal(t, "sw01", d.HostName)
	require.Equal(t, []string{"My Network/DATA_CENTERS"}, d.Groups)
	require.Zero(t, d.PollInterval, "pollIntervalSeconds is not a template field")
}

func TestTemplateUnknownGroupWarnsOrFails(t *testing.T) {
	t.Parallel()
	lenient := setup(t, wugsim.Options{})
	res := lenient.call(t, http.MethodPatch, templatePath, fixture(t, "f06_template_request_seed.json"))
	data := res.dataMap(t)
	require.Len(t, data["idMap"], 1, "the device is still created")
	require.Equal(t, []any{map[string]any{"templateId": "0", "messages": []any{`Group "DATA_CENTERS" was not found.`}}}, data["errors"])
	require.Equal(t, []string{"My Network/Discovered Devices"}, lenient.sim.Devices()[0].Groups)

	strict := setup(t, wugsim.Options{StrictGroups: true, OmitDiscoveredDevices: true})
	data = strict.call(t, http.MethodPatch, templatePath, fixture(t, "f06_template_request_seed.json")).dataMap(t)
	require.Empty(t, data["idMap"])
	require.Len(t, data["errors"], 1)
	require.Zero(t, strict.sim.DeviceCount())
}

func TestTemplateNestedGroupByParents(t *testing.T) {
	t.Parallel()
	b := setup(t, wugsim.Options{Groups: []string{"DATA_CENTERS/CH_DC", "OTHER/CH_DC"}})
	body := `{"templates":[
	  {"templateId":"a","displayName":"a","interfaces":[{"networkAddress":"10.0.0.1"}],"groups":[{"name":"ch_dc","parents":["My Network","data_centers"]}]},
	  {"templateId":"b","displayName":"b","interfaces":[{"networkAddress":"10.0.0.2"}],"groups":[{"name":"CH_DC","parents":["OTHER"]}]},
	  {"templateId":"c","displayName":"c","interfaces":[{"networkAddress":"10.0.0.3"}],"groups":[{"name":"CH_DC"}]}]}`
	data := b.call(t, http.MethodPatch, templatePath, body).dataMap(t)
	require.Equal(t, []any{}, data["errors"])
	devices := b.sim.Devices()
	require.Equal(t, []string{"My Network/DATA_CENTERS/CH_DC"}, devices[0].Groups, "path matched in any case")
	require.Equal(t, []string{"My Network/OTHER/CH_DC"}, devices[1].Groups, `parents without "My Network" start below it`)
	require.Equal(t, []string{"My Network/DATA_CENTERS/CH_DC"}, devices[2].Groups, "a bare name is the oldest group of that name")
}

func TestTemplatesNeverDeduplicate(t *testing.T) {
	t.Parallel()
	b := setup(t, wugsim.Options{})
	for range 3 {
		require.Equal(t, http.StatusOK, b.call(t, http.MethodPatch, templatePath, fixture(t, "f05_template_request_ps.json")).status)
	}
	devices := b.sim.Devices()
	require.Len(t, devices, 3)
	for _, d := range devices {
		require.Equal(t, "192.168.1.1", d.NetworkAddress)
	}
	require.NotEqual(t, devices[0].ID, devices[1].ID)
}

func TestTemplateValidationErrorsComeBackWith200(t *testing.T) {
	t.Parallel()
	b := setup(t, wugsim.Options{})
	long := strings.Repeat("x", 151)
	cases := map[string]string{
		"no-name":     `{"templateId":"no-name","interfaces":[{"networkAddress":"10.0.0.1"}]}`,
		"long-name":   fmt.Sprintf(`{"templateId":"long-name","displayName":%q,"interfaces":[{"networkAddress":"10.0.0.1"}]}`, long),
		"no-iface":    `{"templateId":"no-iface","displayName":"x","interfaces":[]}`,
		"bad-ip":      `{"templateId":"bad-ip","displayName":"x","interfaces":[{"networkAddress":"10.0.0.256"}]}`,
		"two-default": `{"templateId":"two-default","displayName":"x","interfaces":[{"networkAddress":"10.0.0.1","defaultInterface":"true"},{"networkAddress":"10.0.0.2","defaultInterface":true}]}`,
	}
	for id, tmpl := range cases {
		res := b.call(t, http.MethodPatch, templatePath, `{"options":["all"],"templates":[`+tmpl+`]}`)
		require.Equal(t, http.StatusOK, res.status, id)
		data := res.dataMap(t)
		require.Empty(t, data["idMap"], id)
		errs := data["errors"].([]any)
		require.Len(t, errs, 1, id)
		require.Equal(t, id, errs[0].(map[string]any)["templateId"])
		require.NotEmpty(t, errs[0].(map[string]any)["messages"], id)
	}
	require.Zero(t, b.sim.DeviceCount())

	res := b.call(t, http.MethodPatch, templatePath, `{"templates":[{"templateId":"m","displayName":"m","interfaces":[{"networkAddress":"10.0.0.1"}],"activeMonitors":[{"name":"NoSuchMonitor"}],"pollInterval":"5"}]}`)
	data := res.dataMap(t)
	require.Len(t, data["idMap"], 1, "a partly applied template still creates the device")
	require.Equal(t, []any{"pollInterval 5 is outside 10 to 84600; the default is used.", `Active monitor "NoSuchMonitor" was not found.`},
		data["errors"].([]any)[0].(map[string]any)["messages"])

	require.Equal(t, http.StatusBadRequest, b.call(t, http.MethodPatch, templatePath, `{"templates":`).status, "a body that is not JSON is 400")
}

func TestTemplateUpdateOptionStartsARefreshScan(t *testing.T) {
	t.Parallel()
	b := setup(t, wugsim.Options{})
	body := strings.Replace(fixture(t, "f05_template_request_ps.json"), `"options": ["all"]`, `"options": ["all", "update"]`, 1)
	data := b.call(t, http.MethodPatch, templatePath, body).dataMap(t)
	update := data["update"].(map[string]any)
	require.Equal(t, true, update["success"])
	require.Len(t, b.sim.Scans(), 1)
	require.Equal(t, update["id"], b.sim.Scans()[0].ID)
	require.Equal(t, "refresh", b.sim.Scans()[0].Model)
}

func TestTemplateReadF12Shape(t *testing.T) {
	t.Parallel()
	b := setup(t, wugsim.Options{})
	id := b.addDevice(t, wugsim.Device{Name: "S2", NetworkAddress: "10.0.0.2", Role: "Switch", Brand: "Cisco", OS: "Cisco IOS",
		Attributes: []wugsim.Attribute{{Name: "SerialNumber", Value: "9I03RXYA7H2"}}, ActiveMonitors: []string{"Ping"}})
	res := b.call(t, http.MethodGet, "/api/v1/devices/"+id+"/config/template", "")
	require.Equal(t, http.StatusOK, res.status)
	data := res.dataMap(t)
	require.EqualValues(t, 1, data["deviceCount"])
	tmpl := data["templates"].([]any)[0].(map[string]any)
	for _, key := range []string{"templateId", "displayName", "deviceType", "snmpOid", "pollInterval", "primaryRole", "subRoles", "os",
		"brand", "actionPolicy", "note", "autoRefresh", "credentials", "interfaces", "attributes", "customLinks", "activeMonitors",
		"performanceMonitors", "passiveMonitors", "dependencies", "applicationProfiles", "layer2Data", "groups"} {
		require.Contains(t, tmpl, key, "F12 has %s", key)
	}
	require.Equal(t, "True", tmpl["autoRefresh"])
	require.Equal(t, []any{map[string]any{"parents": []any{"My Network"}, "name": "Discovered Devices"}}, tmpl["groups"])

	group := b.call(t, http.MethodGet, "/api/v1/device-groups/0/devices/-/config/template", "")
	require.Equal(t, http.StatusOK, group.status)
	require.Contains(t, group.json(t), "paging")
	require.Len(t, group.dataMap(t)["templates"], 1)
}
