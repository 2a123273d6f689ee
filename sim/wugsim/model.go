package wugsim

import (
	"sort"
	"strconv"
	"strings"
	"time"
)

// Group kinds. Only static groups take members through the membership API.
const (
	groupStatic  = "static_group"
	groupDynamic = "dynamic_group"
)

// Device states WUG reports.
const (
	StateUp          = "Up"
	StateDown        = "Down"
	StateMaintenance = "Maintenance"
	StateUnknown     = "Unknown"
)

// Where a device came from, for tests that tell adopted devices from created ones.
const (
	SourceTemplate = "template"
	SourceScan     = "scan"
	SourceSeed     = "seed"
)

type device struct {
	id                 int
	name               string
	hostName           string
	deviceType         string
	role               string
	subRoles           []string
	brand              string
	os                 string
	note               string
	description        string
	snmpOID            string
	actionPolicy       string
	pollInterval       int
	isWireless         bool
	collectWireless    bool
	keepDetailsCurrent bool
	state              string
	interfaces         []*netInterface
	attributes         []*attribute
	groups             map[int]bool
	activeMonitors     []string
	credentials        []string
	customLinks        [][2]string
	maintenance        maintenance
	templateID         string
	source             string
	created            time.Time
	lastChange         time.Time
}

type netInterface struct {
	id            int
	address       string
	hostName      string
	isDefault     bool
	pollUsingName bool
}

type attribute struct {
	id    int
	name  string
	value string
}

type maintenance struct {
	enabled bool
	reason  string
	end     time.Time
}

type group struct {
	id          int
	name        string
	description string
	parent      int // -1 for the root
	kind        string
}

// defaultInterface returns the device's default interface (the first when none is marked).
func (d *device) defaultInterface() *netInterface {
	for _, i := range d.interfaces {
		if i.isDefault {
			return i
		}
	}
	if len(d.interfaces) > 0 {
		return d.interfaces[0]
	}
	return &netInterface{}
}

func (d *device) networkAddress() string { return d.defaultInterface().address }

// searchText is what WUG's device search looks at: display name, host name and address.
func (d *device) searchText() []string {
	return []string{d.name, d.hostName, d.networkAddress()}
}

func (d *device) inMaintenance(now time.Time) bool {
	m := d.maintenance
	return m.enabled && (m.end.IsZero() || now.Before(m.end))
}

func (d *device) currentState(now time.Time) string {
	if d.inMaintenance(now) {
		return StateMaintenance
	}
	return d.state
}

func (d *device) staticGroupIDs(groups map[int]*group) []int {
	ids := make([]int, 0, len(d.groups))
	for id := range d.groups {
		if g, ok := groups[id]; ok && g.kind == groupStatic {
			ids = append(ids, id)
		}
	}
	sort.Ints(ids)
	return ids
}

func idString(id int) string { return strconv.Itoa(id) }

// parseID reads a numeric id from a path or body; WUG ids are integers sent as strings.
func parseID(s string) (int, bool) {
	n, err := strconv.Atoi(strings.TrimSpace(s))
	return n, err == nil
}

func sortedInts(in []int) []int {
	sort.Ints(in)
	return in
}
