package wug

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"time"
)

type wireNewDevice struct {
	IPOrNames                 []string `json:"ipOrNames"`
	ForceAdd                  bool     `json:"forceAdd"`
	ForceCreate               bool     `json:"forceCreate"`
	ForceRole                 string   `json:"forceRole,omitempty"`
	ResolveDNSHostNames       bool     `json:"resolveDNSHostNames"`
	UseAllCredentials         bool     `json:"useAllCredentials"`
	Credentials               []string `json:"credentials,omitempty"`
	ExpandVirtualEnvironment  bool     `json:"expandVirtualEnvironment"`
	ExpandWirelessEnvironment bool     `json:"expandWirelessEnvironment"`
	ExpandStorageEnvironment  bool     `json:"expandStorageEnvironment"`
}

type wireNamedResult struct {
	ID          flexString `json:"id"`
	Name        flexString `json:"name"`
	Description flexString `json:"description"`
	Success     *flexBool  `json:"success"`
}

// StartNewDeviceScan starts a discovery scan that adds the given addresses or host names to a
// static group (PATCH /device-groups/{id}/newDevice) and returns the scan id. WUG does not
// return device ids here: poll ScanStatus until Done, then read ScanDevices.
func (c *Client) StartNewDeviceScan(ctx context.Context, groupID string, ipOrNames []string, opts ScanOptions) (string, error) {
	req := request{op: OpStartScan, method: http.MethodPatch}
	if err := c.requireID(req, "group id", groupID); err != nil {
		return "", err
	}
	if len(ipOrNames) == 0 {
		return "", c.errorf(req, "at least one address or host name is required")
	}
	for i, s := range ipOrNames {
		if strings.TrimSpace(s) == "" {
			return "", c.errorf(req, "address %d is empty", i)
		}
	}
	req.path = groupPath(groupID, "newDevice")
	req.body = wireNewDevice{
		IPOrNames:                 ipOrNames,
		ForceAdd:                  opts.ForceAdd,
		ForceCreate:               opts.ForceCreate,
		ForceRole:                 opts.ForceRole,
		ResolveDNSHostNames:       opts.ResolveDNSHostNames,
		UseAllCredentials:         len(opts.Credentials) == 0,
		Credentials:               opts.Credentials,
		ExpandVirtualEnvironment:  true,
		ExpandWirelessEnvironment: true,
		ExpandStorageEnvironment:  true,
	}
	var w wireNamedResult
	if err := c.callData(ctx, req, &w); err != nil {
		return "", err
	}
	if w.Success != nil && !bool(*w.Success) {
		return "", c.newError(req, ErrRejected, http.StatusOK, "WUG answered success:false: "+string(w.Description), nil)
	}
	if w.ID == "" {
		return "", c.protocolError(req, nil, "newDevice answer has no scan id", nil)
	}
	return string(w.ID), nil
}

type wireScan struct {
	ID              flexString `json:"id"`
	Name            flexString `json:"name"`
	Description     flexString `json:"description"`
	Model           flexString `json:"model"`
	Type            flexString `json:"type"`
	Phase           flexString `json:"phase"`
	Progress        flexFloat  `json:"progress"`
	PhaseProgress   flexFloat  `json:"phaseProgress"`
	DevicesFound    flexInt    `json:"devicesFound"`
	DevicesComplete flexInt    `json:"devicesComplete"`
	ScanUTC         flexTime   `json:"scanUtc"`
}

func (w wireScan) public() Scan {
	return Scan{
		ID: string(w.ID), Name: string(w.Name), Description: string(w.Description),
		Model: string(w.Model), Type: string(w.Type), Phase: string(w.Phase),
		Progress: float64(w.Progress), PhaseProgress: float64(w.PhaseProgress),
		DevicesFound: int(w.DevicesFound), DevicesComplete: int(w.DevicesComplete),
		ScanUTC: time.Time(w.ScanUTC),
	}
}

func scanPath(scanID, rest string) string {
	return "/api/v1/device-scan/" + url.PathEscape(scanID) + "/" + rest
}

// ScanStatus returns the status of one scan (GET /device-scan/{id}/status).
func (c *Client) ScanStatus(ctx context.Context, scanID string) (Scan, error) {
	req := request{op: OpScanStatus, method: http.MethodGet}
	if err := c.requireID(req, "scan id", scanID); err != nil {
		return Scan{}, err
	}
	req.path = scanPath(scanID, "status")
	var w wireScan
	if err := c.callData(ctx, req, &w); err != nil {
		return Scan{}, err
	}
	s := w.public()
	if s.ID == "" {
		s.ID = scanID
	}
	return s, nil
}

// ListScans returns recent newDevice scans (GET /device-scan/-/status?model=newDevice);
// activeOnly keeps only scans still running, so a finished scan drops out of that list.
func (c *Client) ListScans(ctx context.Context, activeOnly bool) ([]Scan, error) {
	req := request{op: OpListScans, method: http.MethodGet, path: scanPath("-", "status"),
		query: url.Values{"model": {"newDevice"}, "activeOnly": {boolString(activeOnly)}}}
	var scans []Scan
	err := c.eachPage(ctx, req, func(body []byte) error {
		raw, err := unwrapList(body, "scans")
		if err != nil {
			return c.protocolError(req, body, "decode scans", err)
		}
		var wire []wireScan
		if err := json.Unmarshal(raw, &wire); err != nil {
			return c.protocolError(req, body, "decode scans", err)
		}
		for _, w := range wire {
			scans = append(scans, w.public())
		}
		return nil
	})
	return scans, err
}

// ScanDevices returns the devices a scan created or updated (GET /device-scan/{id}/devices).
// WUG forgets this over time, so read it soon after the scan is done.
func (c *Client) ScanDevices(ctx context.Context, scanID string) ([]DeviceOverview, error) {
	req := request{op: OpScanDevices, method: http.MethodGet, query: url.Values{"view": {viewBasic}}}
	if err := c.requireID(req, "scan id", scanID); err != nil {
		return nil, err
	}
	req.path = scanPath(scanID, "devices")
	var devices []DeviceOverview
	err := c.eachPage(ctx, req, func(body []byte) error {
		page, err := decodeDevicePage(body)
		if err != nil {
			return c.protocolError(req, body, "decode scan devices", err)
		}
		devices = append(devices, page...)
		return nil
	})
	return devices, err
}

func boolString(b bool) string {
	if b {
		return "true"
	}
	return "false"
}
