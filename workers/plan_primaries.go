package workers

import (
	"context"
	"fmt"
	"net/netip"
	"slices"
	"strings"
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
type primaryIndex map[netip.Addr][]export.PrimaryHolder

// other returns a holder of addr that is not the object itself.
func (ix primaryIndex) other(addr netip.Addr, self export.ObjectRef) (export.PrimaryHolder, bool) {
	for _, h := range ix[addr] {
		if h.VirtualMachine != (self.Type == export.ObjectVirtualMachine) || h.ID != self.ID {
			return h, true
		}
	}
	return export.PrimaryHolder{}, false
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
	index   primaryIndex
}

// primaries returns the primary index for statuses: read now for a full
// run (fresh), or reused for up to groupCacheTTL by the runs of one device.
// One listing of devices and one of virtual machines, trimmed to the
// fields the check needs, each a few pages for a whole NetBox.
//
// Virtual machines count only for a connection that exports them (withVMs):
// elsewhere a VM never reaches WUG, so it cannot make a duplicate there,
// and the token may lack the right to read VMs.
func (w *Worker) primaries(ctx context.Context, statuses []string, withVMs, fresh bool) (primaryIndex, error) {
	cache := &w.primaryCache
	key := strings.Join(slices.Sorted(slices.Values(statuses)), ",") + fmt.Sprintf(" vms=%t", withVMs)
	cache.mu.Lock()
	defer cache.mu.Unlock()
	if cache.entries == nil {
		cache.entries = map[string]primaryCacheEntry{}
	}
	if e, ok := cache.entries[key]; ok && !fresh && w.now().Sub(e.fetched) < groupCacheTTL {
		return e.index, nil
	}
	ix, err := w.readPrimaries(ctx, statuses, withVMs)
	if err != nil {
		return nil, err
	}
	cache.entries[key] = primaryCacheEntry{fetched: w.now(), index: ix}
	return ix, nil
}

func (w *Worker) readPrimaries(ctx context.Context, statuses []string, withVMs bool) (primaryIndex, error) {
	ix := primaryIndex{}
	for d, err := range w.p.NetBox.DevicePrimaries(ctx, statuses) {
		if err != nil {
			return nil, fmt.Errorf("list the primary addresses of netbox devices: %w", err)
		}
		if addr, err := export.PrimaryAddress(d); err == nil {
			ix[addr] = append(ix[addr], export.PrimaryHolder{ID: int64(d.ID), Name: d.DisplayName()})
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
			ix[addr] = append(ix[addr], export.PrimaryHolder{VirtualMachine: true, ID: int64(vm.ID), Name: vm.Name})
		}
	}
	return ix, nil
}
