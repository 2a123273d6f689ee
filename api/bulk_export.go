package api

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/netip"
	"strings"

	"github.com/gin-gonic/gin"
	"github.com/sirupsen/logrus"

	"github.com/wugsync/wugsync/models"
	"github.com/wugsync/wugsync/tasks"
)

// maxBulkItems bounds one bulk export; larger sets are what an export run
// with filters is for.
const maxBulkItems = 1000

// bulkExportInput is the body of POST /ip-exports/bulk-export: a connection
// and either NetBox device ids or IP addresses already exported on it.
type bulkExportInput struct {
	ConnectionID uint     `json:"connection_id"`
	DeviceIDs    []int64  `json:"device_ids" doc:"NetBox device ids, 1 to 2147483647"`
	IPAddresses  []string `json:"ip_addresses"`
}

// validate checks the shape and returns the normalised addresses.
func (in bulkExportInput) validate() ([]string, error) {
	switch {
	case in.ConnectionID == 0:
		return nil, unprocessable("connection_id", "is required")
	case len(in.DeviceIDs) > 0 && len(in.IPAddresses) > 0:
		return nil, unprocessable("device_ids", "give device_ids or ip_addresses, not both")
	case len(in.DeviceIDs) == 0 && len(in.IPAddresses) == 0:
		return nil, unprocessable("device_ids", "give device_ids or ip_addresses")
	case len(in.DeviceIDs) > maxBulkItems:
		return nil, unprocessable("device_ids", fmt.Sprintf("has more than %d entries; run an export with filters instead", maxBulkItems))
	case len(in.IPAddresses) > maxBulkItems:
		return nil, unprocessable("ip_addresses", fmt.Sprintf("has more than %d entries; run an export with filters instead", maxBulkItems))
	}
	for i, id := range in.DeviceIDs {
		if id <= 0 || id > MaxNetBoxID {
			return nil, unprocessable(fmt.Sprintf("device_ids[%d]", i), fmt.Sprintf("%d is not a NetBox device id (1 to %d)", id, MaxNetBoxID))
		}
	}
	ips := make([]string, 0, len(in.IPAddresses))
	for i, raw := range in.IPAddresses {
		addr, ok := normalizeIP(raw)
		if !ok {
			return nil, unprocessable(fmt.Sprintf("ip_addresses[%d]", i), fmt.Sprintf("%q is not an IP address", raw))
		}
		ips = appendUnique(ips, addr)
	}
	return ips, nil
}

// normalizeIP accepts "10.0.0.1", "10.0.0.1/24" or "2001:db8::1" and
// returns the bare address in the form export rows store.
func normalizeIP(raw string) (string, bool) {
	raw = strings.TrimSpace(raw)
	if host, _, found := strings.Cut(raw, "/"); found {
		raw = host
	}
	addr, err := netip.ParseAddr(raw)
	if err != nil || addr.Zone() != "" {
		return "", false
	}
	return addr.Unmap().String(), true
}

// bulkExport resolves the request to devices and queues one sync each;
// debouncing in the Enqueuer makes a repeated request harmless.
func (s *Server) bulkExport(ctx context.Context, in bulkExportInput, trigger models.Trigger) (bulkQueued, error) {
	ips, err := in.validate()
	if err != nil {
		return bulkQueued{}, err
	}
	conn, err := s.q.connection(ctx, in.ConnectionID)
	var nf *Error
	if errors.As(err, &nf) && nf.Status == http.StatusNotFound {
		return bulkQueued{}, unprocessable("connection_id", fmt.Sprintf("no connection with id %d", in.ConnectionID))
	}
	if err != nil {
		return bulkQueued{}, err
	}
	if !conn.IsActive || !conn.EnableNetBoxExport {
		return bulkQueued{}, conflict("connection %q is not active or has export disabled", conn.Name)
	}
	out := bulkQueued{Status: "queued", ConnectionID: conn.ID, Queued: []int64{}, NotFound: []string{}}
	devices := in.DeviceIDs
	var vms []int64
	if len(ips) > 0 {
		byIP, err := s.q.devicesByIP(ctx, conn.ID, ips)
		if err != nil {
			return bulkQueued{}, err
		}
		vmsByIP, err := s.q.objectsByIP(ctx, conn.ID, models.ObjectVirtualMachine, ips)
		if err != nil {
			return bulkQueued{}, err
		}
		devices = nil
		for _, ip := range ips {
			if len(byIP[ip]) == 0 && len(vmsByIP[ip]) == 0 {
				out.NotFound = append(out.NotFound, ip)
			}
			for _, id := range byIP[ip] {
				devices = appendUnique(devices, id)
			}
			for _, id := range vmsByIP[ip] {
				vms = appendUnique(vms, id)
			}
		}
	}
	for _, id := range vms {
		err := s.p.Enqueuer.Enqueue(ctx, tasks.DeviceSyncPayload{NetBoxVMID: id, ConnectionID: conn.ID, Trigger: string(trigger)})
		if err != nil && !errors.Is(err, tasks.ErrAlreadyQueued) {
			return bulkQueued{}, unavailable("queued %d of %d virtual machine syncs, then: %v", len(out.QueuedVMs), len(vms), err)
		}
		out.QueuedVMs = append(out.QueuedVMs, id)
	}
	for _, id := range devices {
		if containsID(out.Queued, id) {
			continue
		}
		err := s.p.Enqueuer.Enqueue(ctx, tasks.DeviceSyncPayload{NetBoxDeviceID: id, ConnectionID: conn.ID, Trigger: string(trigger)})
		if err != nil && !errors.Is(err, tasks.ErrAlreadyQueued) {
			return bulkQueued{}, unavailable("queued %d of %d device syncs, then: %v", len(out.Queued), len(devices), err)
		}
		out.Queued = append(out.Queued, id)
	}
	s.p.Log.WithFields(logrus.Fields{"connection": conn.Name, "devices": len(out.Queued), "not_found": len(out.NotFound)}).
		Info("bulk export queued")
	return out, nil
}

func containsID(ids []int64, id int64) bool {
	for _, x := range ids {
		if x == id {
			return true
		}
	}
	return false
}

// postBulkExport is POST /api/v1/ip-exports/bulk-export.
func (s *Server) postBulkExport(c *gin.Context) error {
	var in bulkExportInput
	if err := decodeJSON(c.Request, &in, false); err != nil {
		return err
	}
	out, err := s.bulkExport(c.Request.Context(), in, models.TriggerManual)
	if err != nil {
		return err
	}
	c.JSON(http.StatusAccepted, out)
	return nil
}
