package wugsim

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
)

// templateJSON renders a device as WUG's DeviceTemplate read format (the shape of the live
// sample in the reference, fixture F12).
func (s *Server) templateJSON(d *device) map[string]any {
	poll := ""
	if d.pollInterval > 0 {
		poll = strconv.Itoa(d.pollInterval)
	}
	autoRefresh := "False"
	if d.keepDetailsCurrent {
		autoRefresh = "True"
	}
	creds := []map[string]string{}
	for _, c := range d.credentials {
		typ, name, _ := strings.Cut(c, ":")
		creds = append(creds, map[string]string{"credentialType": typ, "credential": name})
	}
	ifaces := []map[string]any{}
	for _, i := range d.interfaces {
		ifaces = append(ifaces, map[string]any{"defaultInterface": i.isDefault, "pollUsingNetworkName": i.pollUsingName, "networkAddress": i.address, "networkName": i.hostName})
	}
	attrs := []map[string]string{}
	for _, a := range d.attributes {
		attrs = append(attrs, map[string]string{"name": a.name, "value": a.value})
	}
	links := []map[string]string{}
	for _, l := range d.customLinks {
		links = append(links, map[string]string{"name": l[0], "value": l[1]})
	}
	monitors := []map[string]string{}
	for _, m := range d.activeMonitors {
		monitors = append(monitors, map[string]string{"classId": "", "name": m, "argument": "", "comment": ""})
	}
	groups := []map[string]any{}
	for _, gid := range d.staticGroupIDs(s.st.groups) {
		path := strings.Split(s.st.groupPath(gid), "/")
		ref := map[string]any{"name": path[len(path)-1]}
		if len(path) > 1 {
			ref["parents"] = path[:len(path)-1]
		}
		groups = append(groups, ref)
	}
	subRoles := append([]string{}, d.subRoles...)
	return map[string]any{
		"templateId": idString(d.id), "displayName": d.name, "deviceType": d.deviceType, "snmpOid": d.snmpOID,
		"pollInterval": poll, "primaryRole": d.role, "subRoles": subRoles, "os": d.os, "brand": d.brand,
		"actionPolicy": d.actionPolicy, "note": d.note, "autoRefresh": autoRefresh, "credentials": creds,
		"interfaces": ifaces, "attributes": attrs, "customLinks": links, "activeMonitors": monitors,
		"performanceMonitors": []any{}, "passiveMonitors": []any{}, "dependencies": []any{},
		"applicationProfiles": []any{}, "layer2Data": "", "groups": groups,
	}
}

// handleGetTemplate is GET /devices/{id}/config/template.
func (s *Server) handleGetTemplate(w http.ResponseWriter, _ *http.Request, params map[string]string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	d, ok := s.lookupDevice(w, params)
	if !ok {
		return
	}
	writeData(w, map[string]any{"deviceCount": 1, "errors": []string{}, "templates": []any{s.templateJSON(d)}})
}

// handleGroupTemplates is GET /device-groups/{id}/devices/-/config/template, paged.
func (s *Server) handleGroupTemplates(w http.ResponseWriter, r *http.Request, params map[string]string) {
	p, ok := s.newPager(w, r, "templates")
	if !ok {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	gid, ok := parseID(params["groupId"])
	if !ok || s.st.groups[gid] == nil {
		writeError(w, http.StatusNotFound, fmt.Sprintf("Device group %q was not found.", params["groupId"]))
		return
	}
	members := s.st.descendants(gid)
	templates, next := takePage(p, s.st.order, func(id int) (map[string]any, bool) {
		d := s.st.devices[id]
		if d == nil || !memberOfAny(d, members) {
			return nil, false
		}
		return s.templateJSON(d), true
	})
	writePage(w, p, len(templates), next, map[string]any{"deviceCount": len(templates), "errors": []string{}, "templates": templates})
}
