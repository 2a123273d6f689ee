package workers

import (
	"bytes"
	"cmp"
	"context"
	"encoding/binary"
	"fmt"
	"net/netip"
	"slices"
	"sync"
	"time"

	"github.com/wugsync/wugsync/export"
	"github.com/wugsync/wugsync/netbox"
)

// primaryIndex is every primary address, as an export would use it
// (export.PrimaryAddress), of the NetBox devices and virtual machines whose
// status a connection exports, across the whole NetBox whatever the
// connection's other filters. Two objects on one address are an IP
// conflict (DESIGN.md §6) even when only one of them is selected.
//
// It holds every object of a NetBox, so it is kept compact: sorted arrays
// (an IPv4 address as a uint32) and the names in one byte arena, about 40
// bytes per object where a map of slices took about five times that
// (BenchmarkPrimaryIndexBytes).
type primaryIndex struct {
	v4    []primary4
	v6    []primary6
	names []byte
}

// primaryRef is one holder of an address; its name is names[name:name+nameLen].
type primaryRef struct {
	id      int64
	name    uint32
	nameLen uint16
	vm      bool
}

type primary4 struct {
	addr uint32
	h    primaryRef
}

type primary6 struct {
	addr [16]byte
	h    primaryRef
}

// maxPrimaryName bounds a stored name: it only names the other object in
// a conflict's reason.
const maxPrimaryName = 1<<16 - 1

// add records that h (named name) holds addr; sort must follow the adds.
func (ix *primaryIndex) add(addr netip.Addr, id int64, vm bool, name string) {
	name = name[:min(len(name), maxPrimaryName)]
	h := primaryRef{id: id, name: uint32(len(ix.names)), nameLen: uint16(len(name)), vm: vm}
	ix.names = append(ix.names, name...)
	addr = addr.Unmap()
	if addr.Is4() {
		ix.v4 = append(ix.v4, primary4{addr: v4Key(addr), h: h})
		return
	}
	ix.v6 = append(ix.v6, primary6{addr: addr.As16(), h: h})
}

// sort orders the index by address for lookups, and drops the slack that
// growing left.
func (ix *primaryIndex) sort() {
	slices.SortFunc(ix.v4, func(a, b primary4) int { return cmp.Compare(a.addr, b.addr) })
	slices.SortFunc(ix.v6, func(a, b primary6) int { return bytes.Compare(a.addr[:], b.addr[:]) })
	ix.v4, ix.v6, ix.names = slices.Clip(ix.v4), slices.Clip(ix.v6), slices.Clip(ix.names)
}

func v4Key(a netip.Addr) uint32 {
	b := a.As4()
	return binary.BigEndian.Uint32(b[:])
}

func v4Addr(k uint32) netip.Addr {
	var b [4]byte
	binary.BigEndian.PutUint32(b[:], k)
	return netip.AddrFrom4(b)
}

// holders calls fn for each holder of addr until fn returns false.
func (ix *primaryIndex) holders(addr netip.Addr, fn func(primaryRef) bool) {
	if ix == nil {
		return
	}
	addr = addr.Unmap()
	if addr.Is4() {
		k := v4Key(addr)
		i, _ := slices.BinarySearchFunc(ix.v4, k, func(e primary4, k uint32) int { return cmp.Compare(e.addr, k) })
		for ; i < len(ix.v4) && ix.v4[i].addr == k; i++ {
			if !fn(ix.v4[i].h) {
				return
			}
		}
		return
	}
	k := addr.As16()
	i, _ := slices.BinarySearchFunc(ix.v6, k, func(e primary6, k [16]byte) int { return bytes.Compare(e.addr[:], k[:]) })
	for ; i < len(ix.v6) && ix.v6[i].addr == k; i++ {
		if !fn(ix.v6[i].h) {
			return
		}
	}
}

// without is a copy of the index less the holders drop picks; the index
// itself is left alone, as planners running beside the caller read it
// without a lock. The copy's adds must be followed by sort.
func (ix *primaryIndex) without(drop func(primaryRef) bool) *primaryIndex {
	out := &primaryIndex{}
	for _, p := range ix.v4 {
		if !drop(p.h) {
			out.add(v4Addr(p.addr), p.h.id, p.h.vm, ix.holder(p.h).Name)
		}
	}
	for _, p := range ix.v6 {
		if !drop(p.h) {
			out.add(netip.AddrFrom16(p.addr), p.h.id, p.h.vm, ix.holder(p.h).Name)
		}
	}
	return out
}

func (ix *primaryIndex) holder(h primaryRef) export.PrimaryHolder {
	return export.PrimaryHolder{VirtualMachine: h.vm, ID: h.id, Name: string(ix.names[h.name : h.name+uint32(h.nameLen)])}
}

// other returns a holder of addr that is not the object itself.
func (ix *primaryIndex) other(addr netip.Addr, self export.ObjectRef) (export.PrimaryHolder, bool) {
	var out export.PrimaryHolder
	found := false
	ix.holders(addr, func(h primaryRef) bool {
		if h.vm != (self.Type == export.ObjectVirtualMachine) || h.id != self.ID {
			out, found = ix.holder(h), true
			return false
		}
		return true
	})
	return out, found
}

// name is the name the index holds for obj at addr; "" when it holds none.
func (ix *primaryIndex) name(addr netip.Addr, obj export.ObjectRef) string {
	name := ""
	ix.holders(addr, func(h primaryRef) bool {
		if h.vm == (obj.Type == export.ObjectVirtualMachine) && h.id == obj.ID {
			name = ix.holder(h).Name
			return false
		}
		return true
	})
	return name
}

// addressClaims finds addresses claimed by more than one object planned in
// a run (export.ConflictTracker's rule), compactly: a run's objects nearly
// all hold an IPv4 address, kept as a uint32 key with the object packed
// in a uint64 (id and kind), a few tens of bytes per object.
type addressClaims struct {
	v4 map[uint32]uint64
	v6 map[[16]byte]uint64
}

func newAddressClaims() *addressClaims {
	return &addressClaims{v4: map[uint32]uint64{}, v6: map[[16]byte]uint64{}}
}

func packRef(r export.ObjectRef) uint64 {
	v := uint64(r.ID) << 1
	if r.Type == export.ObjectVirtualMachine {
		v |= 1
	}
	return v
}

func unpackRef(v uint64) export.ObjectRef {
	r := export.ObjectRef{Type: export.ObjectDevice, ID: int64(v >> 1)}
	if v&1 == 1 {
		r.Type = export.ObjectVirtualMachine
	}
	return r
}

// AddObject records that obj uses addr and returns the object that claimed
// it first when that is another one. The same object again is no conflict.
func (c *addressClaims) AddObject(obj export.ObjectRef, addr netip.Addr) (export.ObjectRef, bool) {
	if obj.Type == "" {
		obj.Type = export.ObjectDevice
	}
	addr = addr.Unmap().WithZone("")
	v := packRef(obj)
	var owner uint64
	var ok bool
	if addr.Is4() {
		k := v4Key(addr)
		if owner, ok = c.v4[k]; !ok {
			c.v4[k] = v
		}
	} else {
		k := addr.As16()
		if owner, ok = c.v6[k]; !ok {
			c.v6[k] = v
		}
	}
	if !ok || owner == v {
		return export.ObjectRef{}, false
	}
	return unpackRef(owner), true
}

// objectSet is the set of objects a plan decided, as sorted ids per type
// (8 bytes an object): a NetBox listing comes in id order, so adding keeps
// it sorted and a lookup is a binary search.
type objectSet struct {
	ids    map[export.ObjectType][]int64
	sorted map[export.ObjectType]bool
}

func newObjectSet() *objectSet {
	return &objectSet{ids: map[export.ObjectType][]int64{}, sorted: map[export.ObjectType]bool{}}
}

func (s *objectSet) add(r export.ObjectRef) {
	ids := s.ids[r.Type]
	if n := len(ids); n > 0 && ids[n-1] >= r.ID {
		s.sorted[r.Type] = false
	} else if n == 0 {
		s.sorted[r.Type] = true
	}
	s.ids[r.Type] = append(ids, r.ID)
}

func (s *objectSet) has(r export.ObjectRef) bool {
	ids := s.ids[r.Type]
	if !s.sorted[r.Type] {
		slices.Sort(ids)
		ids = slices.Compact(ids)
		s.ids[r.Type], s.sorted[r.Type] = ids, true
	}
	_, found := slices.BinarySearch(ids, r.ID)
	return found
}

// primaryCache keeps the last index per set of statuses for the runs of
// one device (webhook and API syncs), which may come by the hundred in a
// minute; full runs always read NetBox afresh.
type primaryCache struct {
	mu      sync.Mutex
	entries map[string]primaryCacheEntry
}

type primaryCacheEntry struct {
	fetched time.Time
	index   *primaryIndex
}

// primaries returns the primary index for statuses, reusing the cached
// one while it is younger than maxAge: 0 for a full run, which always reads
// NetBox afresh; groupCacheTTL for the runs of one device;
// drainPrimariesMaxAge for a webhook drain, which keeps its index current
// itself (notePrimaries). One listing of devices and one of virtual
// machines, trimmed to the fields the check needs, each a few pages for a
// whole NetBox.
//
// Virtual machines count only for a connection that exports them (withVMs):
// elsewhere a VM never reaches WUG, so it cannot make a duplicate there,
// and the token may lack the right to read VMs.
func (w *Worker) primaries(ctx context.Context, statuses []string, withVMs bool, maxAge time.Duration) (*primaryIndex, error) {
	cache := &w.primaryCache
	key := primaryCacheKey(statuses, withVMs)
	cache.mu.Lock()
	defer cache.mu.Unlock()
	if cache.entries == nil {
		cache.entries = map[string]primaryCacheEntry{}
	}
	if e, ok := cache.entries[key]; ok && w.now().Sub(e.fetched) < maxAge {
		return e.index, nil
	}
	ix, err := w.readPrimaries(ctx, statuses, withVMs)
	if err != nil {
		return nil, err
	}
	cache.entries[key] = primaryCacheEntry{fetched: w.now(), index: ix}
	return ix, nil
}

func (w *Worker) readPrimaries(ctx context.Context, statuses []string, withVMs bool) (*primaryIndex, error) {
	ix := &primaryIndex{}
	defer ix.sort()
	for d, err := range w.p.NetBox.DevicePrimaries(ctx, statuses) {
		if err != nil {
			return nil, fmt.Errorf("list the primary addresses of netbox devices: %w", err)
		}
		if addr, err := export.PrimaryAddress(d); err == nil {
			ix.add(addr, int64(d.ID), false, d.DisplayName())
		}
	}
	if !withVMs {
		return ix, nil
	}
	for vm, err := range w.p.NetBox.VirtualMachinePrimaries(ctx, statuses) {
		if err != nil {
			return nil, fmt.Errorf("list the primary addresses of netbox virtual machines: %w", err)
		}
		d := netbox.Device{ID: vm.ID, PrimaryIP: vm.PrimaryIP, PrimaryIP4: vm.PrimaryIP4, PrimaryIP6: vm.PrimaryIP6}
		if addr, err := export.PrimaryAddress(d); err == nil {
			ix.add(addr, int64(vm.ID), true, vm.Name)
		}
	}
	return ix, nil
}
