package wug

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
)

type wireGroup struct {
	ID            flexString `json:"id"`
	Name          flexString `json:"name"`
	Description   flexString `json:"description"`
	ParentGroupID flexString `json:"parentGroupId"`
	Details       *struct {
		GroupType             flexString `json:"groupType"`
		ChildrenCount         flexInt    `json:"childrenCount"`
		DeviceChildrenCount   flexInt    `json:"deviceChildrenCount"`
		DeviceDescendantCount flexInt    `json:"deviceDescendantCount"`
	} `json:"details"`
}

func (w wireGroup) public() Group {
	return Group{ID: string(w.ID), Name: string(w.Name), Description: string(w.Description), ParentID: string(w.ParentGroupID)}
}

func decodeGroupPage(body []byte) ([]Group, error) {
	raw, err := unwrapList(body, "groups")
	if err != nil {
		return nil, err
	}
	var wire []wireGroup
	if err := json.Unmarshal(raw, &wire); err != nil {
		return nil, err
	}
	out := make([]Group, len(wire))
	for i, w := range wire {
		out[i] = w.public()
	}
	return out, nil
}

func groupPath(groupID string, rest ...string) string {
	p := "/api/v1/device-groups/" + url.PathEscape(groupID)
	if len(rest) > 0 {
		p += "/" + strings.Join(rest, "/")
	}
	return p
}

// ListGroups returns every device group, nested ones included, following every page of
// GET /device-groups/-. "My Network" has ID RootGroupID and an empty ParentID.
func (c *Client) ListGroups(ctx context.Context) ([]Group, error) {
	req := request{op: OpListGroups, method: http.MethodGet, path: "/api/v1/device-groups/-",
		query: url.Values{"view": {"summary"}, "groupType": {"all"}}}
	var groups []Group
	err := c.eachPage(ctx, req, func(body []byte) error {
		page, err := decodeGroupPage(body)
		if err != nil {
			return c.protocolError(req, body, "decode groups", err)
		}
		groups = append(groups, page...)
		return nil
	})
	return groups, err
}

// CreateChildGroup creates a static group under parentID (POST /device-groups/{id}/child).
// WUG refuses a name that already exists under the same parent.
func (c *Client) CreateChildGroup(ctx context.Context, parentID, name, description string) (Group, error) {
	req := request{op: OpCreateChildGroup, method: http.MethodPost}
	if err := c.requireID(req, "parent group id", parentID); err != nil {
		return Group{}, err
	}
	name = strings.TrimSpace(name)
	if name == "" {
		return Group{}, c.errorf(req, "group name is required")
	}
	req.path = groupPath(parentID, "child")
	req.body = map[string]string{"name": name, "description": description}
	var w wireGroup
	if err := c.callData(ctx, req, &w); err != nil {
		return Group{}, err
	}
	g := w.public()
	if g.ID == "" {
		return Group{}, c.protocolError(req, nil, "created group has no id", nil)
	}
	if g.Name == "" {
		g.Name = name
	}
	if g.ParentID == "" {
		g.ParentID = parentID
	}
	if g.Description == "" {
		g.Description = description
	}
	return g, nil
}

// DeleteGroup deletes an empty group (DELETE /device-groups/{id}). WUG refuses a group that
// still has child groups or devices, and "My Network" can never go, so a caller empties the
// group first; the refusal is ErrRejected and a group that does not exist is ErrNotFound.
func (c *Client) DeleteGroup(ctx context.Context, groupID string) error {
	req := request{op: OpDeleteGroup, method: http.MethodDelete}
	if err := c.requireID(req, "group id", groupID); err != nil {
		return err
	}
	if strings.TrimSpace(groupID) == RootGroupID {
		return c.errorf(req, "%q cannot be deleted", RootGroupName)
	}
	req.path = groupPath(groupID)
	return c.callSuccess(ctx, req)
}

type wireDeviceList struct {
	Devices []string `json:"devices"`
}

// AddDevicesToGroup makes devices members of a static group (POST /device-groups/{id}/devices/-).
func (c *Client) AddDevicesToGroup(ctx context.Context, groupID string, deviceIDs []string) (BatchResult, error) {
	req := request{op: OpAddDevicesToGroup, method: http.MethodPost}
	if err := c.requireID(req, "group id", groupID); err != nil {
		return BatchResult{}, err
	}
	req.path = groupDevicesPath(groupID)
	return c.batched(ctx, req, deviceIDs, func(ids []string) any { return wireDeviceList{Devices: ids} })
}

// RemoveDevicesFromGroup removes devices from a static group (DELETE
// /device-groups/{id}/devices/- with a device list). WUG refuses to remove a device from its
// last static group.
func (c *Client) RemoveDevicesFromGroup(ctx context.Context, groupID string, deviceIDs []string) (BatchResult, error) {
	req := request{op: OpRemoveDevicesFromGroup, method: http.MethodDelete}
	if err := c.requireID(req, "group id", groupID); err != nil {
		return BatchResult{}, err
	}
	req.path = groupDevicesPath(groupID)
	return c.batched(ctx, req, deviceIDs, func(ids []string) any { return wireDeviceList{Devices: ids} })
}

// MoveDevice moves a device from one static group to another. It adds before it removes,
// because WUG refuses to leave a device without a static group.
func (c *Client) MoveDevice(ctx context.Context, deviceID, fromGroupID, toGroupID string) error {
	if fromGroupID == toGroupID {
		return nil
	}
	if _, err := c.AddDevicesToGroup(ctx, toGroupID, []string{deviceID}); err != nil {
		return err
	}
	_, err := c.RemoveDevicesFromGroup(ctx, fromGroupID, []string{deviceID})
	return err
}

// DeviceGroups returns the groups a device belongs to (GET /devices/{id}/group/-).
func (c *Client) DeviceGroups(ctx context.Context, deviceID string) ([]Group, error) {
	req := request{op: OpDeviceGroups, method: http.MethodGet, query: url.Values{"view": {"summary"}}}
	if err := c.requireID(req, "device id", deviceID); err != nil {
		return nil, err
	}
	req.path = devicePath(deviceID, "group", "-")
	var groups []Group
	err := c.eachPage(ctx, req, func(body []byte) error {
		page, err := decodeGroupPage(body)
		if err != nil {
			return c.protocolError(req, body, "decode groups", err)
		}
		groups = append(groups, page...)
		return nil
	})
	return groups, err
}

// DeviceCount returns how many devices "My Network" holds, from one call
// (GET /device-groups/0?view=detail).
func (c *Client) DeviceCount(ctx context.Context) (int, error) {
	req := request{op: OpDeviceCount, method: http.MethodGet, path: groupPath(RootGroupID), query: url.Values{"view": {"detail"}}}
	var w wireGroup
	if err := c.callData(ctx, req, &w); err != nil {
		return 0, err
	}
	if w.Details == nil {
		return 0, c.protocolError(req, nil, "group answer has no details", nil)
	}
	return int(w.Details.DeviceDescendantCount), nil
}
