package api

import (
	"fmt"
	"time"

	"github.com/wugsync/wugsync/models"
)

// connectionView is a connection as the API shows it: the stored fields
// without the password, and whether one is stored.
type connectionView struct {
	models.WUGConnection
	HasPassword bool `json:"has_password"`
	// NextExportAt is models.WUGConnection.NextExportAt.
	NextExportAt *time.Time `json:"next_export_at" doc:"when the next scheduled export starts: one export interval after the connection's creation or its latest export, whichever is later; null when the connection is inactive or export is disabled. A new connection writes nothing to WUG before then unless a person starts an export"`
}

func newConnectionView(c models.WUGConnection, lastRuns map[uint]time.Time) connectionView {
	if c.RoleRules == nil {
		c.RoleRules = []models.RoleRule{} // "none: the built-in rules" reads as [], not null
	}
	c.WUGConsoleURL = c.ConsoleURL() // the URL in effect, the default spelt out
	var lastRun *time.Time
	if t, ok := lastRuns[c.ID]; ok {
		lastRun = &t
	}
	return connectionView{WUGConnection: c, HasPassword: c.HasPassword(), NextExportAt: c.NextExportAt(lastRun)}
}

// runView is a run (WUGSyncLog) with its connection's name and its own URL,
// so a list row links to the run a client can poll.
type runView struct {
	models.WUGSyncLog
	ConnectionName string `json:"connection_name"`
	URL            string `json:"url"`
}

func runURL(id uint) string { return fmt.Sprintf("/api/v1/sync-logs/%d", id) }

func newRunView(r models.WUGSyncLog, connectionName string) runView {
	if r.Replanned == nil {
		r.Replanned = []int64{} // an array in every answer, empty unless the run applied a plan
	}
	return runView{WUGSyncLog: r, ConnectionName: connectionName, URL: runURL(r.ID)}
}

// ipExportView is one export row with a page of the history of its failed
// attempts (limit and offset page it, oldest first). The row's attempts
// counts every attempt ever made; the history keeps the latest ones
// (AttemptHistoryTotal of them).
type ipExportView struct {
	models.NetBoxIPExport
	Attempts            []models.ExportAttempt `json:"attempt_history"`
	AttemptHistoryTotal int64                  `json:"attempt_history_total"`
	Limit               int                    `json:"limit"`
	Offset              int                    `json:"offset"`
}

// page is the envelope of every list endpoint.
type page[T any] struct {
	Items  []T   `json:"items"`
	Total  int64 `json:"total"`
	Limit  int   `json:"limit"`
	Offset int   `json:"offset"`
}

// planPage is the plan of one run: the run and a page of its entries.
type planPage struct {
	Run    runView            `json:"run"`
	Items  []models.PlanEntry `json:"items"`
	Total  int64              `json:"total"`
	Limit  int                `json:"limit"`
	Offset int                `json:"offset"`
}

// exportStarted is the 202 of an export trigger.
type exportStarted struct {
	RunID  uint             `json:"run_id"`
	Status models.RunStatus `json:"status"`
	URL    string           `json:"url"`
}

// exportStatus is GET /connections/{id}/export-status: where the
// connection's devices stand and its latest runs.
type exportStatus struct {
	ConnectionID       uint             `json:"connection_id"`
	ConnectionName     string           `json:"connection_name"`
	EnableNetBoxExport bool             `json:"enable_netbox_export"`
	LastExport         *time.Time       `json:"last_export"`
	Counts             map[string]int64 `json:"counts"`
	Total              int64            `json:"total"`
	ActiveRun          *runView         `json:"active_run"`
	RecentRuns         []runView        `json:"recent_runs"`
}

// queuedSync is the 202 of a single device sync or an ip-export retry.
type queuedSync struct {
	Status string `json:"status"`
	// ObjectType says which kind of NetBox object the sync is about:
	// device (NetBoxDeviceID) or virtualmachine (NetBoxVMID).
	ObjectType     models.ObjectType `json:"object_type"`
	NetBoxDeviceID int64             `json:"netbox_device_id,omitempty"`
	NetBoxVMID     int64             `json:"netbox_vm_id,omitempty"`
	ConnectionID   uint              `json:"connection_id,omitempty"`
	// Connections is how many connections the sync will reach.
	Connections int `json:"connections"`
}

// bulkQueued is the 202 of POST /ip-exports/bulk-export.
type bulkQueued struct {
	Status       string  `json:"status"`
	ConnectionID uint    `json:"connection_id"`
	Queued       []int64 `json:"queued"`
	// QueuedVMs are the virtual machines queued for ip_addresses that
	// virtual machine rows hold.
	QueuedVMs []int64  `json:"queued_vms,omitempty"`
	NotFound  []string `json:"not_found"`
}

// statusBody is the small body of /healthz and of acknowledgements.
type statusBody struct {
	Status string `json:"status"`
}
