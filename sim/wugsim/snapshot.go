package wugsim

import (
	"fmt"
	"time"
)

// Device is a snapshot of a simulated device, for assertions; it is also the input of
// AddDevice and Options.Devices, where ID, Interfaces, GroupIDs, Source and Created are ignored.
type Device struct {
	ID             string      `json:"id,omitempty"`
	Name           string      `json:"name,omitempty"` // display name
	HostName       string      `json:"hostName,omitempty"`
	NetworkAddress string      `json:"networkAddress,omitempty"` // address of the default interface
	DeviceType     string      `json:"deviceType,omitempty"`
	Role           string      `json:"role,omitempty"`
	SubRoles       []string    `json:"subRoles,omitempty"`
	Brand          string      `json:"brand,omitempty"`
	OS             string      `json:"os,omitempty"`
	Note           string      `json:"note,omitempty"`
	SNMPOID        string      `json:"snmpOid,omitempty"`
	PollInterval   int         `json:"pollInterval,omitempty"` // seconds; 0 is the server default
	State          string      `json:"state,omitempty"`
	Interfaces     []Interface `json:"interfaces,omitempty"`
	Attributes     []Attribute `json:"attributes,omitempty"`
	// Groups are the device's static groups as paths ("My Network/DATA_CENTERS/CH_DC"); as
	// input, paths below "My Network" that are created when missing.
	Groups            []string  `json:"groups,omitempty"`
	GroupIDs          []string  `json:"groupIds,omitempty"`
	ActiveMonitors    []string  `json:"activeMonitors,omitempty"`
	Credentials       []string  `json:"credentials,omitempty"`
	Maintenance       bool      `json:"maintenance,omitempty"`
	MaintenanceReason string    `json:"maintenanceReason,omitempty"`
	MaintenanceEnd    time.Time `json:"maintenanceEnd"`
	TemplateID        string    `json:"templateId,omitempty"`
	Source            string    `json:"source,omitempty"` // SourceTemplate, SourceScan or SourceSeed
	Created           time.Time `json:"created"`
}

// Interface is a snapshot of a device interface.
type Interface struct {
	ID            string `json:"id,omitempty"`
	Address       string `json:"address,omitempty"`
	HostName      string `json:"hostName,omitempty"`
	Default       bool   `json:"default,omitempty"`
	PollUsingName bool   `json:"pollUsingName,omitempty"`
}

// Attribute is a snapshot of a device attribute.
type Attribute struct {
	ID    string `json:"id,omitempty"`
	Name  string `json:"name,omitempty"`
	Value string `json:"value,omitempty"`
}

// Group is a snapshot of a device group.
type Group struct {
	ID          string   `json:"id,omitempty"`
	Name        string   `json:"name,omitempty"`
	Description string   `json:"description,omitempty"`
	ParentID    string   `json:"parentId,omitempty"` // empty for "My Network"
	Path        string   `json:"path,omitempty"`     // "My Network/A/B"
	Type        string   `json:"type,omitempty"`     // static_group or dynamic_group
	DeviceIDs   []string `json:"deviceIds,omitempty"`
}

// Scan is a snapshot of a discovery scan.
type Scan struct {
	ID        string   `json:"id,omitempty"`
	Name      string   `json:"name,omitempty"`
	Model     string   `json:"model,omitempty"`
	GroupID   string   `json:"groupId,omitempty"`
	Targets   []string `json:"targets,omitempty"`
	Polls     int      `json:"polls,omitempty"`
	Done      bool     `json:"done,omitempty"`
	DeviceIDs []string `json:"deviceIds,omitempty"`
}

func (s *Server) snapshotDevice(d *device) Device {
	st := s.st
	out := Device{
		ID: idString(d.id), Name: d.name, HostName: d.hostName, NetworkAddress: d.networkAddress(),
		DeviceType: d.deviceType, Role: d.role, SubRoles: append([]string(nil), d.subRoles...), Brand: d.brand, OS: d.os,
		Note: d.note, SNMPOID: d.snmpOID, PollInterval: d.pollInterval, State: d.currentState(s.now()),
		ActiveMonitors: append([]string(nil), d.activeMonitors...), Credentials: append([]string(nil), d.credentials...),
		Maintenance: d.inMaintenance(s.now()), MaintenanceReason: d.maintenance.reason, MaintenanceEnd: d.maintenance.end,
		TemplateID: d.templateID, Source: d.source, Created: d.created,
	}
	for _, i := range d.interfaces {
		out.Interfaces = append(out.Interfaces, Interface{ID: idString(i.id), Address: i.address, HostName: i.hostName, Default: i.isDefault, PollUsingName: i.pollUsingName})
	}
	for _, a := range d.attributes {
		out.Attributes = append(out.Attributes, Attribute{ID: idString(a.id), Name: a.name, Value: a.value})
	}
	for _, gid := range d.staticGroupIDs(st.groups) {
		out.GroupIDs = append(out.GroupIDs, idString(gid))
		out.Groups = append(out.Groups, st.groupPath(gid))
	}
	return out
}

// Devices returns a snapshot of every device, by ascending id.
func (s *Server) Devices() []Device {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Device, 0, len(s.st.devices))
	for _, id := range s.st.sortedDeviceIDs() {
		out = append(out, s.snapshotDevice(s.st.devices[id]))
	}
	return out
}

// DeviceCount returns how many devices exist.
func (s *Server) DeviceCount() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.st.devices)
}

// Device returns a snapshot of one device.
func (s *Server) Device(id string) (Device, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	n, ok := parseID(id)
	if !ok || s.st.devices[n] == nil {
		return Device{}, false
	}
	return s.snapshotDevice(s.st.devices[n]), true
}

// AddDevice adds a device as if an operator had added it by hand: Name and NetworkAddress are
// required; Groups are paths below "My Network", created when missing (default "Discovered
// Devices"). It returns the stored device with its id.
func (s *Server) AddDevice(d Device) (Device, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	stored, err := s.st.addSeedDevice(d, s.now())
	if err != nil {
		return Device{}, fmt.Errorf("wugsim: add device %q: %w", d.Name, err)
	}
	return s.snapshotDevice(stored), nil
}

// AddGroup creates the static groups of a path below "My Network" that are missing and
// returns the last one.
func (s *Server) AddGroup(path string) (Group, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	g, err := s.st.ensureGroupPath(path)
	if err != nil {
		return Group{}, fmt.Errorf("wugsim: add group %q: %w", path, err)
	}
	return s.snapshotGroup(g), nil
}

// AddDynamicGroup creates a dynamic group under parentPath; the membership API refuses it.
func (s *Server) AddDynamicGroup(parentPath, name string) (Group, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	parent, err := s.st.ensureGroupPath(parentPath)
	if err != nil {
		return Group{}, fmt.Errorf("wugsim: add dynamic group %q: %w", name, err)
	}
	return s.snapshotGroup(s.st.addGroup(parent.id, name, name, groupDynamic)), nil
}

func (s *Server) snapshotGroup(g *group) Group {
	out := Group{ID: idString(g.id), Name: g.name, Description: g.description, Path: s.st.groupPath(g.id), Type: g.kind}
	if g.parent >= 0 {
		out.ParentID = idString(g.parent)
	}
	for _, id := range s.st.sortedDeviceIDs() {
		if s.st.devices[id].groups[g.id] {
			out.DeviceIDs = append(out.DeviceIDs, idString(id))
		}
	}
	return out
}

// Groups returns a snapshot of every group, by ascending id ("My Network" first).
func (s *Server) Groups() []Group {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Group, 0, len(s.st.groups))
	for _, id := range s.st.groupOrder {
		if g := s.st.groups[id]; g != nil {
			out = append(out, s.snapshotGroup(g))
		}
	}
	return out
}

// Scans returns a snapshot of every discovery scan, oldest first.
func (s *Server) Scans() []Scan {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Scan, 0, len(s.st.scans))
	for _, id := range s.st.scanOrder {
		sc := s.st.scans[id]
		snap := Scan{ID: sc.id, Name: sc.name, Model: sc.model, GroupID: idString(sc.groupID), Targets: append([]string(nil), sc.targets...), Polls: sc.polls, Done: sc.done}
		for _, d := range sc.deviceIDs {
			snap.DeviceIDs = append(snap.DeviceIDs, idString(d))
		}
		out = append(out, snap)
	}
	return out
}

// CompleteScans finishes every running scan now, creating the devices it finds.
func (s *Server) CompleteScans() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, id := range s.st.scanOrder {
		s.completeScan(s.st.scans[id])
	}
}

// ExpireTokens makes every access token invalid, as if they had all expired; refresh tokens
// stay valid, so clients can refresh.
func (s *Server) ExpireTokens() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.st.access = map[string]accessToken{}
}

// TokenGrants returns how many tokens the server issued, by grant type ("password",
// "refresh_token").
func (s *Server) TokenGrants() map[string]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make(map[string]int, len(s.st.grants))
	for k, v := range s.st.grants {
		out[k] = v
	}
	return out
}

// Reset returns the server to its initial state: the devices and groups of Options, no
// tokens, no scans, the faults of Options, and an empty request log.
func (s *Server) Reset() {
	st, err := s.initialState()
	if err != nil {
		// NewServer built the same state from the same options, so this cannot fail.
		panic(err)
	}
	s.mu.Lock()
	s.st = st
	s.mu.Unlock()
	s.faults.reset(s.opts.Faults)
	s.stats.reset()
}

// ResetStats empties the request log and counters but keeps devices, groups and tokens, e.g.
// between the phases of a benchmark.
func (s *Server) ResetStats() { s.stats.reset() }
