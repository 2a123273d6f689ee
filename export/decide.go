package export

import (
	"fmt"
	"net/netip"
	"slices"
	"strconv"
	"strings"

	"github.com/wugsync/wugsync/wug"
)

// Previous is what the store last recorded for one NetBox object on one
// connection: the plain data every decision about the object reads. A nil
// *Previous means the object was never seen on the connection.
type Previous struct {
	// WUGDeviceID links the object to the WUG device wugsync created or
	// adopted; empty when there is none.
	WUGDeviceID string
	Status      ExportStatus
	// PayloadHash is the hash of the Fields last written to WUG.
	PayloadHash string
	// Exported is what was last written to WUG; zero when unknown.
	Exported Fields
	// IPAddress is the address the row holds.
	IPAddress    string
	ErrorMessage string
	// ScanID is the discovery scan the object waits for.
	ScanID string
	// CreateAttempted says a template call for the object may have reached
	// WUG without its answer coming back.
	CreateAttempted bool
}

// linked reports whether the object has a WUG device of ours.
func (p *Previous) linked() bool { return p != nil && p.WUGDeviceID != "" }

// Decision is what a run does with one NetBox object: the action, the
// reason a person reads, and for an update the fields that differ (the
// diff the plan shows and the batch applies).
type Decision struct {
	Action  PlanAction
	Reason  string
	Changes Changes
}

// Decide compares an object the connection selects, mapped now, with what
// was last exported for it.
func Decide(prev *Previous, mapped Fields) Decision {
	// The guards are plain ifs rather than one switch: each reads as its own
	// rule, and a condition is on a line Go's coverage counts (a case
	// condition is not; see RELIABILITY.md, "Mutation testing").
	if !prev.linked() {
		d := Decision{Action: PlanCreate, Reason: "new device"}
		if prev != nil && prev.CreateAttempted {
			d.Reason = "new device (an earlier create may have reached WUG; it is looked up first)"
		}
		return d
	}
	if prev.Status == ExportScanTriggered {
		return Decision{Action: PlanUnchanged, Reason: "waiting for discovery scan " + prev.ScanID}
	}
	if prev.Status == ExportDecommissioned {
		return Decision{Action: PlanUpdate, Reason: "back in the selection: leaves maintenance",
			Changes: Diff(prev.Exported, mapped)}
	}
	if prev.PayloadHash == mapped.Hash() && (prev.Status == ExportExported || prev.Status == ExportScanCompleted) {
		return Decision{Action: PlanUnchanged, Reason: "no change since the last export"}
	}
	changes := Diff(prev.Exported, mapped)
	return Decision{Action: PlanUpdate, Changes: changes, Reason: updateReason(prev, changes)}
}

// updateReason says why a linked object is written again.
func updateReason(prev *Previous, changes Changes) string {
	if prev.Status == ExportError {
		return "retry after error: " + shorten(prev.ErrorMessage, 200)
	}
	if len(changes) == 0 {
		return "re-apply: the last export did not finish"
	}
	reason := "changed: " + changedFields(changes)
	if note := changes.UnchangeableNote(); note != "" {
		reason += "; " + note
	}
	return reason
}

// DecideOutOfSelection decides for an object NetBox returned that the
// connection's filters exclude (possible for the webhook sync of one
// device): a linked device leaves WUG by the decommission action, anything
// else is skipped with the filter's reason.
func DecideOutOfSelection(prev *Previous, reason string) Decision {
	if prev.linked() && prev.Status != ExportDecommissioned {
		return Decision{Action: PlanDecommission, Reason: "left the selection: " + reason}
	}
	return Decision{Action: PlanSkip, Reason: "not selected: " + reason}
}

// DecideGone decides for a linked object that a full run no longer found:
// deleted in NetBox or out of the selection.
func DecideGone() Decision {
	return Decision{Action: PlanDecommission, Reason: "deleted in NetBox or left the selection"}
}

// DecideUnmappable skips an object the mapping refused (a bad address, a
// group template it cannot fill).
func DecideUnmappable(err error) Decision {
	return Decision{Action: PlanSkip, Reason: err.Error()}
}

// ConflictReason is the skip reason of an object whose address another
// object (other, named otherName) holds too.
func ConflictReason(addr string, other int64, otherName string) string {
	return ObjectConflictReason(addr, ObjectRef{Type: ObjectDevice, ID: other}, otherName)
}

// ObjectConflictReason is ConflictReason naming the other object's kind:
// "… of NetBox virtual machine 7 (web-01)".
func ObjectConflictReason(addr string, other ObjectRef, otherName string) string {
	return fmt.Sprintf("IP conflict: %s is also the primary IP of NetBox %s (%s)", addr, other, otherName)
}

// AdoptReason is the plan reason of a new object found already monitored in
// WUG.
func AdoptReason(wugID string) string {
	return "adopt WUG device " + wugID + ": it already monitors this IP"
}

// HeldReason is the reason of an entry whose WUG device (adopted, or an
// earlier create of ours) the batch compared with what WUG showed of it:
// the plan's reason, then what the comparison found. An identical device
// says so; one whose role, type, brand or OS differs says that it is
// recorded in the NetBox_* attributes only.
func HeldReason(planned string, changes Changes) string {
	var differ []string
	for _, c := range changes {
		if c.Field == FieldGroupPath {
			continue
		}
		if _, ok := attributeName(c.Field); ok {
			continue
		}
		differ = append(differ, c.Field)
	}
	if len(differ) == 0 {
		return planned + "; WUG already holds its name, address, role, brand, OS and note: only the attributes and the group are written"
	}
	reason := planned + "; differs in WUG: " + strings.Join(differ, ", ")
	if note := changes.UnchangeableNote(); note != "" {
		reason += "; " + note
	}
	return reason
}

// EarlierCreateReason is the plan reason of a create that an earlier
// attempt turned out to have made.
func EarlierCreateReason(wugID string) string {
	return "created by an earlier attempt; linked to WUG device " + wugID
}

// changedFields names the changed fields for a reason, all attributes as
// one.
func changedFields(changes Changes) string {
	var names []string
	for _, c := range changes {
		name := c.Field
		if _, ok := attributeName(name); ok {
			name = "attributes"
		}
		if !slices.Contains(names, name) {
			names = append(names, name)
		}
	}
	slices.Sort(names)
	return strings.Join(names, ", ")
}

// RowReason is the export_reason a batch writes on a row it exported: what
// made the write necessary, else who asked for the run.
func RowReason(t Trigger, action PlanAction, prev *Previous, address string) ExportReason {
	if prev != nil && prev.IPAddress != "" && prev.IPAddress != address {
		return ReasonIPChange
	}
	if action == PlanUpdate && prev != nil && prev.PayloadHash != "" {
		return ReasonChanged
	}
	return ReasonForTrigger(t, action == PlanCreate)
}

// triggerReasons is the export_reason of a run's trigger; any other
// trigger (manual, API) is ReasonManual.
var triggerReasons = map[Trigger]ExportReason{
	TriggerScheduled: ReasonScheduled,
	TriggerWebhook:   ReasonWebhook,
}

// ReasonForTrigger is the export_reason of a row a run touches: a new one
// says so, another one says who asked for the run.
func ReasonForTrigger(t Trigger, isNew bool) ExportReason {
	if isNew {
		return ReasonNewDevice
	}
	if r, ok := triggerReasons[t]; ok {
		return r
	}
	return ReasonManual
}

// Step is how a batch applies one plan entry, from its action and the WUG
// device it and the object's row name. It is the one place that tells an
// adoption from an update.
type Step string

// Steps of a batch.
const (
	// StepNone: nothing to write (unchanged, skipped).
	StepNone Step = ""
	// StepCreate: a new WUG device from the template.
	StepCreate Step = "create"
	// StepUpdate: the planned diff, on the device the row links.
	StepUpdate Step = "update"
	// StepAdopt: a device that existed in WUG before wugsync; rewritten
	// whole and recorded as adopted.
	StepAdopt Step = "adopt"
	// StepRelink: a create that turned out to exist already (an earlier
	// attempt of ours, or another task); rewritten whole, not adopted.
	StepRelink Step = "relink"
	// StepDecommission: the connection's decommission action.
	StepDecommission Step = "decommission"
)

// Classify tells a batch how to apply an entry planned as action, acting on
// WUG device target (empty for a create not yet made), for an object whose
// row links WUG device linked (empty without a row or link).
func Classify(action PlanAction, target, linked string) Step {
	if action == PlanDecommission {
		return StepDecommission
	}
	if action != PlanCreate && action != PlanUpdate {
		return StepNone // nothing to write
	}
	if action == PlanCreate && target == "" {
		return StepCreate
	}
	if target == linked {
		return StepUpdate
	}
	// The entry acts on a device the row does not link: an update names one
	// planned for adoption, a create one that turned out to exist.
	if action == PlanUpdate {
		return StepAdopt
	}
	return StepRelink
}

// Rewrites reports whether the step writes everything rather than a diff.
func (s Step) Rewrites() bool { return s == StepAdopt || s == StepRelink }

// OldestUnlinked picks the WUG device to adopt among those WUG found at an
// address: the oldest one that no other NetBox object links already.
func OldestUnlinked(found []wug.DeviceOverview, linked map[string]bool) string {
	best := ""
	for _, d := range found {
		if !linked[d.ID] && (best == "" || LessID(d.ID, best)) {
			best = d.ID
		}
	}
	return best
}

// OldestNamed picks the device an earlier create of ours made, among those
// WUG found at its address: the oldest one with our display name.
func OldestNamed(found []wug.DeviceOverview, name string) string {
	best := ""
	for _, d := range found {
		if d.Name == name && (best == "" || LessID(d.ID, best)) {
			best = d.ID
		}
	}
	return best
}

// OldestByAddress indexes WUG devices by address, keeping the oldest device
// per address and leaving out those skip names (linked ones, for an
// adoption). Devices without a parseable address are left out.
func OldestByAddress(devices []wug.DeviceOverview, skip map[string]bool) map[netip.Addr]string {
	out := map[netip.Addr]string{}
	AddOldestByAddress(out, devices, skip)
	return out
}

// AddOldestByAddress adds a page of devices to an OldestByAddress index.
func AddOldestByAddress(index map[netip.Addr]string, devices []wug.DeviceOverview, skip map[string]bool) {
	for _, d := range devices {
		addr, err := netip.ParseAddr(strings.TrimSpace(d.NetworkAddress))
		if err != nil || skip[d.ID] {
			continue
		}
		if cur, ok := index[addr.Unmap()]; !ok || LessID(d.ID, cur) {
			index[addr.Unmap()] = d.ID
		}
	}
}

// LessID orders WUG ids by age: numerically when both are numbers (WUG
// counts up), else as text.
func LessID(a, b string) bool {
	ai, aerr := strconv.Atoi(a)
	bi, berr := strconv.Atoi(b)
	if aerr == nil && berr == nil {
		return ai < bi
	}
	return a < b
}

// shorten keeps a message quoted in a reason short, marking a cut with "…".
func shorten(s string, max int) string {
	if cut := Truncate(s, max); cut != s {
		return cut + "…"
	}
	return s
}
