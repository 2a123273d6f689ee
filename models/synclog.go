package models

import (
	"encoding/json"
	"time"

	"gorm.io/gorm"

	"github.com/wugsync/wugsync/export"
)

// WUGSyncLog is one run and the unit of progress: its counters are updated
// as batches finish so a person can watch a run live.
type WUGSyncLog struct {
	ID           uint          `gorm:"column:id;primaryKey" json:"id"`
	ConnectionID uint          `gorm:"column:connection_id" json:"connection_id"`
	SyncType     SyncType      `gorm:"column:sync_type" json:"sync_type"`
	Trigger      Trigger       `gorm:"column:trigger" json:"trigger"`
	Status       RunStatus     `gorm:"column:status" json:"status"`
	DryRun       bool          `gorm:"column:dry_run" json:"dry_run"`
	Filters      DeviceFilters `gorm:"column:filters;serializer:json" json:"filters"`
	StartedAt    *time.Time    `gorm:"column:started_at" json:"started_at"`
	// PlannedAt is set when the plan is complete and stored; a retried run
	// after that only re-enqueues its batches.
	PlannedAt        *time.Time `gorm:"column:planned_at" json:"planned_at"`
	EndedAt          *time.Time `gorm:"column:ended_at" json:"ended_at"`
	DevicesTotal     int        `gorm:"column:devices_total" json:"devices_total"`
	DevicesCreated   int        `gorm:"column:devices_created" json:"devices_created"`
	DevicesUpdated   int        `gorm:"column:devices_updated" json:"devices_updated"`
	DevicesUnchanged int        `gorm:"column:devices_unchanged" json:"devices_unchanged"`
	DevicesSkipped   int        `gorm:"column:devices_skipped" json:"devices_skipped"`
	DevicesFailed    int        `gorm:"column:devices_failed" json:"devices_failed"`
	// DevicesExcluded counts the objects the filters select whose status
	// the connection does not export: each has a skipped plan entry that
	// names its status, and none is in DevicesTotal.
	DevicesExcluded int `gorm:"column:devices_excluded" json:"devices_excluded"`
	// AppliedFrom is the dry run whose stored plan this run applies
	// (POST /sync-logs/{id}/apply); nil for a run that planned itself.
	AppliedFrom *uint `gorm:"column:applied_from" json:"applied_from"`
	// Replanned lists the NetBox object ids an applied run decided again
	// because NetBox changed them after the dry run's plan.
	Replanned []int64 `gorm:"column:replanned;serializer:json" json:"replanned"`
	// BatchesTotal and BatchesDone let the last batch to finish close the run
	// without a coordinator.
	// Mode is how the run read NetBox: "full" (every object of the
	// selection) or "incremental" (only what changed since the previous
	// run's NetBoxSince); empty until planned, or "full" from the start
	// when a person asked for a full run.
	Mode RunMode `gorm:"column:mode" json:"mode"`
	// NetBoxSince is the time, on NetBox's own clock, from which the next
	// incremental run asks NetBox for changes: the clock at this run's
	// first NetBox answer less a safety margin. Nil when the run cannot
	// serve as a base (a dry run, a filtered run, no Date from NetBox).
	NetBoxSince *time.Time `gorm:"column:netbox_since" json:"netbox_since"`
	// ConfigHash is the hash of the connection's settings that shape a
	// plan, as this run planned with; another hash makes the next run full.
	ConfigHash   string    `gorm:"column:config_hash" json:"-"`
	BatchesTotal int       `gorm:"column:batches_total" json:"batches_total"`
	BatchesDone  int       `gorm:"column:batches_done" json:"batches_done"`
	Summary      string    `gorm:"column:summary" json:"summary"`
	ErrorMessage string    `gorm:"column:error_message" json:"error_message"`
	CreatedAt    time.Time `gorm:"column:created_at" json:"created_at"`
	UpdatedAt    time.Time `gorm:"column:updated_at" json:"updated_at"`
}

// TableName pins the table name.
func (WUGSyncLog) TableName() string { return "wug_sync_logs" }

// PlanEntry is what a run decided for one device, with the field diffs of an
// update. A dry run stops after writing these.
type PlanEntry struct {
	ID           uint `gorm:"column:id;primaryKey" json:"id"`
	RunID        uint `gorm:"column:sync_log_id" json:"sync_log_id"`
	ConnectionID uint `gorm:"column:connection_id" json:"connection_id"`
	// ObjectType and NetBoxObjectID name the NetBox object; a device's id
	// is also in NetBoxDeviceID.
	ObjectType     ObjectType `gorm:"column:object_type" json:"object_type"`
	NetBoxObjectID int64      `gorm:"column:netbox_object_id" json:"netbox_object_id"`
	NetBoxDeviceID int64      `gorm:"column:netbox_device_id" json:"netbox_device_id"`
	DeviceName     string     `gorm:"column:device_name" json:"device_name"`
	IPAddress      string     `gorm:"column:ip_address" json:"ip_address"`
	Action         PlanAction `gorm:"column:action" json:"action"`
	Reason         string     `gorm:"column:reason" json:"reason"`
	// WUGDeviceID is the device an update or decommission acts on; for a
	// create it is empty unless the plan found the device already in WUG
	// (adoption).
	WUGDeviceID string          `gorm:"column:wug_device_id" json:"wug_device_id,omitempty"`
	Diff        json.RawMessage `gorm:"column:diff;serializer:json" json:"diff,omitempty"`
	// PayloadHash is the hash of the Fields the entry was decided on; a
	// batch that maps the object to other Fields decides again.
	PayloadHash string `gorm:"column:payload_hash" json:"-"`
	// Mapped is what the plan mapped for an entry that writes to WUG; the
	// batch writes it without reading NetBox again. Nil on other entries,
	// and on those of plans stored before it existed (the batch then
	// fails them for the next run to plan again).
	Mapped *PlannedWrite `gorm:"column:mapped;serializer:json" json:"-"`
	Batch  int           `gorm:"column:batch" json:"batch"`
	// Excluded marks a skip for the object's status: the filters select
	// it, the connection does not export that status. Such entries count
	// in devices_excluded, not in devices_total.
	Excluded bool `gorm:"column:excluded" json:"excluded"`
	// Outcome is empty until a batch applied the entry, then done, failed
	// (with Error) or scan_triggered.
	Outcome   Outcome   `gorm:"column:outcome" json:"outcome"`
	Error     string    `gorm:"column:error" json:"error"`
	CreatedAt time.Time `gorm:"column:created_at" json:"created_at"`
}

// TableName pins the table name.
func (PlanEntry) TableName() string { return "sync_plan_entries" }

// PlannedWrite is what a plan read from NetBox for an object it writes to
// WUG: the mapped Fields (the template is rebuilt from them with
// export.MappedFromFields) and the value of the connection's write-back
// custom field, so the batch can tell whether NetBox already holds the WUG
// device id.
type PlannedWrite struct {
	Fields export.Fields `json:"fields"`
	// CustomField is the write-back field's value as NetBox showed it ("" for
	// null); nil when the connection writes nothing back.
	CustomField *string `json:"custom_field,omitempty"`
}

// BeforeCreate completes the identity of a device entry given by its
// device id alone.
func (e *PlanEntry) BeforeCreate(*gorm.DB) error {
	e.ObjectType, e.NetBoxObjectID = objectIdentity(e.ObjectType, e.NetBoxObjectID, e.NetBoxDeviceID)
	return nil
}

// RunBatch is the tally of one batch of a run. Each batch rewrites its own
// row from its own plan entries, so a batch that runs twice never counts
// twice, and moves its run's counters by the difference from the row it
// replaced (AddRunProgress, under the run's lock): a batch's cost does not
// grow with the run. Only a run's close, and a sweep, sum every tally.
type RunBatch struct {
	ID             uint      `gorm:"column:id;primaryKey" json:"-"`
	RunID          uint      `gorm:"column:sync_log_id" json:"sync_log_id"`
	Batch          int       `gorm:"column:batch" json:"batch"`
	Created        int       `gorm:"column:created" json:"created"`
	Updated        int       `gorm:"column:updated" json:"updated"`
	Decommissioned int       `gorm:"column:decommissioned" json:"decommissioned"`
	Failed         int       `gorm:"column:failed" json:"failed"`
	Scanning       int       `gorm:"column:scanning" json:"scanning"`
	Pending        int       `gorm:"column:pending" json:"pending"`
	UpdatedAt      time.Time `gorm:"column:updated_at" json:"updated_at"`
}

// TableName pins the table name.
func (RunBatch) TableName() string { return "sync_run_batches" }
