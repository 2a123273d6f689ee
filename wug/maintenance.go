package wug

import (
	"context"
	"net/http"
	"time"
	"unicode/utf8"
)

// maxMaintenanceReason is WUG's limit on the maintenance reason.
const maxMaintenanceReason = 250

type wireMaintenance struct {
	Devices []string `json:"devices,omitempty"`
	Enabled bool     `json:"enabled"`
	Reason  string   `json:"reason,omitempty"`
	EndUTC  string   `json:"endUtc,omitempty"`
}

// SetMaintenance turns maintenance mode on or off for devices, indefinitely. One device uses
// PUT /devices/{id}/config/maintenance; more use PATCH /devices/-/config/maintenance in
// requests of at most MaxBatchSize.
func (c *Client) SetMaintenance(ctx context.Context, deviceIDs []string, enabled bool, reason string) (BatchResult, error) {
	return c.setMaintenance(ctx, deviceIDs, wireMaintenance{Enabled: enabled, Reason: reason})
}

// SetMaintenanceUntil turns maintenance mode on for devices until end.
func (c *Client) SetMaintenanceUntil(ctx context.Context, deviceIDs []string, reason string, end time.Time) (BatchResult, error) {
	m := wireMaintenance{Enabled: true, Reason: reason}
	if !end.IsZero() {
		m.EndUTC = end.UTC().Format("2006-01-02T15:04:05Z")
	}
	return c.setMaintenance(ctx, deviceIDs, m)
}

func (c *Client) setMaintenance(ctx context.Context, deviceIDs []string, m wireMaintenance) (BatchResult, error) {
	req := request{op: OpSetMaintenance}
	if utf8.RuneCountInString(m.Reason) > maxMaintenanceReason {
		return BatchResult{}, c.errorf(req, "maintenance reason is longer than %d characters", maxMaintenanceReason)
	}
	switch len(deviceIDs) {
	case 0:
		return BatchResult{Success: true}, nil
	case 1:
		req.method = http.MethodPut
		if err := c.requireID(req, "device id", deviceIDs[0]); err != nil {
			return BatchResult{}, err
		}
		req.path = devicePath(deviceIDs[0], "config", "maintenance")
		req.body = m
		if err := c.callSuccess(ctx, req); err != nil {
			return BatchResult{}, err
		}
		return BatchResult{Successful: 1, Success: true}, nil
	}
	req.method = http.MethodPatch
	req.path = "/api/v1/devices/-/config/maintenance"
	return c.batched(ctx, req, deviceIDs, func(ids []string) any {
		batch := m
		batch.Devices = ids
		return batch
	})
}
