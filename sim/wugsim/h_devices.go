package wugsim

import (
	"fmt"
	"net/http"
	"strings"
	"time"
)

// lookupDevice finds the device of the {deviceId} wildcard, answering 404 when there is none.
// s.mu must be held.
func (s *Server) lookupDevice(w http.ResponseWriter, params map[string]string) (*device, bool) {
	raw := params["deviceId"]
	id, ok := parseID(raw)
	if ok {
		if d := s.st.devices[id]; d != nil {
			return d, true
		}
	}
	writeError(w, http.StatusNotFound, fmt.Sprintf("Device %q was not found.", raw))
	return nil, false
}

// views of a device, from least to most detailed.
var deviceViews = map[string]int{"id": 0, "basic": 1, "overview": 2, "card": 3}

// parseView reads ?view=, answering 400 for an unknown value.
func parseView(w http.ResponseWriter, r *http.Request, def string, allowed map[string]int) (int, bool) {
	v := strings.ToLower(strings.TrimSpace(param(r.URL.Query(), "view")))
	if v == "" {
		v = def
	}
	level, ok := allowed[v]
	if !ok {
		writeError(w, http.StatusBadRequest, fmt.Sprintf("view %q is not valid.", v))
	}
	return level, ok
}

// deviceJSON renders DeviceOverview at a view level.
func (s *Server) deviceJSON(d *device, level int) map[string]any {
	out := map[string]any{"id": idString(d.id)}
	if level >= 1 {
		out["name"] = d.name
		out["os"] = d.os
		out["brand"] = d.brand
		out["role"] = d.role
		out["networkAddress"] = d.networkAddress()
		out["hostName"] = d.hostName
		out["notes"] = d.note
	}
	if level >= 2 {
		state := d.currentState(s.now())
		out["description"] = d.description
		out["bestState"] = state
		out["worstState"] = state
		out["totalActiveMonitors"] = len(d.activeMonitors)
		down := 0
		if state == StateDown {
			down = len(d.activeMonitors)
		}
		out["totalActiveMonitorsDown"] = down
	}
	if level >= 3 {
		out["downActiveMonitors"] = []any{}
	}
	return out
}

func (s *Server) handleGetDevice(w http.ResponseWriter, r *http.Request, params map[string]string) {
	level, ok := parseView(w, r, "card", deviceViews)
	if !ok {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	d, ok := s.lookupDevice(w, params)
	if !ok {
		return
	}
	writeData(w, s.deviceJSON(d, level))
}

// handleDeleteDevice is DELETE /devices/{id}. An unknown id is 404 (the real answer is
// undocumented; 404 is what the route-level behaviour of the server suggests).
func (s *Server) handleDeleteDevice(w http.ResponseWriter, r *http.Request, params map[string]string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	d, ok := s.lookupDevice(w, params)
	if !ok {
		return
	}
	s.st.deleteDevice(d.id)
	writeData(w, successResult{Success: true})
}

// handleBulkDevices is PATCH /devices/- (BulkDeviceOpsBatch); only "delete" is simulated.
func (s *Server) handleBulkDevices(w http.ResponseWriter, r *http.Request, _ map[string]string) {
	var body struct {
		Operation lString  `json:"operation"`
		Devices   lStrings `json:"devices"`
	}
	if err := decodeBody(r, &body); err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	if !strings.EqualFold(string(body.Operation), "delete") {
		writeError(w, http.StatusBadRequest, fmt.Sprintf("operation %q is not supported.", string(body.Operation)))
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	res := newCounted()
	for _, raw := range body.Devices {
		id, ok := parseID(raw)
		if !ok || !s.st.deleteDevice(id) {
			res.fail(raw, fmt.Sprintf("Device %s was not found.", raw))
			continue
		}
		res.ok()
	}
	writeData(w, res)
}

func (s *Server) handleDeviceStatus(w http.ResponseWriter, _ *http.Request, params map[string]string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	d, ok := s.lookupDevice(w, params)
	if !ok {
		return
	}
	state := d.currentState(s.now())
	writeData(w, map[string]any{"bestState": state, "worstState": state, "lastChangeUtc": d.lastChange.UTC().Format(time.RFC3339)})
}

func (s *Server) propertiesJSON(d *device) map[string]any {
	return map[string]any{
		"id": idString(d.id), "displayName": d.name, "isWireless": d.isWireless, "collectWireless": d.collectWireless,
		"keepDetailsCurrent": d.keepDetailsCurrent, "note": d.note, "snmpOid": d.snmpOID,
		"actionPolicy": map[string]any{"name": d.actionPolicy, "description": "", "id": ""},
	}
}

func (s *Server) handleGetProperties(w http.ResponseWriter, _ *http.Request, params map[string]string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	d, ok := s.lookupDevice(w, params)
	if !ok {
		return
	}
	writeData(w, s.propertiesJSON(d))
}

type propertiesBody struct {
	DisplayName        *lString `json:"displayName"`
	Note               *lString `json:"note"`
	SNMPOID            *lString `json:"snmpOid"`
	IsWireless         lBool    `json:"isWireless"`
	CollectWireless    lBool    `json:"collectWireless"`
	KeepDetailsCurrent lBool    `json:"keepDetailsCurrent"`
	Devices            lStrings `json:"devices"`
}

func (s *Server) applyProperties(d *device, body propertiesBody) {
	if body.Note != nil {
		d.note = string(*body.Note)
	}
	if body.SNMPOID != nil {
		d.snmpOID = string(*body.SNMPOID)
	}
	d.isWireless = body.IsWireless.or(d.isWireless)
	d.collectWireless = body.CollectWireless.or(d.collectWireless)
	d.keepDetailsCurrent = body.KeepDetailsCurrent.or(d.keepDetailsCurrent)
	d.lastChange = s.now()
}

// handlePutProperties is PUT /devices/{id}/properties (DevicePropertiesWithName): fields that
// are present change; this is how a device is renamed.
func (s *Server) handlePutProperties(w http.ResponseWriter, r *http.Request, params map[string]string) {
	var body propertiesBody
	if err := decodeBody(r, &body); err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	if body.DisplayName != nil {
		name := strings.TrimSpace(string(*body.DisplayName))
		if name == "" || len([]rune(name)) > maxDisplayName {
			writeError(w, http.StatusBadRequest, fmt.Sprintf("displayName must be 1 to %d characters.", maxDisplayName))
			return
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	d, ok := s.lookupDevice(w, params)
	if !ok {
		return
	}
	if body.DisplayName != nil {
		d.name = strings.TrimSpace(string(*body.DisplayName))
		s.st.reindex(d)
	}
	s.applyProperties(d, body)
	writeData(w, successResult{Success: true})
}

// handleBatchProperties is PATCH /devices/-/properties; display names cannot change here.
func (s *Server) handleBatchProperties(w http.ResponseWriter, r *http.Request, _ map[string]string) {
	var body propertiesBody
	if err := decodeBody(r, &body); err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	res := newCounted()
	for _, raw := range body.Devices {
		id, ok := parseID(raw)
		d := s.st.devices[id]
		if !ok || d == nil {
			res.fail(raw, fmt.Sprintf("Device %s was not found.", raw))
			continue
		}
		s.applyProperties(d, body)
		res.ok()
	}
	writeData(w, res)
}

// handleSearchDevices is GET /device-groups/{id}/devices/- (and its deprecated twin without
// "/-"): a case-insensitive substring search over display name, host name and address,
// within the group and (returnHierarchy, default true) its descendants. Group 0 with the
// hierarchy, and -1, cover every device.
func (s *Server) handleSearchDevices(w http.ResponseWriter, r *http.Request, params map[string]string) {
	level, ok := parseView(w, r, "card", deviceViews)
	if !ok {
		return
	}
	q := r.URL.Query()
	hierarchy, err := queryBool(q, "returnHierarchy", true)
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	stateFilter := strings.ToLower(strings.TrimSpace(param(q, "state")))
	switch stateFilter {
	case "", "any", "up", "down", "maintenance", "unknown", "upwithdownmonitors":
	default:
		writeError(w, http.StatusBadRequest, fmt.Sprintf("state %q is not valid.", stateFilter))
		return
	}
	p, ok := s.newPager(w, r, "devices")
	if !ok {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var inGroups map[int]bool // nil means every device
	gid, ok := parseID(params["groupId"])
	switch {
	case ok && gid == -1:
	case ok && s.st.groups[gid] != nil:
		if gid != rootGroupID || !hierarchy {
			inGroups = map[int]bool{gid: true}
			if hierarchy {
				inGroups = s.st.descendants(gid)
			}
		}
	default:
		writeError(w, http.StatusNotFound, fmt.Sprintf("Device group %q was not found.", params["groupId"]))
		return
	}
	now := s.now()
	search := strings.TrimSpace(param(q, "search"))
	devices, next := takePage(p, s.st.searchDevices(search), func(id int) (map[string]any, bool) {
		d := s.st.devices[id]
		if d == nil || !memberOfAny(d, inGroups) || !stateMatches(d, stateFilter, now) {
			return nil, false
		}
		return s.deviceJSON(d, level), true
	})
	writePage(w, p, len(devices), next, map[string]any{"devices": devices})
}

func memberOfAny(d *device, groups map[int]bool) bool {
	if groups == nil {
		return true
	}
	for gid := range d.groups {
		if groups[gid] {
			return true
		}
	}
	return false
}

func stateMatches(d *device, filter string, now time.Time) bool {
	state := strings.ToLower(d.currentState(now))
	switch filter {
	case "", "any":
		return true
	case "upwithdownmonitors":
		return false
	}
	return state == filter
}

// handleGetPolling is GET /devices/{id}/config/polling, where maintenance is read back.
func (s *Server) handleGetPolling(w http.ResponseWriter, _ *http.Request, params map[string]string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	d, ok := s.lookupDevice(w, params)
	if !ok {
		return
	}
	m := d.maintenance
	manual := map[string]any{"userId": "1", "user": DefaultUsername, "enabled": d.inMaintenance(s.now()), "reason": m.reason}
	if !m.end.IsZero() {
		manual["endUtc"] = m.end.UTC().Format(time.RFC3339)
	}
	interval := d.pollInterval
	if interval == 0 {
		interval = 60
	}
	writeData(w, map[string]any{
		"pollingIntervalSeconds": interval,
		"pollByHostName":         d.defaultInterface().pollUsingName,
		"maintenance":            map[string]any{"enabled": d.inMaintenance(s.now()), "manual": manual, "schedules": []any{}},
	})
}
