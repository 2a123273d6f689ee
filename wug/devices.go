package wug

import (
	"context"
	"encoding/json"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
)

// Views of a device, from the least to the most detailed.
const (
	viewBasic    = "basic"
	viewOverview = "overview"
)

type wireDevice struct {
	ID                      flexString `json:"id"`
	Name                    flexString `json:"name"`
	DisplayName             flexString `json:"displayName"`
	Description             flexString `json:"description"`
	HostName                flexString `json:"hostName"`
	NetworkAddress          flexString `json:"networkAddress"`
	Role                    flexString `json:"role"`
	Brand                   flexString `json:"brand"`
	OS                      flexString `json:"os"`
	Notes                   flexString `json:"notes"`
	BestState               flexString `json:"bestState"`
	WorstState              flexString `json:"worstState"`
	TotalActiveMonitors     flexInt    `json:"totalActiveMonitors"`
	TotalActiveMonitorsDown flexInt    `json:"totalActiveMonitorsDown"`
}

func (w wireDevice) public() DeviceOverview {
	name := string(w.Name)
	if name == "" {
		name = string(w.DisplayName)
	}
	return DeviceOverview{
		ID:                      string(w.ID),
		Name:                    name,
		Description:             string(w.Description),
		HostName:                string(w.HostName),
		NetworkAddress:          string(w.NetworkAddress),
		Role:                    string(w.Role),
		Brand:                   string(w.Brand),
		OS:                      string(w.OS),
		Notes:                   string(w.Notes),
		BestState:               string(w.BestState),
		WorstState:              string(w.WorstState),
		TotalActiveMonitors:     int(w.TotalActiveMonitors),
		TotalActiveMonitorsDown: int(w.TotalActiveMonitorsDown),
	}
}

// decodeDevicePage reads the devices of one page whose data is {"devices": […]} (or a bare list).
func decodeDevicePage(body []byte) ([]DeviceOverview, error) {
	raw, err := unwrapList(body, "devices")
	if err != nil {
		return nil, err
	}
	var wire []wireDevice
	if err := json.Unmarshal(raw, &wire); err != nil {
		return nil, err
	}
	out := make([]DeviceOverview, len(wire))
	for i, w := range wire {
		out[i] = w.public()
	}
	return out, nil
}

// FindDevicesByIP returns the devices whose network address (or host name) is exactly ip.
// WUG's search is a case-insensitive substring match over names and addresses, so 10.0.0.1
// also finds 10.0.0.10; this method follows every page of that search and keeps only exact
// matches. More than one result means WUG already holds duplicates.
func (c *Client) FindDevicesByIP(ctx context.Context, ip string) ([]DeviceOverview, error) {
	req := request{op: OpFindDevicesByIP, method: http.MethodGet, path: groupDevicesPath(AllDevicesGroupID)}
	addr, err := netip.ParseAddr(strings.TrimSpace(ip))
	if err != nil {
		return nil, c.errorf(req, "%q is not an IP address", ip)
	}
	addr = addr.Unmap()
	req.query = url.Values{"search": {addr.String()}, "view": {viewBasic}, "returnHierarchy": {"true"}}
	var found []DeviceOverview
	err = c.eachPage(ctx, req, func(body []byte) error {
		devices, err := decodeDevicePage(body)
		if err != nil {
			return c.protocolError(req, body, "decode devices", err)
		}
		for _, d := range devices {
			if sameAddress(d.NetworkAddress, addr) || sameAddress(d.HostName, addr) {
				found = append(found, d)
			}
		}
		return nil
	})
	return found, err
}

// SearchDevices returns every device whose display name, host name or network address
// contains text (WUG's case-insensitive substring search over all devices), following
// every page. It is how a caller finds many addresses with one search on a text they
// share, such as "10.1.0." for the addresses of 10.1.0.0/24; the caller keeps the exact
// matches, as FindDevicesByIP does for one address.
func (c *Client) SearchDevices(ctx context.Context, text string) ([]DeviceOverview, error) {
	req := request{op: OpSearchDevices, method: http.MethodGet, path: groupDevicesPath(AllDevicesGroupID)}
	text = strings.TrimSpace(text)
	if text == "" {
		// An empty search is the whole device list: never what a search means.
		return nil, c.errorf(req, "search text is required")
	}
	req.query = url.Values{"search": {text}, "view": {viewBasic}, "returnHierarchy": {"true"}}
	var found []DeviceOverview
	err := c.eachPage(ctx, req, func(body []byte) error {
		devices, err := decodeDevicePage(body)
		if err != nil {
			return c.protocolError(req, body, "decode devices", err)
		}
		found = append(found, devices...)
		return nil
	})
	return found, err
}

func sameAddress(s string, addr netip.Addr) bool {
	a, err := netip.ParseAddr(strings.TrimSpace(s))
	return err == nil && a.Unmap() == addr
}

// ListDevices streams every device under groupID (its descendants included) to fn, one page
// at a time. RootGroupID lists every device in "My Network". Returning an error from fn
// stops the listing and returns that error.
func (c *Client) ListDevices(ctx context.Context, groupID string, fn func([]DeviceOverview) error) error {
	req := request{op: OpListDevices, method: http.MethodGet}
	if err := c.requireID(req, "group id", groupID); err != nil {
		return err
	}
	req.path = groupDevicesPath(groupID)
	req.query = url.Values{"view": {viewOverview}, "returnHierarchy": {"true"}}
	return c.eachPage(ctx, req, func(body []byte) error {
		devices, err := decodeDevicePage(body)
		if err != nil {
			return c.protocolError(req, body, "decode devices", err)
		}
		return fn(devices)
	})
}

func groupDevicesPath(groupID string) string {
	return "/api/v1/device-groups/" + url.PathEscape(groupID) + "/devices/-"
}

func devicePath(deviceID string, rest ...string) string {
	p := "/api/v1/devices/" + url.PathEscape(deviceID)
	if len(rest) > 0 {
		p += "/" + strings.Join(rest, "/")
	}
	return p
}

// requireID rejects an empty id before it turns into a different route ("/devices/" is not
// "/devices/{id}").
func (c *Client) requireID(req request, what, id string) error {
	if strings.TrimSpace(id) == "" {
		return c.errorf(req, "%s is required", what)
	}
	return nil
}

// GetDevice returns one device (GET /devices/{id}, overview view).
func (c *Client) GetDevice(ctx context.Context, deviceID string) (DeviceOverview, error) {
	req := request{op: OpGetDevice, method: http.MethodGet, query: url.Values{"view": {viewOverview}}}
	if err := c.requireID(req, "device id", deviceID); err != nil {
		return DeviceOverview{}, err
	}
	req.path = devicePath(deviceID)
	var w wireDevice
	if err := c.callData(ctx, req, &w); err != nil {
		return DeviceOverview{}, err
	}
	d := w.public()
	if d.ID == "" {
		d.ID = deviceID
	}
	return d, nil
}

// callData sends req and decodes the "data" member of the answer (or the bare answer) into out.
func (c *Client) callData(ctx context.Context, req request, out any) error {
	body, err := c.call(ctx, req)
	if err != nil {
		return err
	}
	data, err := unwrapData(body)
	if err != nil {
		return c.protocolError(req, body, "decode answer", err)
	}
	if err := json.Unmarshal(data, out); err != nil {
		return c.protocolError(req, body, "decode answer", err)
	}
	return nil
}

// wireSuccess is SuccessResult.
type wireSuccess struct {
	Success *flexBool `json:"success"`
}

// callSuccess sends req and checks a SuccessResult answer, wrapped or bare. A missing
// success flag on a 2xx answer is taken as success; success:false is ErrRejected.
func (c *Client) callSuccess(ctx context.Context, req request) error {
	var res wireSuccess
	if err := c.callData(ctx, req, &res); err != nil {
		return err
	}
	if res.Success != nil && !bool(*res.Success) {
		return c.newError(req, ErrRejected, http.StatusOK, "WUG answered success:false", nil)
	}
	return nil
}

type wireProperties struct {
	ID                 flexString `json:"id"`
	DisplayName        flexString `json:"displayName"`
	IsWireless         flexBool   `json:"isWireless"`
	CollectWireless    flexBool   `json:"collectWireless"`
	KeepDetailsCurrent flexBool   `json:"keepDetailsCurrent"`
	Note               flexString `json:"note"`
	SNMPOID            flexString `json:"snmpOid"`
	ActionPolicy       *struct {
		Name flexString `json:"name"`
	} `json:"actionPolicy"`
}

// GetDeviceProperties returns a device's editable properties.
func (c *Client) GetDeviceProperties(ctx context.Context, deviceID string) (DeviceProperties, error) {
	req := request{op: OpGetDeviceProperties, method: http.MethodGet}
	if err := c.requireID(req, "device id", deviceID); err != nil {
		return DeviceProperties{}, err
	}
	req.path = devicePath(deviceID, "properties")
	var w wireProperties
	if err := c.callData(ctx, req, &w); err != nil {
		return DeviceProperties{}, err
	}
	p := DeviceProperties{
		ID:                 string(w.ID),
		DisplayName:        string(w.DisplayName),
		Note:               string(w.Note),
		SNMPOID:            string(w.SNMPOID),
		IsWireless:         bool(w.IsWireless),
		CollectWireless:    bool(w.CollectWireless),
		KeepDetailsCurrent: bool(w.KeepDetailsCurrent),
	}
	if p.ID == "" {
		p.ID = deviceID
	}
	if w.ActionPolicy != nil {
		p.ActionPolicy = string(w.ActionPolicy.Name)
	}
	return p, nil
}

type wirePropertiesUpdate struct {
	DisplayName        *string `json:"displayName,omitempty"`
	Note               *string `json:"note,omitempty"`
	SNMPOID            *string `json:"snmpOid,omitempty"`
	IsWireless         *bool   `json:"isWireless,omitempty"`
	CollectWireless    *bool   `json:"collectWireless,omitempty"`
	KeepDetailsCurrent *bool   `json:"keepDetailsCurrent,omitempty"`
}

// UpdateDeviceProperties changes the set fields of u on a device (PUT /devices/{id}/properties).
// This is how a device is renamed or its note changed: WUG has no PUT /devices/{id}.
func (c *Client) UpdateDeviceProperties(ctx context.Context, deviceID string, u DevicePropertiesUpdate) error {
	req := request{op: OpUpdateDeviceProperties, method: http.MethodPut}
	if err := c.requireID(req, "device id", deviceID); err != nil {
		return err
	}
	if u.DisplayName != nil {
		name := strings.TrimSpace(*u.DisplayName)
		if name == "" || TextLen(name) > MaxDisplayName {
			return c.errorf(req, "displayName must be 1 to %d characters, got %q", MaxDisplayName, *u.DisplayName)
		}
		u.DisplayName = &name
	}
	req.path = devicePath(deviceID, "properties")
	req.body = wirePropertiesUpdate(u)
	return c.callSuccess(ctx, req)
}

// DeleteDevice deletes one device (DELETE /devices/{id}). A device that does not exist is
// ErrNotFound.
func (c *Client) DeleteDevice(ctx context.Context, deviceID string) error {
	req := request{op: OpDeleteDevice, method: http.MethodDelete}
	if err := c.requireID(req, "device id", deviceID); err != nil {
		return err
	}
	req.path = devicePath(deviceID)
	return c.callSuccess(ctx, req)
}

type wireBulkDeviceOps struct {
	Operation                 string   `json:"operation"`
	Devices                   []string `json:"devices"`
	RemoveDiscoveredResources bool     `json:"removeDiscoveredResources"`
}

// DeleteDevices deletes many devices (PATCH /devices/- with operation "delete"), at most
// MaxBatchSize per request.
func (c *Client) DeleteDevices(ctx context.Context, deviceIDs []string) (BatchResult, error) {
	req := request{op: OpDeleteDevices, method: http.MethodPatch, path: "/api/v1/devices/-"}
	return c.batched(ctx, req, deviceIDs, func(ids []string) any {
		return wireBulkDeviceOps{Operation: "delete", Devices: ids}
	})
}
