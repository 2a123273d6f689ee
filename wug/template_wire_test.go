package wug

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestTemplateWireFormat pins the JSON the client sends for a template: the field names and
// types of the spec's DeviceTemplate, pollInterval and autoRefresh as strings, interfaces'
// flags as booleans, and the arrays WUG expects even when empty.
func TestTemplateWireFormat(t *testing.T) {
	t.Parallel()
	refresh := true
	got, err := json.Marshal(wireTemplateBatch{Options: []string{"all"}, Templates: []wireTemplate{toWireTemplate(DeviceTemplate{
		TemplateID: "nb-42", DisplayName: " ch-dc-sw01 ", DeviceType: "Network Device", PrimaryRole: "Switch",
		OS: "Cisco IOS", Brand: "Cisco", Note: "https://netbox/dcim/devices/42/", PollInterval: time.Minute, AutoRefresh: &refresh,
		Credentials:    []TemplateCredential{{Type: "SNMP v2", Name: "public-ro"}},
		Interfaces:     []TemplateInterface{{NetworkAddress: "10.1.2.3"}, {NetworkAddress: "10.1.2.4", NetworkName: "oob"}},
		Attributes:     []NameValue{{"NetBox_ID", "42"}},
		ActiveMonitors: []TemplateMonitor{{Name: "Ping"}},
		Groups:         []GroupRef{{Name: "CH_DC", Parents: []string{"My Network", "DATA_CENTERS"}}},
	})}})
	require.NoError(t, err)
	require.JSONEq(t, `{"options":["all"],"templates":[{
		"templateId":"nb-42","displayName":"ch-dc-sw01","deviceType":"Network Device","pollInterval":"60",
		"primaryRole":"Switch","os":"Cisco IOS","brand":"Cisco","note":"https://netbox/dcim/devices/42/","autoRefresh":"true",
		"credentials":[{"credentialType":"SNMP v2","credential":"public-ro"}],
		"interfaces":[
			{"defaultInterface":true,"pollUsingNetworkName":false,"networkAddress":"10.1.2.3","networkName":"10.1.2.3"},
			{"defaultInterface":false,"pollUsingNetworkName":false,"networkAddress":"10.1.2.4","networkName":"oob"}],
		"attributes":[{"name":"NetBox_ID","value":"42"}],
		"activeMonitors":[{"classId":"","name":"Ping"}],
		"groups":[{"name":"CH_DC","parents":["My Network","DATA_CENTERS"]}]}]}`, string(got))

	bare, err := json.Marshal(toWireTemplate(DeviceTemplate{TemplateID: "x", DisplayName: "x", Interfaces: []TemplateInterface{{NetworkAddress: "10.0.0.1"}}}))
	require.NoError(t, err)
	require.JSONEq(t, `{"templateId":"x","displayName":"x",
		"interfaces":[{"defaultInterface":true,"pollUsingNetworkName":false,"networkAddress":"10.0.0.1","networkName":"10.0.0.1"}],
		"attributes":[],"activeMonitors":[]}`, string(bare), "no groups: WUG picks Discovered Devices")
}

func TestLenientDecoders(t *testing.T) {
	t.Parallel()
	var v struct {
		ID      flexString  `json:"id"`
		Flag    flexBool    `json:"flag"`
		Other   flexBool    `json:"other"`
		N       flexInt     `json:"n"`
		M       flexInt     `json:"m"`
		F       flexFloat   `json:"f"`
		List    flexStrings `json:"list"`
		One     flexStrings `json:"one"`
		When    flexTime    `json:"when"`
		Garbled flexTime    `json:"garbled"`
	}
	require.NoError(t, json.Unmarshal([]byte(`{"ID":6433,"FLAG":"True","other":"0","n":"161","m":60.0,"f":"33.5",
		"list":[1,"2"],"one":"x","when":"2026-03-08T13:57:40","garbled":"3/7/2026 2:10:34 AM"}`), &v))
	require.Equal(t, flexString("6433"), v.ID, "ids as numbers, keys in any case")
	require.True(t, bool(v.Flag))
	require.False(t, bool(v.Other))
	require.EqualValues(t, 161, v.N)
	require.EqualValues(t, 60, v.M)
	require.EqualValues(t, 33.5, v.F)
	require.Equal(t, flexStrings{"1", "2"}, v.List)
	require.Equal(t, flexStrings{"x"}, v.One)
	require.Equal(t, time.Date(2026, 3, 8, 13, 57, 40, 0, time.UTC), time.Time(v.When))
	require.Equal(t, time.Date(2026, 3, 7, 2, 10, 34, 0, time.UTC), time.Time(v.Garbled))

	require.Error(t, json.Unmarshal([]byte(`{"flag":"maybe"}`), &v))
	require.Error(t, json.Unmarshal([]byte(`{"n":"1.5"}`), &v))

	data, err := unwrapData([]byte(`{"success":true}`))
	require.NoError(t, err)
	require.JSONEq(t, `{"success":true}`, string(data), "a bare result is its own data")
	data, err = unwrapData([]byte(`{"Data":{"success":true}}`))
	require.NoError(t, err)
	require.JSONEq(t, `{"success":true}`, string(data))
	var counted BatchResult
	var w wireCounted
	require.NoError(t, json.Unmarshal([]byte(`{"successfulOperations":"1","resourcesWithErros":["5"],"resourcesWithErrors":["6"],"success":"false"}`), &w))
	w.add(&counted)
	require.Equal(t, BatchResult{Successful: 1, ResourcesWithErrors: []string{"5", "6"}}, counted, "both spellings of resourcesWithErrors")

	list, err := unwrapList([]byte(`{"data":{}}`), "devices")
	require.NoError(t, err)
	require.JSONEq(t, `[]`, string(list), "an omitted list is empty")
}
