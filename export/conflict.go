package export

import "net/netip"

// ConflictTracker finds addresses claimed by more than one device while an
// export streams through the inventory. WUG identifies devices by address
// and the export adopts an existing WUG device by exact address match, so
// two NetBox devices on one address would fight over one WUG device; both
// are reported instead.
//
// It keeps only the first device id per address (a few dozen bytes per
// device, a few MB for 100,000 devices). The zero value is ready to use. It
// is not safe for concurrent use.
type ConflictTracker struct {
	first map[netip.Addr]ObjectRef
}

// NewConflictTracker returns a tracker sized for about n devices, which
// spares rehashing on a large inventory.
func NewConflictTracker(n int) *ConflictTracker {
	return &ConflictTracker{first: make(map[netip.Addr]ObjectRef, max(n, 0))}
}

// Add records that deviceID uses addr. When another device used addr first,
// it returns that device's id and true: the caller reports the conflict on
// both devices (and on every later one Add flags for the same address).
// Adding the same device and address again is not a conflict, so a retried
// page does not turn a device against itself.
func (t *ConflictTracker) Add(deviceID int64, addr netip.Addr) (conflictWith int64, conflict bool) {
	other, conflict := t.AddObject(ObjectRef{Type: ObjectDevice, ID: deviceID}, addr)
	return other.ID, conflict
}

// AddObject is Add for any object: a device and a virtual machine on one
// address conflict, and a device and a VM sharing an id are two objects.
func (t *ConflictTracker) AddObject(obj ObjectRef, addr netip.Addr) (conflictWith ObjectRef, conflict bool) {
	if t.first == nil {
		t.first = make(map[netip.Addr]ObjectRef)
	}
	if obj.Type == "" {
		obj.Type = ObjectDevice
	}
	addr = addr.Unmap().WithZone("")
	owner, ok := t.first[addr]
	if !ok {
		t.first[addr] = obj
		return ObjectRef{}, false
	}
	if owner != obj {
		return owner, true
	}
	return ObjectRef{}, false // the same object again
}
