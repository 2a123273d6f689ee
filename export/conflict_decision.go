package export

import "fmt"

// PrimaryHolder is a NetBox object that holds an address as its primary
// IP: a device or a virtual machine, by id and name.
type PrimaryHolder struct {
	VirtualMachine bool
	ID             int64
	Name           string
}

func (h PrimaryHolder) String() string {
	kind := "device"
	if h.VirtualMachine {
		kind = "virtual machine"
	}
	if h.Name == "" {
		return fmt.Sprintf("NetBox %s %d", kind, h.ID)
	}
	return fmt.Sprintf("NetBox %s %d (%s)", kind, h.ID, h.Name)
}

// DecideConflict skips an object whose primary address other holds too.
// A conflict is one whatever the connection's other filters: other may lie
// outside the run's selection. An object exported before the conflict
// keeps its WUG device, untouched (not updated, not removed) until the
// conflict is resolved, and the reason says so: a person sees why the
// device stopped following NetBox instead of finding a silent orphan.
func DecideConflict(prev *Previous, addr string, other PrimaryHolder) Decision {
	reason := fmt.Sprintf("IP conflict: %s is also the primary IP of %s", addr, other)
	if prev != nil && prev.WUGDeviceID != "" {
		reason += fmt.Sprintf("; WUG device %s, exported before, is kept as it was and no longer updated until the conflict is resolved", prev.WUGDeviceID)
	}
	return Decision{Action: PlanSkip, Reason: reason}
}
