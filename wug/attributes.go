package wug

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
)

type wireAttribute struct {
	AttributeID flexString `json:"attributeId"`
	ID          flexString `json:"id"`
	Name        flexString `json:"name"`
	Value       flexString `json:"value"`
}

// ListAttributes returns every attribute of a device (GET /devices/{id}/attributes/-, all pages).
func (c *Client) ListAttributes(ctx context.Context, deviceID string) ([]Attribute, error) {
	req := request{op: OpListAttributes, method: http.MethodGet}
	if err := c.requireID(req, "device id", deviceID); err != nil {
		return nil, err
	}
	req.path = devicePath(deviceID, "attributes", "-")
	var attrs []Attribute
	err := c.eachPage(ctx, req, func(body []byte) error {
		raw, err := unwrapList(body, "attributes")
		if err != nil {
			return c.protocolError(req, body, "decode attributes", err)
		}
		var wire []wireAttribute
		if err := json.Unmarshal(raw, &wire); err != nil {
			return c.protocolError(req, body, "decode attributes", err)
		}
		for _, w := range wire {
			id := w.AttributeID
			if id == "" {
				id = w.ID
			}
			attrs = append(attrs, Attribute{ID: string(id), Name: string(w.Name), Value: string(w.Value)})
		}
		return nil
	})
	return attrs, err
}

type wireAttributeBatch struct {
	DeleteAllAttributes    bool            `json:"deleteAllAttributes,omitempty"`
	AttributesToDelete     []string        `json:"attributesToDelete,omitempty"`
	AttributeNamesToDelete []string        `json:"attributeNamesToDelete,omitempty"`
	AttributeToModify      []wireAttribute `json:"attributeToModify,omitempty"`
	AttributesToAdd        []wireNameValue `json:"attributesToAdd,omitempty"`
}

// PatchAttributes applies one attribute batch to a device (PATCH /devices/{id}/attributes/-)
// in a single request.
func (c *Client) PatchAttributes(ctx context.Context, deviceID string, b AttributeBatch) (BatchResult, error) {
	req := request{op: OpPatchAttributes, method: http.MethodPatch}
	if err := c.requireID(req, "device id", deviceID); err != nil {
		return BatchResult{}, err
	}
	wire := wireAttributeBatch{
		DeleteAllAttributes:    b.DeleteAll,
		AttributesToDelete:     b.DeleteIDs,
		AttributeNamesToDelete: b.DeleteNames,
	}
	for i, a := range b.Modify {
		if a.ID == "" || strings.TrimSpace(a.Name) == "" {
			return BatchResult{}, c.errorf(req, "attribute to modify %d needs an id and a name", i)
		}
		wire.AttributeToModify = append(wire.AttributeToModify, wireAttribute{AttributeID: flexString(a.ID), Name: flexString(a.Name), Value: flexString(a.Value)})
	}
	for i, a := range b.Add {
		if strings.TrimSpace(a.Name) == "" {
			return BatchResult{}, c.errorf(req, "attribute to add %d has no name", i)
		}
		wire.AttributesToAdd = append(wire.AttributesToAdd, wireNameValue{Name: flexString(a.Name), Value: flexString(a.Value)})
	}
	req.path = devicePath(deviceID, "attributes", "-")
	req.body = wire
	result := BatchResult{Success: true}
	if err := c.callCounted(ctx, req, &result); err != nil {
		return result, err
	}
	if !result.Success {
		return result, c.rejected(req, result)
	}
	return result, nil
}

// SetAttributes sets each named attribute to its value in one request: it deletes every
// attribute with one of these names (WUG matches names case-insensitively, and duplicates go
// too) and adds the new values. Attributes with other names are untouched.
func (c *Client) SetAttributes(ctx context.Context, deviceID string, attrs []NameValue) (BatchResult, error) {
	if len(attrs) == 0 {
		return BatchResult{Success: true}, nil
	}
	names := make([]string, 0, len(attrs))
	for _, a := range attrs {
		names = append(names, a.Name)
	}
	return c.PatchAttributes(ctx, deviceID, AttributeBatch{DeleteNames: names, Add: attrs})
}
