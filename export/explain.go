package export

import (
	"fmt"
	"strings"

	"github.com/wugsync/wugsync/netbox"
)

// StatusExcluded reports whether the filters f leave out an object for its
// status alone, with the reason a person reads (it names the status). The
// other filters select what a run explains; the status then says whether
// it is exported. An object excluded this way is explained by a skipped
// row whatever its IP: its address is never judged, and it takes part in
// no IP conflict.
func StatusExcluded(status string, f DeviceFilters) (string, bool) {
	statuses := f.EffectiveStatuses()
	if containsFold(statuses, status) {
		return "", false
	}
	return fmt.Sprintf("status %q not in %v", status, statuses), true
}

// ExplainQuery is the NetBox query of a run that explains every object the
// filters select: NetBoxQuery without the status filter, so objects whose
// status the connection does not export are listed too and get their
// skipped row (StatusExcluded) instead of vanishing without a word.
func ExplainQuery(f DeviceFilters) netbox.DeviceFilter {
	q := NetBoxQuery(f)
	q.Statuses = nil
	return q
}

// Selection is where one NetBox object stands against a connection's
// filters: selected, or outside one filter (named by its device_filters
// key) with the reason a person reads.
type Selection struct {
	Selected bool
	// Filter is the device_filters key the object fails: statuses, sites,
	// roles, platforms, tenants, tags, clusters or exclude_tags; empty when
	// selected.
	Filter string
	Reason string
}

// filterKeys maps the first word of an EligibleObject reason to its
// filter's key.
var filterKeys = map[string]string{
	"status": "statuses", "site": "sites", "role": "roles", "platform": "platforms",
	"tenant": "tenants", "tags": "tags", "cluster": "clusters", "tag": "exclude_tags",
}

// ExplainObject evaluates the filters f against a device or virtual
// machine read from NetBox, by the export's own rule (EligibleObject, so
// every filter the export applies is judged here too), and names the
// filter that leaves it out.
func ExplainObject(o Object, f DeviceFilters) Selection {
	ok, reason := EligibleObject(o, f)
	if ok {
		return Selection{Selected: true}
	}
	first, _, _ := strings.Cut(reason, " ")
	return Selection{Filter: filterKeys[first], Reason: reason}
}

// Explain is ExplainObject for a device.
func Explain(d netbox.Device, f DeviceFilters) Selection {
	return ExplainObject(DeviceObject(d), f)
}

// ExplainVM is ExplainObject for a virtual machine: judged as the export
// judges it (VMObject keeps its cluster and tags).
func ExplainVM(vm netbox.VirtualMachine, f DeviceFilters) Selection {
	return ExplainObject(VMObject(vm), f)
}
