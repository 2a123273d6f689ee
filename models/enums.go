package models

import (
	"fmt"
	"strings"

	"github.com/wugsync/wugsync/export"
)

// The export's vocabulary is defined in package export, next to the rules
// that decide it; these aliases let the storage code and its callers spell
// the values as models.X.

// ExportStatus is where one NetBox object stands on one WUG connection.
type ExportStatus = export.ExportStatus

// Export statuses (export.ExportStatus).
const (
	ExportPending        = export.ExportPending
	ExportExported       = export.ExportExported
	ExportScanTriggered  = export.ExportScanTriggered
	ExportScanCompleted  = export.ExportScanCompleted
	ExportSkipped        = export.ExportSkipped
	ExportError          = export.ExportError
	ExportDecommissioned = export.ExportDecommissioned
)

// ExportStatuses lists every ExportStatus in lifecycle order.
func ExportStatuses() []ExportStatus { return export.ExportStatuses() }

// ExportReason records why a row was last (re)exported.
type ExportReason = export.ExportReason

// Export reasons (export.ExportReason).
const (
	ReasonNewDevice    = export.ReasonNewDevice
	ReasonIPChange     = export.ReasonIPChange
	ReasonChanged      = export.ReasonChanged
	ReasonManual       = export.ReasonManual
	ReasonScheduled    = export.ReasonScheduled
	ReasonWebhook      = export.ReasonWebhook
	ReasonDecommission = export.ReasonDecommission
)

// ExportReasons lists every ExportReason.
func ExportReasons() []ExportReason { return export.ExportReasons() }

// RunStatus is the lifecycle of a WUGSyncLog: queued → running → completed |
// failed | cancelled.
type RunStatus string

// Run statuses, stored verbatim and checked by the database.
const (
	RunQueued    RunStatus = "queued"
	RunRunning   RunStatus = "running"
	RunCompleted RunStatus = "completed"
	RunFailed    RunStatus = "failed"
	RunCancelled RunStatus = "cancelled"
)

// RunStatuses lists every RunStatus.
func RunStatuses() []RunStatus {
	return []RunStatus{RunQueued, RunRunning, RunCompleted, RunFailed, RunCancelled}
}

// Valid reports whether s is a known run status.
func (s RunStatus) Valid() bool { return contains(RunStatuses(), s) }

// Active reports whether a run in this status still holds its connection's
// single run slot.
func (s RunStatus) Active() bool { return s == RunQueued || s == RunRunning }

// SyncType says what kind of work a WUGSyncLog records.
type SyncType string

// Sync types, stored verbatim and checked by the database.
const (
	SyncExport       SyncType = "export"       // a full netbox:export run
	SyncDevice       SyncType = "device_sync"  // netbox:device:sync of one device
	SyncDecommission SyncType = "decommission" // netbox:device:decommission
)

// SyncTypes lists every SyncType.
func SyncTypes() []SyncType { return []SyncType{SyncExport, SyncDevice, SyncDecommission} }

// Valid reports whether t is a known sync type.
func (t SyncType) Valid() bool { return contains(SyncTypes(), t) }

// Trigger says who asked for a run.
type Trigger = export.Trigger

// Triggers (export.Trigger).
const (
	TriggerManual    = export.TriggerManual
	TriggerScheduled = export.TriggerScheduled
	TriggerWebhook   = export.TriggerWebhook
	TriggerAPI       = export.TriggerAPI
)

// Triggers lists every Trigger.
func Triggers() []Trigger { return export.Triggers() }

// DecommissionAction is what happens in WUG to a device that left NetBox or
// the connection's selection (export.DecommissionAction).
type DecommissionAction = export.DecommissionAction

// Decommission actions (export.DecommissionAction).
const (
	DecommissionNone        = export.DecommissionNone
	DecommissionMaintenance = export.DecommissionMaintenance
	DecommissionDelete      = export.DecommissionDelete
)

// DecommissionActions lists every DecommissionAction.
func DecommissionActions() []DecommissionAction { return export.DecommissionActions() }

// PlanAction is what a run decided for one NetBox object.
type PlanAction = export.PlanAction

// Plan actions (export.PlanAction).
const (
	PlanCreate       = export.PlanCreate
	PlanUpdate       = export.PlanUpdate
	PlanUnchanged    = export.PlanUnchanged
	PlanSkip         = export.PlanSkip
	PlanDecommission = export.PlanDecommission
)

// PlanActions lists every PlanAction.
func PlanActions() []PlanAction { return export.PlanActions() }

// ObjectType is the kind of NetBox object a row is about.
type ObjectType = export.ObjectType

// Object types (export.ObjectType).
const (
	ObjectDevice         = export.ObjectDevice
	ObjectVirtualMachine = export.ObjectVirtualMachine
)

// ObjectTypes lists every ObjectType.
func ObjectTypes() []ObjectType { return export.ObjectTypes() }

// Outcome is what a batch did with one plan entry.
type Outcome = export.Outcome

// Plan entry outcomes (export.Outcome).
const (
	OutcomeNone   = export.OutcomeNone
	OutcomeDone   = export.OutcomeDone
	OutcomeFailed = export.OutcomeFailed
	OutcomeScan   = export.OutcomeScan
	OutcomeLinked = export.OutcomeLinked
	// OutcomeRecorded: updated, with a role, type, brand or OS change WUG
	// cannot make in place (recorded in the NetBox_* attributes).
	OutcomeRecorded = export.OutcomeRecorded
)

// Outcomes lists every Outcome.
func Outcomes() []Outcome { return export.Outcomes() }

func contains[T comparable](all []T, v T) bool {
	for _, x := range all {
		if x == v {
			return true
		}
	}
	return false
}

// enumProblem names the value and the allowed values, for validation messages.
func enumProblem[T ~string](got T, all []T) string {
	names := make([]string, len(all))
	for i, v := range all {
		names[i] = string(v)
	}
	return fmt.Sprintf("%q is not one of %s", string(got), strings.Join(names, ", "))
}

// RunMode is how an export run read NetBox.
type RunMode string

// Run modes. An incremental run asks NetBox only for what changed since the
// previous run (the warm export); a full run reads the whole selection and
// is the periodic reconcile that incremental runs lean on.
const (
	ModeFull        RunMode = "full"
	ModeIncremental RunMode = "incremental"
)
