package wug

import (
	"context"
	"encoding/json"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
)

type wireInterface struct {
	InterfaceID      flexString `json:"interfaceId"`
	ID               flexString `json:"id"`
	HostName         flexString `json:"hostName"`
	Address          flexString `json:"address"`
	NetworkAddress   flexString `json:"networkAddress"`
	DefaultInterface flexBool   `json:"defaultInterface"`
	PollUsingName    flexBool   `json:"pollUsingName"`
}

func (w wireInterface) public() Interface {
	id, addr := w.InterfaceID, w.Address
	if id == "" {
		id = w.ID
	}
	if addr == "" {
		addr = w.NetworkAddress
	}
	return Interface{ID: string(id), HostName: string(w.HostName), Address: string(addr),
		Default: bool(w.DefaultInterface), PollUsingName: bool(w.PollUsingName)}
}

// ListInterfaces returns a device's network interfaces (GET /devices/{id}/interfaces/-).
func (c *Client) ListInterfaces(ctx context.Context, deviceID string) ([]Interface, error) {
	req := request{op: OpListInterfaces, method: http.MethodGet}
	if err := c.requireID(req, "device id", deviceID); err != nil {
		return nil, err
	}
	req.path = devicePath(deviceID, "interfaces", "-")
	var out []Interface
	err := c.eachPage(ctx, req, func(body []byte) error {
		raw, err := unwrapList(body, "interfaces")
		if err != nil {
			return c.protocolError(req, body, "decode interfaces", err)
		}
		var wire []wireInterface
		if err := json.Unmarshal(raw, &wire); err != nil {
			return c.protocolError(req, body, "decode interfaces", err)
		}
		for _, w := range wire {
			out = append(out, w.public())
		}
		return nil
	})
	return out, err
}

type wireInterfaceUpdate struct {
	HostName         string `json:"hostName"`
	Address          string `json:"address"`
	DefaultInterface bool   `json:"defaultInterface"`
	PollUsingName    bool   `json:"pollUsingName"`
}

// UpdateInterface changes one interface of a device (PUT /devices/{id}/interfaces/{ifId});
// this is how a device's address changes without creating a new device.
func (c *Client) UpdateInterface(ctx context.Context, deviceID string, iface Interface) (Interface, error) {
	req := request{op: OpUpdateInterface, method: http.MethodPut}
	if err := c.requireID(req, "device id", deviceID); err != nil {
		return Interface{}, err
	}
	if err := c.requireID(req, "interface id", iface.ID); err != nil {
		return Interface{}, err
	}
	if _, err := netip.ParseAddr(strings.TrimSpace(iface.Address)); err != nil {
		return Interface{}, c.errorf(req, "interface address %q is not an IP address", iface.Address)
	}
	req.path = devicePath(deviceID, "interfaces", url.PathEscape(iface.ID))
	req.body = wireInterfaceUpdate{HostName: iface.HostName, Address: strings.TrimSpace(iface.Address),
		DefaultInterface: iface.Default, PollUsingName: iface.PollUsingName}
	var w struct {
		wireInterface
		Success *flexBool `json:"success"`
	}
	if err := c.callData(ctx, req, &w); err != nil {
		return Interface{}, err
	}
	if w.Success != nil && !bool(*w.Success) {
		return Interface{}, c.newError(req, ErrRejected, http.StatusOK, "WUG answered success:false", nil)
	}
	updated := w.public()
	if updated.ID == "" {
		// Some versions answer with a bare SuccessResult; what was sent is then the truth.
		return iface, nil
	}
	return updated, nil
}
