package wugsim

import (
	"errors"
	"fmt"
	"net/netip"
	"sort"
	"strings"
	"time"
)

const rootGroupID = 0

// state is everything a Reset throws away. Server.mu guards it.
type state struct {
	devices     map[int]*device
	order       []int // device ids ascending; may hold deleted ids until compacted
	deleted     int
	groups      map[int]*group
	groupOrder  []int
	index       *searchIndex
	scans       map[string]*scan
	scanOrder   []string
	nextDevice  int
	nextGroup   int
	nextAttr    int
	nextIface   int
	nextScanSeq int

	access  map[string]accessToken
	refresh map[string]string // refresh token → user
	grants  map[string]int    // grant_type → successful grants
}

type accessToken struct {
	user    string
	expires time.Time
}

func newState() *state {
	st := &state{
		devices:    map[int]*device{},
		groups:     map[int]*group{},
		index:      newSearchIndex(),
		scans:      map[string]*scan{},
		nextDevice: 1,
		nextGroup:  1,
		nextAttr:   1,
		nextIface:  1,
		access:     map[string]accessToken{},
		refresh:    map[string]string{},
		grants:     map[string]int{},
	}
	st.groups[rootGroupID] = &group{id: rootGroupID, name: RootGroupName, parent: -1, kind: groupStatic}
	st.groupOrder = []int{rootGroupID}
	return st
}

func (st *state) addGroup(parent int, name, description, kind string) *group {
	g := &group{id: st.nextGroup, name: name, description: description, parent: parent, kind: kind}
	st.nextGroup++
	st.groups[g.id] = g
	st.groupOrder = append(st.groupOrder, g.id)
	return g
}

// childNamed returns the child of parent called name (case-insensitive), if any.
func (st *state) childNamed(parent int, name string) *group {
	for _, id := range st.groupOrder {
		g := st.groups[id]
		if g != nil && g.parent == parent && strings.EqualFold(g.name, name) {
			return g
		}
	}
	return nil
}

// splitGroupPath turns "My Network/A/B" or "A/B" into ["A", "B"].
func splitGroupPath(path string) []string {
	var parts []string
	for _, p := range strings.Split(path, "/") {
		if p = strings.TrimSpace(p); p != "" {
			parts = append(parts, p)
		}
	}
	if len(parts) > 0 && strings.EqualFold(parts[0], RootGroupName) {
		parts = parts[1:]
	}
	return parts
}

// ensureGroupPath creates the static groups of path that are missing and returns the last.
func (st *state) ensureGroupPath(path string) (*group, error) {
	parts := splitGroupPath(path)
	if len(parts) == 0 {
		return st.groups[rootGroupID], nil
	}
	cur := st.groups[rootGroupID]
	for _, name := range parts {
		next := st.childNamed(cur.id, name)
		if next == nil {
			next = st.addGroup(cur.id, name, "", groupStatic)
		}
		cur = next
	}
	return cur, nil
}

// groupByPath finds the group at a path of names below "My Network", or nil.
func (st *state) groupByPath(parts []string) *group {
	cur := st.groups[rootGroupID]
	for _, name := range parts {
		if cur = st.childNamed(cur.id, name); cur == nil {
			return nil
		}
	}
	return cur
}

// oldestGroupNamed is WUG's rule for a group reference without parents.
func (st *state) oldestGroupNamed(name string) *group {
	for _, id := range st.groupOrder {
		if g := st.groups[id]; g != nil && strings.EqualFold(g.name, name) {
			return g
		}
	}
	return nil
}

// groupPath is "My Network/A/B" for group B.
func (st *state) groupPath(id int) string {
	var names []string
	for g := st.groups[id]; g != nil; g = st.groups[g.parent] {
		names = append([]string{g.name}, names...)
		if g.parent < 0 {
			break
		}
	}
	return strings.Join(names, "/")
}

// descendants returns id and every group below it.
func (st *state) descendants(id int) map[int]bool {
	set := map[int]bool{id: true}
	for changed := true; changed; {
		changed = false
		for _, gid := range st.groupOrder {
			g := st.groups[gid]
			if g != nil && !set[gid] && set[g.parent] {
				set[gid] = true
				changed = true
			}
		}
	}
	return set
}

// defaultGroup is where a device without groups goes.
func (st *state) defaultGroup() *group {
	if g := st.childNamed(rootGroupID, DiscoveredDevicesGroup); g != nil {
		return g
	}
	return st.groups[rootGroupID]
}

// insertDevice stores d with a new id and indexes it for search.
func (st *state) insertDevice(d *device) {
	d.id = st.nextDevice
	st.nextDevice++
	st.devices[d.id] = d
	st.order = append(st.order, d.id)
	st.reindex(d)
}

func (st *state) reindex(d *device) { st.index.add(d.id, d.searchText()...) }

func (st *state) newInterface(address, hostName string, isDefault, pollUsingName bool) *netInterface {
	i := &netInterface{id: st.nextIface, address: address, hostName: hostName, isDefault: isDefault, pollUsingName: pollUsingName}
	st.nextIface++
	return i
}

func (st *state) newAttribute(name, value string) *attribute {
	a := &attribute{id: st.nextAttr, name: name, value: value}
	st.nextAttr++
	return a
}

func (st *state) deleteDevice(id int) bool {
	if _, ok := st.devices[id]; !ok {
		return false
	}
	delete(st.devices, id)
	st.deleted++
	if st.deleted > len(st.order)/2 {
		live := st.order[:0]
		for _, did := range st.order {
			if st.devices[did] != nil {
				live = append(live, did)
			}
		}
		st.order = live
		st.deleted = 0
	}
	return true
}

// deviceByAddress returns the oldest device whose default address or host name is target.
func (st *state) deviceByAddress(target string) *device {
	for _, id := range st.order {
		d := st.devices[id]
		if d != nil && (strings.EqualFold(d.networkAddress(), target) || strings.EqualFold(d.hostName, target)) {
			return d
		}
	}
	return nil
}

// addSeedDevice adds a device "by hand" from a Device description.
func (st *state) addSeedDevice(in Device, now time.Time) (*device, error) {
	name := strings.TrimSpace(in.Name)
	if name == "" {
		return nil, errors.New("name is required")
	}
	addr, err := netip.ParseAddr(strings.TrimSpace(in.NetworkAddress))
	if err != nil {
		return nil, fmt.Errorf("network address %q is not an IP address", in.NetworkAddress)
	}
	d := &device{
		name: name, hostName: firstNonEmpty(in.HostName, addr.String()), deviceType: firstNonEmpty(in.DeviceType, "Workstation"),
		role: firstNonEmpty(in.Role, "Device"), brand: firstNonEmpty(in.Brand, "Not Set"), os: firstNonEmpty(in.OS, "Not Set"),
		note: in.Note, state: firstNonEmpty(in.State, StateUp), groups: map[int]bool{}, source: SourceSeed,
		keepDetailsCurrent: true, created: now, lastChange: now, activeMonitors: append([]string(nil), in.ActiveMonitors...),
	}
	d.interfaces = []*netInterface{st.newInterface(addr.String(), d.hostName, true, false)}
	for _, a := range in.Attributes {
		d.attributes = append(d.attributes, st.newAttribute(a.Name, a.Value))
	}
	for _, path := range in.Groups {
		g, err := st.ensureGroupPath(path)
		if err != nil {
			return nil, err
		}
		d.groups[g.id] = true
	}
	if len(d.groups) == 0 {
		d.groups[st.defaultGroup().id] = true
	}
	if in.Maintenance {
		d.maintenance = maintenance{enabled: true, reason: in.MaintenanceReason, end: in.MaintenanceEnd}
	}
	st.insertDevice(d)
	return d, nil
}

func firstNonEmpty(values ...string) string {
	for _, v := range values {
		if strings.TrimSpace(v) != "" {
			return v
		}
	}
	return ""
}

// sortedDeviceIDs returns the live device ids in ascending order.
func (st *state) sortedDeviceIDs() []int {
	ids := make([]int, 0, len(st.devices))
	for _, id := range st.order {
		if st.devices[id] != nil {
			ids = append(ids, id)
		}
	}
	return ids
}

// searchDevices returns the ids of devices matching q, ascending, using the index.
func (st *state) searchDevices(q string) []int {
	if q == "" {
		return st.order
	}
	candidates, ok := st.index.candidates(q)
	if !ok {
		candidates = st.order
	}
	out := make([]int, 0, len(candidates))
	for _, id := range candidates {
		if d := st.devices[id]; d != nil && matchesSearch(q, d.searchText()) {
			out = append(out, id)
		}
	}
	sort.Ints(out)
	return out
}
