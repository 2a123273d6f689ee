package wug

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"time"
)

// wireTemplateRead is a DeviceTemplate as WUG returns it, with the variants seen live:
// "True"/"False" strings, empty numeric strings, ids as numbers.
type wireTemplateRead struct {
	TemplateID   flexString  `json:"templateId"`
	DisplayName  flexString  `json:"displayName"`
	DeviceType   flexString  `json:"deviceType"`
	SNMPOID      flexString  `json:"snmpOid"`
	PollInterval flexInt     `json:"pollInterval"`
	PrimaryRole  flexString  `json:"primaryRole"`
	SubRoles     flexStrings `json:"subRoles"`
	OS           flexString  `json:"os"`
	Brand        flexString  `json:"brand"`
	ActionPolicy flexString  `json:"actionPolicy"`
	Note         flexString  `json:"note"`
	AutoRefresh  *flexBool   `json:"autoRefresh"`
	Credentials  []struct {
		CredentialType flexString `json:"credentialType"`
		Credential     flexString `json:"credential"`
	} `json:"credentials"`
	Interfaces []struct {
		DefaultInterface     flexBool   `json:"defaultInterface"`
		PollUsingNetworkName flexBool   `json:"pollUsingNetworkName"`
		NetworkAddress       flexString `json:"networkAddress"`
		NetworkName          flexString `json:"networkName"`
	} `json:"interfaces"`
	Attributes     []wireNameValue `json:"attributes"`
	CustomLinks    []wireNameValue `json:"customLinks"`
	ActiveMonitors []struct {
		ClassID flexString `json:"classId"`
		Name    flexString `json:"name"`
	} `json:"activeMonitors"`
	Groups []struct {
		Name    flexString  `json:"name"`
		Parents flexStrings `json:"parents"`
		ID      flexString  `json:"id"`
	} `json:"groups"`
}

func (w wireTemplateRead) public() DeviceTemplate {
	t := DeviceTemplate{
		TemplateID: string(w.TemplateID), DisplayName: string(w.DisplayName), DeviceType: string(w.DeviceType),
		SNMPOID: string(w.SNMPOID), PrimaryRole: string(w.PrimaryRole), SubRoles: []string(w.SubRoles),
		OS: string(w.OS), Brand: string(w.Brand), ActionPolicy: string(w.ActionPolicy), Note: string(w.Note),
		PollInterval: time.Duration(w.PollInterval) * time.Second,
	}
	if w.AutoRefresh != nil {
		v := bool(*w.AutoRefresh)
		t.AutoRefresh = &v
	}
	for _, c := range w.Credentials {
		t.Credentials = append(t.Credentials, TemplateCredential{Type: string(c.CredentialType), Name: string(c.Credential)})
	}
	for _, i := range w.Interfaces {
		t.Interfaces = append(t.Interfaces, TemplateInterface{Default: bool(i.DefaultInterface), PollUsingNetworkName: bool(i.PollUsingNetworkName),
			NetworkAddress: string(i.NetworkAddress), NetworkName: string(i.NetworkName)})
	}
	for _, a := range w.Attributes {
		t.Attributes = append(t.Attributes, NameValue{Name: string(a.Name), Value: string(a.Value)})
	}
	for _, l := range w.CustomLinks {
		t.CustomLinks = append(t.CustomLinks, NameValue{Name: string(l.Name), Value: string(l.Value)})
	}
	for _, m := range w.ActiveMonitors {
		t.ActiveMonitors = append(t.ActiveMonitors, TemplateMonitor{ClassID: string(m.ClassID), Name: string(m.Name)})
	}
	for _, g := range w.Groups {
		t.Groups = append(t.Groups, GroupRef{Name: string(g.Name), Parents: []string(g.Parents), ID: string(g.ID)})
	}
	return t
}

// decodeTemplateRead reads DeviceTemplateReadResults: {"deviceCount","errors","templates"}.
func decodeTemplateRead(body []byte) ([]DeviceTemplate, []string, error) {
	data, err := unwrapData(body)
	if err != nil {
		return nil, nil, err
	}
	var res struct {
		Errors    flexStrings        `json:"errors"`
		Templates []wireTemplateRead `json:"templates"`
	}
	if err := json.Unmarshal(data, &res); err != nil {
		return nil, nil, err
	}
	out := make([]DeviceTemplate, len(res.Templates))
	for i, w := range res.Templates {
		out[i] = w.public()
	}
	return out, res.Errors, nil
}

// GetDeviceTemplate reads a device back as a template (GET /devices/{id}/config/template):
// everything WUG would need to recreate it, including its groups as name plus parents. The
// export uses it to compare what WUG holds with what NetBox says.
func (c *Client) GetDeviceTemplate(ctx context.Context, deviceID string) (DeviceTemplate, error) {
	req := request{op: OpGetDeviceTemplate, method: http.MethodGet}
	if err := c.requireID(req, "device id", deviceID); err != nil {
		return DeviceTemplate{}, err
	}
	req.path = devicePath(deviceID, "config", "template")
	body, err := c.call(ctx, req)
	if err != nil {
		return DeviceTemplate{}, err
	}
	templates, errs, err := decodeTemplateRead(body)
	if err != nil {
		return DeviceTemplate{}, c.protocolError(req, body, "decode device template", err)
	}
	if len(templates) == 0 {
		msg := "WUG returned no template"
		if len(errs) > 0 {
			msg += ": " + strings.Join(errs, "; ")
		}
		return DeviceTemplate{}, c.newError(req, ErrNotFound, http.StatusOK, msg, nil)
	}
	return templates[0], nil
}

// ChildGroups returns the direct children of a group (GET /device-groups/{id}/children).
func (c *Client) ChildGroups(ctx context.Context, parentID string) ([]Group, error) {
	req := request{op: OpChildGroups, method: http.MethodGet}
	if err := c.requireID(req, "parent group id", parentID); err != nil {
		return nil, err
	}
	req.path = groupPath(parentID, "children")
	var groups []Group
	err := c.eachPage(ctx, req, func(body []byte) error {
		page, err := decodeGroupPage(body)
		if err != nil {
			return c.protocolError(req, body, "decode groups", err)
		}
		for i := range page {
			if page[i].ParentID == "" {
				page[i].ParentID = parentID
			}
		}
		groups = append(groups, page...)
		return nil
	})
	return groups, err
}
