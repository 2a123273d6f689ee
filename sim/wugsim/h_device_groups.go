package wugsim

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
)

// handleDeviceGroups is GET /devices/{id}/group/- (data is a bare list of DeviceGroupSummary).
func (s *Server) handleDeviceGroups(w http.ResponseWriter, r *http.Request, params map[string]string) {
	level, ok := parseView(w, r, "summary", map[string]int{"id": 0, "summary": 0, "detail": 1})
	if !ok {
		return
	}
	q := r.URL.Query()
	filter := strings.ToLower(strings.TrimSpace(param(q, "type")))
	search := strings.TrimSpace(param(q, "search"))
	p, ok := s.newPager(w, r, "device-groups")
	if !ok {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	d, ok := s.lookupDevice(w, params)
	if !ok {
		return
	}
	groups, next := takePage(p, s.st.groupOrder, func(id int) (map[string]any, bool) {
		g := s.st.groups[id]
		if g == nil || !d.groups[id] || !groupTypeMatches(g, filter) || !matchesSearch(search, []string{g.name}) {
			return nil, false
		}
		return s.groupJSON(g, level), true
	})
	writePage(w, p, len(groups), next, groups)
}

// handleAssignDeviceGroup is PUT /devices/{id}/group/-. The spec's body is a bare JSON string
// (the group id); WhatsUpGoldPS documents {"groupId": "5"}. Both are accepted.
func (s *Server) handleAssignDeviceGroup(w http.ResponseWriter, r *http.Request, params map[string]string) {
	raw, err := io.ReadAll(io.LimitReader(r.Body, maxBodyBytes))
	if err != nil {
		writeError(w, http.StatusBadRequest, "request body could not be read")
		return
	}
	var gid lString
	if json.Unmarshal(raw, &gid) != nil || strings.HasPrefix(strings.TrimSpace(string(raw)), "{") {
		var obj struct {
			GroupID lString `json:"groupId"`
		}
		if err := json.Unmarshal(raw, &obj); err != nil || obj.GroupID == "" {
			writeError(w, http.StatusBadRequest, `body must be a group id ("5") or {"groupId":"5"}`)
			return
		}
		gid = obj.GroupID
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	d, ok := s.lookupDevice(w, params)
	if !ok {
		return
	}
	g, ok := s.staticGroupFor(w, string(gid))
	if !ok {
		return
	}
	d.groups[g.id] = true
	writeJSON(w, http.StatusOK, successResult{Success: true})
}

// handlePatchDeviceGroups is PATCH /devices/{id}/group/- (BulkDeviceGroupAssignmentBatch).
// Deletes go before adds, and the device must end with at least one static group, or
// nothing changes.
func (s *Server) handlePatchDeviceGroups(w http.ResponseWriter, r *http.Request, params map[string]string) {
	var body struct {
		GroupsToAdd    lStrings `json:"groupsToAdd"`
		GroupsToDelete lStrings `json:"groupsToDelete"`
	}
	if err := decodeBody(r, &body); err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	d, ok := s.lookupDevice(w, params)
	if !ok {
		return
	}
	res := newCounted()
	next := map[int]bool{}
	for gid := range d.groups {
		next[gid] = true
	}
	for _, raw := range body.GroupsToDelete {
		id, ok := parseID(raw)
		if g := s.st.groups[id]; !ok || g == nil || g.kind != groupStatic || !next[id] {
			res.fail(raw, fmt.Sprintf("Group %s is not a static group of device %d.", raw, d.id))
			continue
		}
		delete(next, id)
		res.ok()
	}
	for _, raw := range body.GroupsToAdd {
		id, ok := parseID(raw)
		if g := s.st.groups[id]; !ok || g == nil || g.kind != groupStatic {
			res.fail(raw, fmt.Sprintf("Group %s is not a static group.", raw))
			continue
		}
		next[id] = true
		res.ok()
	}
	static := 0
	for gid := range next {
		if s.st.groups[gid].kind == groupStatic {
			static++
		}
	}
	if static == 0 {
		writeData(w, &counted{ResourcesNotAllowed: []string{idString(d.id)}, ResourcesWithErros: []string{},
			Errors: []string{fmt.Sprintf("Device %d must belong to at least one static group.", d.id)}})
		return
	}
	d.groups = next
	writeData(w, res)
}

// handleRemoveDeviceGroup is DELETE /devices/{id}/group/{groupId}; it errors on the last
// static group.
func (s *Server) handleRemoveDeviceGroup(w http.ResponseWriter, _ *http.Request, params map[string]string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	d, ok := s.lookupDevice(w, params)
	if !ok {
		return
	}
	g, ok := s.staticGroupFor(w, params["groupId"])
	if !ok {
		return
	}
	res := newCounted()
	s.removeMembership(d, g, res)
	if !res.Success {
		writeError(w, http.StatusBadRequest, strings.Join(res.Errors, " "))
		return
	}
	writeJSON(w, http.StatusOK, successResult{Success: true})
}

// handleIsMember is GET /devices/{id}/group/{groupId}/is-member (bare SuccessResult).
func (s *Server) handleIsMember(w http.ResponseWriter, _ *http.Request, params map[string]string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	d, ok := s.lookupDevice(w, params)
	if !ok {
		return
	}
	g, ok := s.lookupGroup(w, params["groupId"])
	if !ok {
		return
	}
	writeJSON(w, http.StatusOK, successResult{Success: d.groups[g.id]})
}
