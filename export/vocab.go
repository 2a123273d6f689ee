package export

import (
	"slices"
	"strings"
)

// The vocabulary of the export lives here, beside the rules that use it;
// models stores these values verbatim and re-exports the names for its
// callers.

// ExportStatus is where one NetBox object stands on one WUG connection. Its
// machine is pending → exported | scan_triggered → scan_completed | error,
// with skipped and decommissioned as side exits.
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
func (s ExportStatus) Valid() bool { return slices.Contains(ExportStatuses(), s) }

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
func (r ExportReason) Valid() bool { return slices.Contains(ExportReasons(), r) }

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
func (t Trigger) Valid() bool { return slices.Contains(Triggers(), t) }

// PlanAction is what a run decided for one NetBox object.
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
func (a PlanAction) Valid() bool { return slices.Contains(PlanActions(), a) }

// WriteActions are the plan actions a batch applies to WUG.
func WriteActions() []PlanAction { return []PlanAction{PlanCreate, PlanUpdate, PlanDecommission} }

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
func (a DecommissionAction) Valid() bool { return slices.Contains(DecommissionActions(), a) }

// Decommissioned is what a row records after the action ran on WUG device
// wugID: the note a person reads, and whether the link goes (a deleted
// WUG device is gone for good; an object that comes back is created anew).
// With action none nothing happened in WUG, and the note must not suggest
// otherwise.
func (a DecommissionAction) Decommissioned(wugID string) (note string, unlink bool) {
	switch a {
	case DecommissionDelete:
		return "decommissioned: deleted WUG device " + wugID, true
	case DecommissionMaintenance:
		return "decommissioned: WUG device " + wugID + " put in maintenance (decommission action: maintenance)", false
	default:
		return "left in WUG (decommission action: none)", false
	}
}

// ObjectType is the kind of NetBox object a row or plan entry is about
// (DESIGN.md section 10).
type ObjectType string

// Object types, stored verbatim and checked by the database.
const (
	ObjectDevice         ObjectType = "device"
	ObjectVirtualMachine ObjectType = "virtualmachine"
)

// ObjectTypes lists every ObjectType.
func ObjectTypes() []ObjectType { return []ObjectType{ObjectDevice, ObjectVirtualMachine} }

// Valid reports whether t is a known object type.
func (t ObjectType) Valid() bool { return slices.Contains(ObjectTypes(), t) }

// Outcome is what a batch did with one plan entry; empty until it did
// anything.
type Outcome string

// Plan entry outcomes.
const (
	OutcomeNone   Outcome = ""
	OutcomeDone   Outcome = "done"
	OutcomeFailed Outcome = "failed"
	OutcomeScan   Outcome = "scan_triggered"
	// OutcomeLinked: the entry planned a create, but another task (a run
	// or a device sync racing this one) had created the device meanwhile;
	// the batch linked the entry to that device and brought it in line
	// instead of creating it again.
	OutcomeLinked Outcome = "linked"
	// OutcomeRecorded: the batch wrote the update, and the device's WUG
	// role, device type, brand or OS differs from what NetBox maps. WUG
	// cannot change those on an existing device, so the new values are
	// recorded in the NetBox_* attributes only; the entry's reason names
	// them. It counts as an update, and apart (Tally.Recorded), so a
	// person sees such devices rather than a plain "updated".
	OutcomeRecorded Outcome = "recorded"
)

// Outcomes lists every Outcome, none first.
func Outcomes() []Outcome {
	return []Outcome{OutcomeNone, OutcomeDone, OutcomeFailed, OutcomeScan, OutcomeLinked, OutcomeRecorded}
}

// DefaultGroupTemplate puts a device in a WUG group named after its site.
const DefaultGroupTemplate = "{site}"

// CustomStatusPrefix marks a status filter value that NetBox's built-in
// choices do not have (one an admin added with FIELD_CHOICES):
// "custom:retired" selects the status "retired". Without it the API accepts
// only the built-in values, so a typo does not silently select nothing.
const CustomStatusPrefix = "custom:"

// DeviceFilters selects which NetBox devices a connection exports. Sites,
// roles, tags, platforms and tenants take NetBox ids (JSON numbers) and
// slugs (JSON strings), as the seed plugin documented; statuses hold status
// values, custom ones with CustomStatusPrefix. An empty list does not
// filter. NetBoxQuery turns them into NetBox's query.
type DeviceFilters struct {
	Sites     FilterValues `json:"sites,omitempty" doc:"NetBox site ids (numbers) and slugs (strings)"`
	Roles     FilterValues `json:"roles,omitempty" doc:"NetBox device role ids (numbers) and slugs (strings)"`
	Tags      FilterValues `json:"tags,omitempty" doc:"NetBox tag ids (numbers, NetBox 4.3 or later) and slugs (strings); a device must carry every one"`
	Statuses  []string     `json:"statuses,omitempty" doc:"NetBox statuses: offline, active, planned, staged, failed, inventory, decommissioning, paused (VMs); custom:<value> for one your NetBox adds"`
	Platforms FilterValues `json:"platforms,omitempty" doc:"NetBox platform ids (numbers) and slugs (strings)"`
	Tenants   FilterValues `json:"tenants,omitempty" doc:"NetBox tenant ids (numbers) and slugs (strings)"`
	// Clusters holds cluster ids and names (clusters have no slug).
	Clusters FilterValues `json:"clusters,omitempty" doc:"NetBox cluster ids (numbers) and names (strings); applies to devices and virtual machines"`
	// ExcludeTags is checked by wugsync itself rather than sent to NetBox,
	// so an excluded object is still seen: its row says why it is not
	// exported, and a linked one gets the decommission action.
	ExcludeTags FilterValues `json:"exclude_tags,omitempty" doc:"NetBox tag ids (numbers) and slugs (strings); an object carrying any of them is never exported (its row says so) and one exported before is decommissioned"`
}

// EffectiveStatuses is the status selection as NetBox spells it (custom
// statuses without CustomStatusPrefix), defaulting to "active" as
// DESIGN.md §6 says.
func (f DeviceFilters) EffectiveStatuses() []string {
	if len(f.Statuses) == 0 {
		return []string{"active"}
	}
	out := make([]string, len(f.Statuses))
	for i, s := range f.Statuses {
		out[i] = strings.TrimPrefix(s, CustomStatusPrefix)
	}
	return out
}

// Merge narrows f by a run's own filters: a list given for the run replaces
// the connection's list for that field.
func (f DeviceFilters) Merge(run DeviceFilters) DeviceFilters {
	return DeviceFilters{
		Sites:     pick(f.Sites, run.Sites),
		Roles:     pick(f.Roles, run.Roles),
		Tags:      pick(f.Tags, run.Tags),
		Statuses:  pick(f.Statuses, run.Statuses),
		Platforms: pick(f.Platforms, run.Platforms),
		Tenants:   pick(f.Tenants, run.Tenants),
		Clusters:  pick(f.Clusters, run.Clusters),
		// A run may exclude more, never less: the connection's exclusions
		// say what must never reach WUG.
		ExcludeTags: union(f.ExcludeTags, run.ExcludeTags),
	}
}

// pick is the run's list when it has one, else the connection's.
func pick[L ~[]string](conn, run L) L {
	if len(run) > 0 {
		return run
	}
	return conn
}

// Empty reports whether no list filters anything.
func (f DeviceFilters) Empty() bool {
	return len(f.Sites) == 0 && len(f.Roles) == 0 && len(f.Tags) == 0 &&
		len(f.Statuses) == 0 && len(f.Platforms) == 0 && len(f.Tenants) == 0 &&
		len(f.Clusters) == 0 && len(f.ExcludeTags) == 0
}

// union is a's values followed by those of b that a lacks.
func union(a, b FilterValues) FilterValues {
	out := slices.Clone(a)
	for _, v := range b {
		if !slices.Contains(out, v) {
			out = append(out, v)
		}
	}
	return out
}

// RoleRule maps NetBox roles to a WUG role: the first rule whose phrases
// match the role's slug or name (whole words, any case) wins.
type RoleRule struct {
	// Match lists words or phrases ("access point" matches the slug
	// "access-point" and the name "Access Point").
	Match []string `json:"match"`
	// PrimaryRole is the WUG role; WUG turns an unknown one into "Device".
	PrimaryRole string `json:"primary_role"`
	// DeviceType is the WUG device type (icon and category).
	DeviceType string `json:"device_type"`
}
