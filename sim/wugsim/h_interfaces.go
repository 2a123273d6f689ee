package wugsim

import (
	"fmt"
	"net/http"
	"net/netip"
	"strings"
)

func interfaceJSON(i *netInterface) map[string]any {
	return map[string]any{"interfaceId": idString(i.id), "hostName": i.hostName, "address": i.address,
		"defaultInterface": i.isDefault, "pollUsingName": i.pollUsingName}
}

// lookupInterface finds the {interfaceId} of d, answering 404 when there is none.
func lookupInterface(w http.ResponseWriter, d *device, params map[string]string) (*netInterface, bool) {
	if id, ok := parseID(params["interfaceId"]); ok {
		for _, i := range d.interfaces {
			if i.id == id {
				return i, true
			}
		}
	}
	writeError(w, http.StatusNotFound, fmt.Sprintf("Interface %q was not found on device %d.", params["interfaceId"], d.id))
	return nil, false
}

// handleListInterfaces is GET /devices/{id}/interfaces/- (data is a bare list).
func (s *Server) handleListInterfaces(w http.ResponseWriter, r *http.Request, params map[string]string) {
	p, ok := s.newPager(w, r, "interfaces")
	if !ok {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	d, ok := s.lookupDevice(w, params)
	if !ok {
		return
	}
	search := strings.TrimSpace(param(r.URL.Query(), "search"))
	byID := map[int]*netInterface{}
	keys := make([]int, 0, len(d.interfaces))
	for _, i := range d.interfaces {
		byID[i.id] = i
		keys = append(keys, i.id)
	}
	items, next := takePage(p, keys, func(id int) (map[string]any, bool) {
		i := byID[id]
		if !matchesSearch(search, []string{i.address, i.hostName}) {
			return nil, false
		}
		return interfaceJSON(i), true
	})
	writePage(w, p, len(items), next, items)
}

func (s *Server) handleDefaultInterface(w http.ResponseWriter, _ *http.Request, params map[string]string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	d, ok := s.lookupDevice(w, params)
	if !ok {
		return
	}
	writeData(w, interfaceJSON(d.defaultInterface()))
}

func (s *Server) handleGetInterface(w http.ResponseWriter, _ *http.Request, params map[string]string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	d, ok := s.lookupDevice(w, params)
	if !ok {
		return
	}
	i, ok := lookupInterface(w, d, params)
	if !ok {
		return
	}
	writeData(w, interfaceJSON(i))
}

// handlePutInterface is PUT /devices/{id}/interfaces/{ifId} (NetworkInterfaceUpdate); fields
// present change. Making an interface the default takes the flag from the others.
func (s *Server) handlePutInterface(w http.ResponseWriter, r *http.Request, params map[string]string) {
	var body struct {
		HostName         *lString `json:"hostName"`
		Address          *lString `json:"address"`
		DefaultInterface lBool    `json:"defaultInterface"`
		PollUsingName    lBool    `json:"pollUsingName"`
	}
	if err := decodeBody(r, &body); err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	var addr string
	if body.Address != nil {
		a, err := netip.ParseAddr(strings.TrimSpace(string(*body.Address)))
		if err != nil {
			writeError(w, http.StatusBadRequest, fmt.Sprintf("address %q must be a valid ip address.", string(*body.Address)))
			return
		}
		addr = a.String()
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	d, ok := s.lookupDevice(w, params)
	if !ok {
		return
	}
	i, ok := lookupInterface(w, d, params)
	if !ok {
		return
	}
	if body.DefaultInterface.set && !body.DefaultInterface.val && i.isDefault {
		writeError(w, http.StatusBadRequest, "A device must keep one default interface; make another interface the default instead.")
		return
	}
	if addr != "" {
		i.address = addr
	}
	if body.HostName != nil {
		i.hostName = string(*body.HostName)
	}
	if body.DefaultInterface.or(false) {
		for _, other := range d.interfaces {
			other.isDefault = other == i
		}
	}
	i.pollUsingName = body.PollUsingName.or(i.pollUsingName)
	if i.isDefault {
		d.hostName = i.hostName
	}
	d.lastChange = s.now()
	s.st.reindex(d)
	writeData(w, interfaceJSON(i))
}
