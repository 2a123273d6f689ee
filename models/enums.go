package models

import (
	"fmt"
	"strings"
)

// ExportStatus is where one device stands on one WUG connection. Its machine
// is pending → exported | scan_triggered → scan_completed | error, with
// skipped and decommissioned as side exits.
type ExportStatus string

// Export statuses, stored verbatim and checked by the database.
const (
	ExportPending        ExportStatus = "pending"
	ExportExported       ExportStatus = "exported"
	ExportScanTriggered  ExportStatus = "scan_triggered"
	ExportScanCompleted  ExportStatus = "scan_completed"
	ExportSkipped        ExportStatus = "skipped"
	ExportError          ExportStatus = "error"
	ExportDecommissioned ExportStatus = "decommissioned"
)

// ExportStatuses lists every ExportStatus in lifecycle order.
func ExportStatuses() []ExportStatus {
	return []ExportStatus{ExportPending, ExportExported, ExportScanTriggered, ExportScanCompleted,
		ExportSkipped, ExportError, ExportDecommissioned}
}

// Valid reports whether s is a known status.
func (s ExportStatus) Valid() bool { return contains(ExportStatuses(), s) }

// ExportReason records why a row was last (re)exported.
type ExportReason string

// Export reasons, stored verbatim and checked by the database.
const (
	ReasonNewDevice    ExportReason = "new_device"
	ReasonIPChange     ExportReason = "ip_change"
	ReasonChanged      ExportReason = "changed"
	ReasonManual       ExportReason = "manual"
	ReasonScheduled    ExportReason = "scheduled"
	ReasonWebhook      ExportReason = "webhook"
	ReasonDecommission ExportReason = "decommission"
)

// ExportReasons lists every ExportReason.
func ExportReasons() []ExportReason {
	return []ExportReason{ReasonNewDevice, ReasonIPChange, ReasonChanged, ReasonManual,
		ReasonScheduled, ReasonWebhook, ReasonDecommission}
}

// Valid reports whether r is a known reason.
func (r ExportReason) Valid() bool { return contains(ExportReasons(), r) }

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
type Trigger string

// Triggers, stored verbatim and checked by the database.
const (
	TriggerManual    Trigger = "manual"    // a person, through the API or dashboard
	TriggerScheduled Trigger = "scheduled" // the scheduler's interval
	TriggerWebhook   Trigger = "webhook"   // a NetBox event rule
	TriggerAPI       Trigger = "api"       // a script, through a seed-compatible route
)

// Triggers lists every Trigger.
func Triggers() []Trigger {
	return []Trigger{TriggerManual, TriggerScheduled, TriggerWebhook, TriggerAPI}
}

// Valid reports whether t is a known trigger.
func (t Trigger) Valid() bool { return contains(Triggers(), t) }

// DecommissionAction is what happens in WUG to a device that left NetBox or
// the connection's selection.
type DecommissionAction string

// Decommission actions, stored verbatim and checked by the database.
const (
	DecommissionNone        DecommissionAction = "none"
	DecommissionMaintenance DecommissionAction = "maintenance"
	DecommissionDelete      DecommissionAction = "delete"
)

// DecommissionActions lists every DecommissionAction.
func DecommissionActions() []DecommissionAction {
	return []DecommissionAction{DecommissionNone, DecommissionMaintenance, DecommissionDelete}
}

// Valid reports whether a is a known action.
func (a DecommissionAction) Valid() bool { return contains(DecommissionActions(), a) }

// PlanAction is what a run decided for one device.
type PlanAction string

// Plan actions, stored verbatim and checked by the database.
const (
	PlanCreate       PlanAction = "create"
	PlanUpdate       PlanAction = "update"
	PlanUnchanged    PlanAction = "unchanged"
	PlanSkip         PlanAction = "skip"
	PlanDecommission PlanAction = "decommission"
)

// PlanActions lists every PlanAction.
func PlanActions() []PlanAction {
	return []PlanAction{PlanCreate, PlanUpdate, PlanUnchanged, PlanSkip, PlanDecommission}
}

// Valid reports whether a is a known plan action.
func (a PlanAction) Valid() bool { return contains(PlanActions(), a) }

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
