package workers

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/wugsync/wugsync/export"
	"github.com/wugsync/wugsync/models"
)

// drainPrimariesMaxAge is how long a webhook drain reuses the primary
// address index of the conflict check. A bulk edit of thousands of devices
// drains for minutes on a slow WUG, and re-reading the whole index every
// minute would cost more NetBox reads than the edit's own devices. The
// index stays current where it matters: every change of a device's address
// reaches a drain as a webhook, and the drain writes the addresses it read
// into the index (notePrimaries). What it misses (a device deleted, or
// changed while webhooks were lost) ages out with the index, and every
// full run reads it fresh.
const drainPrimariesMaxAge = 10 * time.Minute

func primaryCacheKey(statuses []string, withVMs bool) string {
	return strings.Join(slices.Sorted(slices.Values(statuses)), ",") + fmt.Sprintf(" vms=%t", withVMs)
}

// notePrimaries writes the primary addresses of objects a drain just read
// from NetBox into the cached index: each object leaves the address it
// held and joins its current one while its status is exported. The index
// is copied, not changed in place, because planners running beside this
// one read the old one without a lock.
func (w *Worker) notePrimaries(statuses []string, withVMs bool, objs map[int64]export.Object) {
	if len(objs) == 0 {
		return
	}
	cache := &w.primaryCache
	key := primaryCacheKey(statuses, withVMs)
	cache.mu.Lock()
	defer cache.mu.Unlock()
	e, ok := cache.entries[key]
	if !ok {
		return
	}
	vm := false
	for _, o := range objs {
		vm = o.Type == models.ObjectVirtualMachine
		break
	}
	if vm && !withVMs {
		return
	}
	exported := map[string]bool{}
	for _, st := range statuses {
		exported[st] = true
	}
	ix := e.index.without(func(h primaryRef) bool {
		_, noted := objs[h.id]
		return noted && h.vm == vm
	})
	for _, o := range objs {
		if !exported[o.Status.Value] {
			continue
		}
		if addr, err := export.PrimaryAddress(o.Device); err == nil {
			ix.add(addr, o.ID, vm, o.DisplayName())
		}
	}
	ix.sort()
	cache.entries[key] = primaryCacheEntry{fetched: e.fetched, index: ix}
}
