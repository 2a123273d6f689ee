package wugsim

import (
	"fmt"
	"net/http"
	"strings"
)

var groupViews = map[string]int{"summary": 0, "detail": 1}

// lookupGroup finds the {groupId} wildcard's group, answering 404 when there is none.
func (s *Server) lookupGroup(w http.ResponseWriter, raw string) (*group, bool) {
	if id, ok := parseID(raw); ok {
		if g := s.st.groups[id]; g != nil {
			return g, true
		}
	}
	writeError(w, http.StatusNotFound, fmt.Sprintf("Device group %q was not found.", raw))
	return nil, false
}

// groupJSON renders DeviceGroupSummary; detail adds the counts.
func (s *Server) groupJSON(g *group, level int) map[string]any {
	out := map[string]any{"id": idString(g.id), "name": g.name, "description": g.description, "parentGroupId": ""}
	if g.parent >= 0 {
		out["parentGroupId"] = idString(g.parent)
	}
	if level >= 1 {
		children, direct, descendants := 0, 0, 0
		below := s.st.descendants(g.id)
		for _, gid := range s.st.groupOrder {
			if c := s.st.groups[gid]; c != nil && c.parent == g.id {
				children++
			}
		}
		for _, d := range s.st.devices {
			if d.groups[g.id] {
				direct++
			}
			if memberOfAny(d, below) {
				descendants++
			}
		}
		out["details"] = map[string]any{"groupType": g.kind, "monitorState": StateUp, "childrenCount": children,
			"deviceChildrenCount": direct, "deviceDescendantCount": descendants}
	}
	return out
}

func groupTypeMatches(g *group, filter string) bool {
	switch filter {
	case "", "all":
		return true
	case "static", "static_group":
		return g.kind == groupStatic
	case "dynamic", "dynamic_group":
		return g.kind == groupDynamic
	}
	return false
}

// handleListGroups is GET /device-groups/-: every group, nested ones included, by id.
func (s *Server) handleListGroups(w http.ResponseWriter, r *http.Request, _ map[string]string) {
	s.listGroups(w, r, nil, nil)
}

// handleGroupChildren is GET /device-groups/{id}/children (returnHierarchy default false).
func (s *Server) handleGroupChildren(w http.ResponseWriter, r *http.Request, params map[string]string) {
	hierarchy, err := queryBool(r.URL.Query(), "returnHierarchy", false)
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	s.mu.Lock()
	parent, ok := s.lookupGroup(w, params["groupId"])
	var within map[int]bool
	if ok {
		within = s.st.descendants(parent.id)
		delete(within, parent.id)
		if !hierarchy {
			within = map[int]bool{}
			for _, gid := range s.st.groupOrder {
				if g := s.st.groups[gid]; g != nil && g.parent == parent.id {
					within[gid] = true
				}
			}
		}
	}
	s.mu.Unlock()
	if !ok {
		return
	}
	s.listGroups(w, r, within, map[string]any{"parentGroupId": idString(parent.id)})
}

func (s *Server) listGroups(w http.ResponseWriter, r *http.Request, within map[int]bool, extra map[string]any) {
	level, ok := parseView(w, r, "summary", groupViews)
	if !ok {
		return
	}
	q := r.URL.Query()
	filter := strings.ToLower(strings.TrimSpace(param(q, "groupType")))
	if !groupTypeMatches(&group{kind: groupStatic}, filter) && !groupTypeMatches(&group{kind: groupDynamic}, filter) && filter != "layer2" {
		writeError(w, http.StatusBadRequest, fmt.Sprintf("groupType %q is not valid.", filter))
		return
	}
	search := strings.TrimSpace(param(q, "search"))
	p, ok := s.newPager(w, r, "groups")
	if !ok {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	groups, next := takePage(p, s.st.groupOrder, func(id int) (map[string]any, bool) {
		g := s.st.groups[id]
		if g == nil || (within != nil && !within[id]) || !groupTypeMatches(g, filter) || !matchesSearch(search, []string{g.name}) {
			return nil, false
		}
		return s.groupJSON(g, level), true
	})
	data := map[string]any{"groups": groups}
	for k, v := range extra {
		data[k] = v
	}
	writePage(w, p, len(groups), next, data)
}

func (s *Server) handleGetGroup(w http.ResponseWriter, r *http.Request, params map[string]string) {
	level, ok := parseView(w, r, "summary", groupViews)
	if !ok {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	g, ok := s.lookupGroup(w, params["groupId"])
	if !ok {
		return
	}
	writeData(w, s.groupJSON(g, level))
}

// handleCreateChild is POST /device-groups/{parent}/child (DeviceGroupCreation). The name
// must be unique under the parent (compared case-insensitively).
func (s *Server) handleCreateChild(w http.ResponseWriter, r *http.Request, params map[string]string) {
	var body struct {
		Name        lString `json:"name"`
		Description lString `json:"description"`
		GroupType   lString `json:"groupType"`
	}
	if err := decodeBody(r, &body); err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	name := strings.TrimSpace(string(body.Name))
	if name == "" {
		writeError(w, http.StatusBadRequest, "name is required.")
		return
	}
	kind := groupStatic
	switch strings.ToLower(strings.TrimSpace(string(body.GroupType))) {
	case "", "static":
	case "dynamic":
		kind = groupDynamic
	default:
		writeError(w, http.StatusBadRequest, fmt.Sprintf("groupType %q is not supported.", string(body.GroupType)))
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	parent, ok := s.lookupGroup(w, params["groupId"])
	if !ok {
		return
	}
	if parent.kind != groupStatic {
		writeError(w, http.StatusBadRequest, fmt.Sprintf("Group %d is not a static group and cannot have child groups.", parent.id))
		return
	}
	if s.st.childNamed(parent.id, name) != nil {
		writeError(w, http.StatusBadRequest, fmt.Sprintf("A group named %q already exists under group %d; names must be unique under a parent.", name, parent.id))
		return
	}
	g := s.st.addGroup(parent.id, name, string(body.Description), kind)
	writeData(w, s.groupJSON(g, 0))
}

// handleUpdateGroup is PUT /device-groups/{id}/definition: rename, describe or move.
func (s *Server) handleUpdateGroup(w http.ResponseWriter, r *http.Request, params map[string]string) {
	var body struct {
		ParentGroupID *lString `json:"parentGroupId"`
		Name          *lString `json:"name"`
		Description   *lString `json:"description"`
	}
	if err := decodeBody(r, &body); err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	g, ok := s.lookupGroup(w, params["groupId"])
	if !ok {
		return
	}
	parent, name := g.parent, g.name
	if body.ParentGroupID != nil && strings.TrimSpace(string(*body.ParentGroupID)) != "" {
		np, ok := s.lookupGroup(w, string(*body.ParentGroupID))
		if !ok {
			return
		}
		if g.id == rootGroupID || s.st.descendants(g.id)[np.id] {
			writeError(w, http.StatusBadRequest, "A group cannot move below itself, and My Network cannot move.")
			return
		}
		parent = np.id
	}
	if body.Name != nil {
		name = strings.TrimSpace(string(*body.Name))
		if name == "" {
			writeError(w, http.StatusBadRequest, "name must not be empty.")
			return
		}
	}
	if other := s.st.childNamed(parent, name); other != nil && other != g {
		writeError(w, http.StatusBadRequest, fmt.Sprintf("A group named %q already exists under group %d.", name, parent))
		return
	}
	g.parent, g.name = parent, name
	if body.Description != nil {
		g.description = string(*body.Description)
	}
	writeJSON(w, http.StatusOK, successResult{Success: true})
}

// handleDeleteGroup is DELETE /device-groups/{id}: "Group must have no child groups or devices".
func (s *Server) handleDeleteGroup(w http.ResponseWriter, _ *http.Request, params map[string]string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	g, ok := s.lookupGroup(w, params["groupId"])
	if !ok {
		return
	}
	if g.id == rootGroupID {
		writeError(w, http.StatusBadRequest, "My Network cannot be deleted.")
		return
	}
	for _, gid := range s.st.groupOrder {
		if c := s.st.groups[gid]; c != nil && c.parent == g.id {
			writeError(w, http.StatusBadRequest, "Group must have no child groups or devices.")
			return
		}
	}
	for _, d := range s.st.devices {
		if d.groups[g.id] {
			writeError(w, http.StatusBadRequest, "Group must have no child groups or devices.")
			return
		}
	}
	delete(s.st.groups, g.id)
	order := s.st.groupOrder[:0]
	for _, gid := range s.st.groupOrder {
		if gid != g.id {
			order = append(order, gid)
		}
	}
	s.st.groupOrder = order
	writeJSON(w, http.StatusOK, successResult{Success: true})
}

// staticGroupFor returns the {groupId} group when it can take members, answering 404 or 400.
func (s *Server) staticGroupFor(w http.ResponseWriter, raw string) (*group, bool) {
	g, ok := s.lookupGroup(w, raw)
	if !ok {
		return nil, false
	}
	if g.kind != groupStatic {
		writeError(w, http.StatusBadRequest, fmt.Sprintf("Group %d is not a static group; only static group membership can be changed.", g.id))
		return nil, false
	}
	return g, true
}

// handleAddMembers is POST /device-groups/{id}/devices/- (BulkDeviceBatch); the answer is a
// bare CountedSuccessResult, as the spec says.
func (s *Server) handleAddMembers(w http.ResponseWriter, r *http.Request, params map[string]string) {
	var body struct {
		Devices lStrings `json:"devices"`
	}
	if err := decodeBody(r, &body); err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	g, ok := s.staticGroupFor(w, params["groupId"])
	if !ok {
		return
	}
	res := newCounted()
	for _, raw := range body.Devices {
		id, ok := parseID(raw)
		d := s.st.devices[id]
		if !ok || d == nil {
			res.fail(raw, fmt.Sprintf("Device %s was not found.", raw))
			continue
		}
		d.groups[g.id] = true
		res.ok()
	}
	writeJSON(w, http.StatusOK, res)
}

// removeMembership takes d out of g unless g is its last static group.
func (s *Server) removeMembership(d *device, g *group, res *counted) {
	if !d.groups[g.id] {
		res.fail(idString(d.id), fmt.Sprintf("Device %d is not a member of group %d.", d.id, g.id))
		return
	}
	if len(d.staticGroupIDs(s.st.groups)) == 1 {
		res.fail(idString(d.id), fmt.Sprintf("Device %d must belong to at least one static group; group %d is its last.", d.id, g.id))
		return
	}
	delete(d.groups, g.id)
	res.ok()
}

// handleRemoveMembers is DELETE /device-groups/{id}/devices/- with {"devices": […]}.
func (s *Server) handleRemoveMembers(w http.ResponseWriter, r *http.Request, params map[string]string) {
	var body struct {
		Devices lStrings `json:"devices"`
	}
	if err := decodeBody(r, &body); err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	g, ok := s.staticGroupFor(w, params["groupId"])
	if !ok {
		return
	}
	res := newCounted()
	for _, raw := range body.Devices {
		id, ok := parseID(raw)
		d := s.st.devices[id]
		if !ok || d == nil {
			res.fail(raw, fmt.Sprintf("Device %s was not found.", raw))
			continue
		}
		s.removeMembership(d, g, res)
	}
	writeJSON(w, http.StatusOK, res)
}

// handleRemoveMember is DELETE /device-groups/{id}/devices/{deviceId}.
func (s *Server) handleRemoveMember(w http.ResponseWriter, _ *http.Request, params map[string]string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	g, ok := s.staticGroupFor(w, params["groupId"])
	if !ok {
		return
	}
	d, ok := s.lookupDevice(w, params)
	if !ok {
		return
	}
	res := newCounted()
	s.removeMembership(d, g, res)
	writeJSON(w, http.StatusOK, res)
}
