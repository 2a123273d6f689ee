package api

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/wugsync/wugsync/export"
	"github.com/wugsync/wugsync/models"
	"github.com/wugsync/wugsync/netbox"
)

// standingNetBoxTimeout bounds the one NetBox read of a standing request.
const standingNetBoxTimeout = 10 * time.Second

// Where a NetBox object stands on one connection (connectionStanding.State).
const (
	StateExported       = "exported"        // a WUG device of ours monitors it
	StateScanning       = "scanning"        // handed to a WUG discovery scan
	StatePending        = "pending"         // a run is creating it
	StateSkipped        = "skipped"         // a run looked at it and did not export it (reason says why)
	StateFailed         = "failed"          // the last attempt failed
	StateDecommissioned = "decommissioned"  // it left the selection; the decommission action was applied
	StateOutsideFilters = "outside_filters" // the connection's filters leave it out (filter says which)
	StateNeverSeen      = "never_seen"      // no run has considered it on this connection
)

// objectStanding is GET /api/v1/netbox-devices/{id} and
// /api/v1/netbox-vms/{id}: where one NetBox object stands on every
// connection, and why.
type objectStanding struct {
	ObjectType     models.ObjectType `json:"object_type"`
	NetBoxObjectID int64             `json:"netbox_object_id"`
	// Name is NetBox's name for it, else the one the export rows recorded.
	Name string `json:"name"`
	// Status is the object's NetBox status value, when NetBox was read.
	Status string `json:"status,omitempty"`
	// NetBox says whether the object was read: found, not_found, or
	// unavailable (NetBoxError says why; the rows still answer).
	NetBox      string               `json:"netbox" enum:"found,not_found,unavailable" doc:"whether NetBox was read: found, not_found, or unavailable (netbox_error says why; the export rows still answer)"`
	NetBoxError string               `json:"netbox_error,omitempty"`
	Connections []connectionStanding `json:"connections"`
}

// connectionStanding is the object on one connection.
type connectionStanding struct {
	ConnectionID   uint   `json:"connection_id"`
	ConnectionName string `json:"connection_name"`
	// ConnectionActive and ExportEnabled are the connection's is_active and
	// enable_netbox_export: a selected object waits for a run while off.
	ConnectionActive bool `json:"connection_active"`
	ExportEnabled    bool `json:"export_enabled"`
	// State is one of exported, scanning, pending, skipped, failed,
	// decommissioned, outside_filters, never_seen.
	State  string `json:"state" enum:"exported,scanning,pending,skipped,failed,decommissioned,outside_filters,never_seen" doc:"where the object stands on this connection"`
	Reason string `json:"reason" doc:"why, for a person: e.g. exported as WUG device 812; skipped with the run's reason; outside the sites filter: site \"lab\" not in [dc1]"`
	// Filter is the device_filters key that leaves the object out
	// (statuses, sites, roles, platforms, tenants, tags), judged now against
	// the object NetBox returned; empty when it is selected or unknown.
	Filter        string `json:"filter,omitempty" doc:"the device_filters key that leaves the object out now (statuses, sites, roles, platforms, tenants, tags), judged against the object NetBox returned"`
	WUGDeviceID   string `json:"wug_device_id,omitempty"`
	WUGConsoleURL string `json:"wug_console_url,omitempty" doc:"the WUG web console's page of the device (the connection's wug_console_url with {id} filled)"`
	// ExportRowID, ExportStatus and LastRunID come from the export row, when
	// there is one (GET /api/v1/ip-exports/{id} has its history).
	ExportRowID  uint                `json:"export_row_id,omitempty"`
	ExportStatus models.ExportStatus `json:"export_status,omitempty"`
	LastRunID    *uint               `json:"last_run_id,omitempty"`
	UpdatedAt    *time.Time          `json:"updated_at,omitempty"`
}

// getNetBoxDevice is GET /api/v1/netbox-devices/{device_id}.
func (s *Server) getNetBoxDevice(c *gin.Context) error {
	return s.objectStanding(c, models.ObjectDevice, "device_id")
}

// getNetBoxVM is GET /api/v1/netbox-vms/{vm_id}.
func (s *Server) getNetBoxVM(c *gin.Context) error {
	return s.objectStanding(c, models.ObjectVirtualMachine, "vm_id")
}

// objectStanding answers where one object of type t stands. It reads the
// object from NetBox once (bounded by standingNetBoxTimeout) to judge every
// connection's filters by the export's rules; without NetBox it answers
// from the export rows alone.
func (s *Server) objectStanding(c *gin.Context, t models.ObjectType, param string) error {
	id, err := pathNetBoxID(c, param)
	if err != nil {
		return err
	}
	ctx := c.Request.Context()
	var conns []models.WUGConnection
	if err := s.p.DB.WithContext(ctx).Order("name").Find(&conns).Error; err != nil {
		return fmt.Errorf("list connections: %w", err)
	}
	var rows []models.NetBoxIPExport
	if err := s.p.DB.WithContext(ctx).Where("object_type = ? AND netbox_object_id = ?", t, id).
		Find(&rows).Error; err != nil {
		return fmt.Errorf("load export rows of %s %d: %w", t, id, err)
	}
	byConn := map[uint]*models.NetBoxIPExport{}
	out := objectStanding{ObjectType: t, NetBoxObjectID: id, Connections: []connectionStanding{}}
	for i := range rows {
		byConn[rows[i].ConnectionID] = &rows[i]
		if out.Name == "" {
			out.Name = rows[i].NetBoxDeviceName
		}
	}
	creating, err := models.NewStore(s.p.DB).CreatingRuns(ctx, t, id)
	if err != nil {
		return err
	}
	judge := s.readForStanding(ctx, t, id, &out)
	for _, conn := range conns {
		st := standingOn(conn, byConn[conn.ID], judge, out.NetBox)
		if run, ok := creating[conn.ID]; ok && byConn[conn.ID] == nil {
			// Planned for creation, its batch not started: the batch
			// inserts the row (models.Store.InsertClaimedCreates).
			st.State, st.Reason, st.LastRunID = StatePending, fmt.Sprintf("run %d is exporting it (its batch has not started yet)", run), &run
		}
		out.Connections = append(out.Connections, st)
	}
	c.JSON(http.StatusOK, out)
	return nil
}

// readForStanding reads the object from NetBox and returns how to judge a
// connection's filters against it; nil when it could not be read.
func (s *Server) readForStanding(ctx context.Context, t models.ObjectType, id int64, out *objectStanding) func(models.DeviceFilters) export.Selection {
	if s.p.NetBox == nil {
		out.NetBox, out.NetBoxError = "unavailable", "this API process has no NetBox configured (WUGSYNC_NETBOX_URL)"
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, standingNetBoxTimeout)
	defer cancel()
	var (
		judge func(models.DeviceFilters) export.Selection
		err   error
	)
	if t == models.ObjectVirtualMachine {
		var vm netbox.VirtualMachine
		if vm, err = s.p.NetBox.GetVirtualMachine(ctx, id); err == nil {
			out.Name, out.Status = vm.DisplayName(), vm.Status.Value
			judge = func(f models.DeviceFilters) export.Selection { return export.ExplainVM(vm, f) }
		}
	} else {
		var d netbox.Device
		if d, err = s.p.NetBox.GetDevice(ctx, id); err == nil {
			out.Name, out.Status = d.DisplayName(), d.Status.Value
			judge = func(f models.DeviceFilters) export.Selection { return export.Explain(d, f) }
		}
	}
	switch {
	case err == nil:
		out.NetBox = "found"
	case errors.Is(err, netbox.ErrNotFound):
		out.NetBox = "not_found"
	default:
		out.NetBox, out.NetBoxError = "unavailable", "could not read it from NetBox: "+err.Error()
		s.p.Log.WithError(err).WithField("device_id", id).Warn("standing: NetBox read failed")
	}
	return judge
}

// standingOn says where the object stands on one connection: its export
// row when there is one, the connection's filters judged now, and NetBox's
// answer.
func standingOn(conn models.WUGConnection, row *models.NetBoxIPExport, judge func(models.DeviceFilters) export.Selection, found string) connectionStanding {
	st := connectionStanding{ConnectionID: conn.ID, ConnectionName: conn.Name,
		ConnectionActive: conn.IsActive, ExportEnabled: conn.EnableNetBoxExport}
	var sel *export.Selection
	if judge != nil {
		v := judge(conn.DeviceFilters)
		sel = &v
		st.Filter = v.Filter
	}
	if row == nil {
		switch {
		case sel != nil && !sel.Selected:
			st.State, st.Reason = StateOutsideFilters, fmt.Sprintf("outside the %s filter: %s", sel.Filter, sel.Reason)
		case sel != nil:
			st.State, st.Reason = StateNeverSeen, "selected by the filters; no run has considered it on this connection yet"
		case found == "not_found":
			st.State, st.Reason = StateNeverSeen, "not in NetBox, and never exported on this connection"
		default:
			st.State, st.Reason = StateNeverSeen, "no run has considered it on this connection (NetBox could not be read to judge the filters)"
		}
		return st
	}
	updated := row.UpdatedAt
	st.ExportRowID, st.ExportStatus, st.LastRunID, st.UpdatedAt = row.ID, row.ExportStatus, row.LastRunID, &updated
	if row.WUGDeviceID != "" {
		st.WUGDeviceID, st.WUGConsoleURL = row.WUGDeviceID, conn.ConsoleDeviceURL(row.WUGDeviceID)
	}
	switch row.ExportStatus {
	case models.ExportExported, models.ExportScanCompleted:
		st.State, st.Reason = StateExported, "exported as WUG device "+row.WUGDeviceID
	case models.ExportScanTriggered:
		st.State, st.Reason = StateScanning, "handed to WUG discovery scan "+row.WUGScanID
	case models.ExportPending:
		st.State, st.Reason = StatePending, "a run is exporting it"
	case models.ExportSkipped:
		st.State, st.Reason = StateSkipped, row.SkipReason
	case models.ExportError:
		st.State, st.Reason = StateFailed, row.ErrorMessage
	case models.ExportDecommissioned:
		st.State, st.Reason = StateDecommissioned, "left the selection; the decommission action ("+string(conn.DecommissionAction)+") was applied"
	default:
		st.State, st.Reason = string(row.ExportStatus), row.SkipReason+row.ErrorMessage
	}
	switch {
	case found == "not_found" && st.WUGDeviceID != "" && row.ExportStatus != models.ExportDecommissioned:
		st.Reason += "; deleted in NetBox since: the next run applies the decommission action"
	case sel != nil && !sel.Selected && st.WUGDeviceID != "" && row.ExportStatus != models.ExportDecommissioned:
		st.Reason += fmt.Sprintf("; now outside the %s filter (%s): the next run applies the decommission action", sel.Filter, sel.Reason)
	}
	return st
}
