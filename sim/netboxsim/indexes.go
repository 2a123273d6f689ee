package netboxsim

import (
	"sort"
	"strings"
	"unicode"
)

// indexes are derived lookups, rebuilt lazily after a mutation so reads of
// large inventories stay linear rather than quadratic.
type indexes struct {
	deviceInterfaces map[int][]int
	vmInterfaces     map[int][]int
	interfaceIPs     map[int][]int
	siteDevices      map[int]int
	siteRacks        map[int]int
	siteVMs          map[int]int
	regionSites      map[int]int

	// cfDefs are the custom fields per object type, in NetBox's order.
	cfDefs map[string][]*CustomField

	// nameOrder is the device ids in NetBox's default ordering, built on
	// first use because sorting is the expensive part.
	nameOrder []int
}

// invalidate drops the derived lookups; callers hold the write lock.
func (st *store) invalidate() {
	st.idxMu.Lock()
	st.idx = nil
	st.idxMu.Unlock()
}

// indexes returns the derived lookups; callers hold at least the read lock.
func (st *store) indexes() *indexes {
	st.idxMu.Lock()
	defer st.idxMu.Unlock()
	if st.idx != nil {
		return st.idx
	}
	idx := &indexes{
		deviceInterfaces: map[int][]int{},
		vmInterfaces:     map[int][]int{},
		interfaceIPs:     map[int][]int{},
		siteDevices:      map[int]int{},
		siteRacks:        map[int]int{},
		siteVMs:          map[int]int{},
		regionSites:      map[int]int{},
	}
	for _, id := range st.interfaces.ids {
		i := st.interfaces.rows[id]
		if i.DeviceID != 0 {
			idx.deviceInterfaces[i.DeviceID] = append(idx.deviceInterfaces[i.DeviceID], id)
		}
		if i.VirtualMachineID != 0 {
			idx.vmInterfaces[i.VirtualMachineID] = append(idx.vmInterfaces[i.VirtualMachineID], id)
		}
	}
	for _, id := range st.ips.ids {
		ip := st.ips.rows[id]
		if ip.InterfaceID != 0 {
			idx.interfaceIPs[ip.InterfaceID] = append(idx.interfaceIPs[ip.InterfaceID], id)
		}
	}
	for _, d := range st.devices.rows {
		idx.siteDevices[d.SiteID]++
	}
	for _, r := range st.racks.rows {
		idx.siteRacks[r.SiteID]++
	}
	for _, vm := range st.vms.rows {
		idx.siteVMs[vm.SiteID]++
	}
	for _, s := range st.sites.rows {
		// site_count counts sites in the region's whole subtree.
		seen := map[int]bool{}
		for r := st.regions.get(s.RegionID); r != nil && !seen[r.ID]; r = st.regions.get(r.ParentID) {
			seen[r.ID] = true
			idx.regionSites[r.ID]++
		}
	}
	st.idx = idx
	return idx
}

// deviceNameOrder returns device ids ordered as NetBox orders devices by
// default: name under the natural_sort collation, NULL names last (as
// PostgreSQL sorts NULLs in ascending order), then pk.
func (st *store) deviceNameOrder() []int {
	idx := st.indexes()
	st.idxMu.Lock()
	defer st.idxMu.Unlock()
	if idx.nameOrder != nil {
		return idx.nameOrder
	}
	ids := append([]int(nil), st.devices.ids...)
	sort.SliceStable(ids, func(i, j int) bool {
		return lessDeviceName(st.devices.rows[ids[i]], st.devices.rows[ids[j]])
	})
	idx.nameOrder = ids
	return ids
}

func lessDeviceName(a, b *Device) bool {
	switch {
	case a.Name == nil && b.Name == nil:
		return a.ID < b.ID
	case a.Name == nil:
		return false
	case b.Name == nil:
		return true
	}
	if c := naturalCompare(*a.Name, *b.Name); c != 0 {
		return c < 0
	}
	return a.ID < b.ID
}

// naturalCompare approximates the ICU "und-u-kn-true" collation NetBox's
// natural_sort uses: digit runs compare by value, letters case-insensitively
// first.
func naturalCompare(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	i, j := 0, 0
	for i < len(ra) && j < len(rb) {
		if unicode.IsDigit(ra[i]) && unicode.IsDigit(rb[j]) {
			si := i
			for i < len(ra) && unicode.IsDigit(ra[i]) {
				i++
			}
			sj := j
			for j < len(rb) && unicode.IsDigit(rb[j]) {
				j++
			}
			na := strings.TrimLeft(string(ra[si:i]), "0")
			nb := strings.TrimLeft(string(rb[sj:j]), "0")
			if len(na) != len(nb) {
				return cmpInt(len(na), len(nb))
			}
			if na != nb {
				return strings.Compare(na, nb)
			}
			continue
		}
		ca, cb := unicode.ToLower(ra[i]), unicode.ToLower(rb[j])
		if ca != cb {
			return cmpInt(int(ca), int(cb))
		}
		i++
		j++
	}
	if c := cmpInt(len(ra)-i, len(rb)-j); c != 0 {
		return c
	}
	return strings.Compare(a, b)
}

func cmpInt(a, b int) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}
