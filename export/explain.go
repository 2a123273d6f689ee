package export

import (
	"fmt"

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
