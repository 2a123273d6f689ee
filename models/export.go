package models

import (
	"encoding/json"
	"time"

	"gorm.io/gorm"

	"github.com/wugsync/wugsync/export"
)

// NetBoxIPExport is the export state of one NetBox object on one WUG
// connection: the link to the WUG device, what was last sent (PayloadHash)
// and the timestamp of every transition. It is keyed by (connection, object
// type, NetBox object id), not by IP, so an object that changes address
// keeps its WUG device, and it outlives the NetBox object so history
// survives deletion.
type NetBoxIPExport struct {
	ID           uint `gorm:"column:id;primaryKey" json:"id"`
	ConnectionID uint `gorm:"column:connection_id" json:"connection_id"`
	// ObjectType and NetBoxObjectID name the NetBox object; a device's id
	// is also in NetBoxDeviceID.
	ObjectType       ObjectType   `gorm:"column:object_type" json:"object_type"`
	NetBoxObjectID   int64        `gorm:"column:netbox_object_id" json:"netbox_object_id"`
	NetBoxDeviceID   int64        `gorm:"column:netbox_device_id" json:"netbox_device_id"`
	NetBoxDeviceName string       `gorm:"column:netbox_device_name" json:"netbox_device_name"`
	IPAddress        string       `gorm:"column:ip_address" json:"ip_address"`
	ExportReason     ExportReason `gorm:"column:export_reason" json:"export_reason"`
	ExportStatus     ExportStatus `gorm:"column:export_status" json:"export_status"`
	// WUGDeviceID is set once this service created or adopted the WUG device;
	// only such devices are ever decommissioned.
	WUGDeviceID string `gorm:"column:wug_device_id" json:"wug_device_id"`
	// Adopted is true when the WUG device existed before wugsync linked it.
	Adopted             bool   `gorm:"column:adopted" json:"adopted"`
	WUGGroupID          string `gorm:"column:wug_group_id" json:"wug_group_id"`
	WUGScanID           string `gorm:"column:wug_scan_id" json:"wug_scan_id"`
	WUGScanStatus       string `gorm:"column:wug_scan_status" json:"wug_scan_status"`
	WUGDeviceDiscovered bool   `gorm:"column:wug_device_discovered" json:"wug_device_discovered"`
	// PayloadHash is the hash of the WUG template last written, so an
	// unchanged device costs no WUG call.
	PayloadHash string `gorm:"column:payload_hash" json:"payload_hash"`
	// ExportedFields is the JSON of what was last written to WUG (the
	// export.Fields of the device), so the next run can show field diffs.
	ExportedFields string `gorm:"column:exported_fields" json:"-"`
	Attempts       int    `gorm:"column:attempts" json:"attempts"`
	ErrorMessage   string `gorm:"column:error_message" json:"error_message"`
	// SkipReason says why a device is not exported (bad IP, IP conflict…).
	SkipReason string `gorm:"column:skip_reason" json:"skip_reason"`
	LastRunID  *uint  `gorm:"column:last_run_id" json:"last_run_id"`
	// CreateAttemptedAt is set just before a template call that may create
	// the device. A retry that finds it set without a WUGDeviceID searches
	// WUG by IP first, because the earlier call may have created the device
	// before its answer was lost. The export that links the device clears
	// it, with the claim (RowExported).
	CreateAttemptedAt *time.Time `gorm:"column:create_attempted_at" json:"create_attempted_at"`
	// CreateClaim names the task allowed to create the device right now
	// (with CreateClaimedAt), so a webhook sync and a run that both plan a
	// create for the same device never both send a template.
	CreateClaim     string     `gorm:"column:create_claim" json:"-"`
	CreateClaimedAt *time.Time `gorm:"column:create_claimed_at" json:"-"`
	// NetBoxFieldValue is what the connection's NetBox custom field holds
	// for this object as wugsync last read or wrote it; empty for nothing.
	// A write-back is skipped when it already holds the value to write.
	NetBoxFieldValue string `gorm:"column:netbox_field_value" json:"netbox_field_value,omitempty"`
	// NetBoxWritebackDue is the write-back still owed to NetBox (a
	// WritebackEvent), empty when none: set in the same transaction that
	// records the WUG change, cleared once NetBox has it, so a task that
	// dies in between leaves the write to its retry.
	NetBoxWritebackDue WritebackEvent `gorm:"column:netbox_writeback_due" json:"-"`
	ExportedAt         *time.Time     `gorm:"column:exported_at" json:"exported_at"`
	ScanTriggeredAt    *time.Time     `gorm:"column:scan_triggered_at" json:"scan_triggered_at"`
	ScanCompletedAt    *time.Time     `gorm:"column:scan_completed_at" json:"scan_completed_at"`
	SkippedAt          *time.Time     `gorm:"column:skipped_at" json:"skipped_at"`
	ErrorAt            *time.Time     `gorm:"column:error_at" json:"error_at"`
	DecommissionedAt   *time.Time     `gorm:"column:decommissioned_at" json:"decommissioned_at"`
	CreatedAt          time.Time      `gorm:"column:created_at" json:"created_at"`
	UpdatedAt          time.Time      `gorm:"column:updated_at" json:"updated_at"`
}

// TableName pins the table name (GORM would say net_box_ip_exports).
func (NetBoxIPExport) TableName() string { return "netbox_ip_exports" }

// BeforeCreate completes the identity of a device row given by its device
// id alone.
func (r *NetBoxIPExport) BeforeCreate(*gorm.DB) error {
	r.ObjectType, r.NetBoxObjectID = objectIdentity(r.ObjectType, r.NetBoxObjectID, r.NetBoxDeviceID)
	return nil
}

func objectIdentity(t ObjectType, objectID, deviceID int64) (ObjectType, int64) {
	if t == "" {
		t = ObjectDevice
	}
	if objectID == 0 && t == ObjectDevice {
		objectID = deviceID
	}
	return t, objectID
}

// Previous is what the row tells the export's decisions; nil for no row.
// Unreadable stored Fields count as never exported.
func (r *NetBoxIPExport) Previous() *export.Previous {
	if r == nil {
		return nil
	}
	p := &export.Previous{WUGDeviceID: r.WUGDeviceID, Status: r.ExportStatus, PayloadHash: r.PayloadHash,
		IPAddress: r.IPAddress, ErrorMessage: r.ErrorMessage, ScanID: r.WUGScanID,
		CreateAttempted: r.CreateAttemptedAt != nil}
	if r.ExportedFields != "" {
		_ = json.Unmarshal([]byte(r.ExportedFields), &p.Exported)
	}
	return p
}

// ExportAttempt is one failed or retried attempt at a task. asynq keeps only
// the last error of a task; this keeps all of them, so the API can show the
// whole history of a row or a run.
type ExportAttempt struct {
	ID           uint      `gorm:"column:id;primaryKey" json:"id"`
	ConnectionID *uint     `gorm:"column:connection_id" json:"connection_id"`
	ExportID     *uint     `gorm:"column:export_id" json:"export_id"`
	RunID        *uint     `gorm:"column:sync_log_id" json:"sync_log_id"`
	TaskID       string    `gorm:"column:task_id" json:"task_id"`
	TaskType     string    `gorm:"column:task_type" json:"task_type"`
	Attempt      int       `gorm:"column:attempt" json:"attempt"`
	Error        string    `gorm:"column:error" json:"error"`
	OccurredAt   time.Time `gorm:"column:occurred_at" json:"occurred_at"`
}

// TableName pins the table name.
func (ExportAttempt) TableName() string { return "export_attempts" }
