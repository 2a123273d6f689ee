package wugsim

import (
	"fmt"
	"net/http"
	"strings"
)

func attributeJSON(a *attribute) map[string]any {
	// "discovered" equals the value: nothing in the simulator discovers attributes.
	return map[string]any{"attributeId": idString(a.id), "id": idString(a.id), "name": a.name, "value": a.value, "discovered": a.value}
}

func lookupAttribute(w http.ResponseWriter, d *device, params map[string]string) (*attribute, bool) {
	if id, ok := parseID(params["attributeId"]); ok {
		for _, a := range d.attributes {
			if a.id == id {
				return a, true
			}
		}
	}
	writeError(w, http.StatusNotFound, fmt.Sprintf("Attribute %q was not found on device %d.", params["attributeId"], d.id))
	return nil, false
}

// validAttribute checks a name and value against the schema limits.
func validAttribute(name, value string) error {
	switch {
	case strings.TrimSpace(name) == "":
		return fmt.Errorf("attribute name is required")
	case len([]rune(name)) > maxAttributeName:
		return fmt.Errorf("attribute name must be at most %d characters", maxAttributeName)
	case len([]rune(value)) > maxAttributeValue:
		return fmt.Errorf("attribute value must be at most %d characters", maxAttributeValue)
	}
	return nil
}

// handleListAttributes is GET /devices/{id}/attributes/- (data is a bare list), filtered by
// names (repeatable), nameContains and valueContains.
func (s *Server) handleListAttributes(w http.ResponseWriter, r *http.Request, params map[string]string) {
	p, ok := s.newPager(w, r, "attributes")
	if !ok {
		return
	}
	q := r.URL.Query()
	names := map[string]bool{}
	for _, n := range queryAll(q, "names") {
		names[strings.ToLower(n)] = true
	}
	nameContains := strings.ToLower(param(q, "nameContains"))
	valueContains := strings.ToLower(param(q, "valueContains"))
	s.mu.Lock()
	defer s.mu.Unlock()
	d, ok := s.lookupDevice(w, params)
	if !ok {
		return
	}
	byID := map[int]*attribute{}
	keys := make([]int, 0, len(d.attributes))
	for _, a := range d.attributes {
		byID[a.id] = a
		keys = append(keys, a.id)
	}
	items, next := takePage(p, keys, func(id int) (map[string]any, bool) {
		a := byID[id]
		if len(names) > 0 && !names[strings.ToLower(a.name)] {
			return nil, false
		}
		if !strings.Contains(strings.ToLower(a.name), nameContains) || !strings.Contains(strings.ToLower(a.value), valueContains) {
			return nil, false
		}
		return attributeJSON(a), true
	})
	writePage(w, p, len(items), next, items)
}

// handleAddAttribute is POST /devices/{id}/attributes/-?name=&value= (no body). Names may
// repeat on a device; the spec only says they "should be unique".
func (s *Server) handleAddAttribute(w http.ResponseWriter, r *http.Request, params map[string]string) {
	q := r.URL.Query()
	name, value := param(q, "name"), param(q, "value")
	if err := validAttribute(name, value); err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	d, ok := s.lookupDevice(w, params)
	if !ok {
		return
	}
	a := s.st.newAttribute(strings.TrimSpace(name), value)
	d.attributes = append(d.attributes, a)
	writeData(w, attributeJSON(a))
}

func (s *Server) handleGetAttribute(w http.ResponseWriter, _ *http.Request, params map[string]string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	d, ok := s.lookupDevice(w, params)
	if !ok {
		return
	}
	a, ok := lookupAttribute(w, d, params)
	if !ok {
		return
	}
	writeData(w, attributeJSON(a))
}

// handlePutAttribute is PUT /devices/{id}/attributes/{attrId}?name=&value= (no body).
func (s *Server) handlePutAttribute(w http.ResponseWriter, r *http.Request, params map[string]string) {
	q := r.URL.Query()
	name, value := param(q, "name"), param(q, "value")
	if err := validAttribute(name, value); err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	d, ok := s.lookupDevice(w, params)
	if !ok {
		return
	}
	a, ok := lookupAttribute(w, d, params)
	if !ok {
		return
	}
	a.name, a.value = strings.TrimSpace(name), value
	writeData(w, successResult{Success: true})
}

func (s *Server) handleDeleteAttribute(w http.ResponseWriter, _ *http.Request, params map[string]string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	d, ok := s.lookupDevice(w, params)
	if !ok {
		return
	}
	a, ok := lookupAttribute(w, d, params)
	if !ok {
		return
	}
	d.attributes = removeAttributes(d.attributes, func(x *attribute) bool { return x == a })
	writeData(w, successResult{Success: true})
}

// handleDeleteAttributes is DELETE /devices/{id}/attributes/-: by names, nameContains and
// valueContains (all repeatable); with no filter every attribute goes.
func (s *Server) handleDeleteAttributes(w http.ResponseWriter, r *http.Request, params map[string]string) {
	q := r.URL.Query()
	names, nameContains, valueContains := queryAll(q, "names"), queryAll(q, "nameContains"), queryAll(q, "valueContains")
	all := len(names) == 0 && len(nameContains) == 0 && len(valueContains) == 0
	s.mu.Lock()
	defer s.mu.Unlock()
	d, ok := s.lookupDevice(w, params)
	if !ok {
		return
	}
	res := newCounted()
	d.attributes = removeAttributes(d.attributes, func(a *attribute) bool {
		hit := all || containsFold(names, a.name) || anySubstring(nameContains, a.name) || anySubstring(valueContains, a.value)
		if hit {
			res.ok()
		}
		return hit
	})
	writeData(w, res)
}

// handleBatchAttributes is PATCH /devices/{id}/attributes/- (BulkDeviceAttributeBatch),
// applied in the documented order: delete all, delete by id, delete by name / name contains /
// value contains, modify, add.
func (s *Server) handleBatchAttributes(w http.ResponseWriter, r *http.Request, params map[string]string) {
	var body struct {
		DeleteAllAttributes            lBool    `json:"deleteAllAttributes"`
		AttributesToDelete             lStrings `json:"attributesToDelete"`
		AttributeNamesToDelete         lStrings `json:"attributeNamesToDelete"`
		AttributeNameContainsToDelete  lStrings `json:"attributeNameContainsToDelete"`
		AttributeValueContainsToDelete lStrings `json:"attributeValueContainsToDelete"`
		AttributeToModify              []struct {
			AttributeID lString `json:"attributeId"`
			Name        lString `json:"name"`
			Value       lString `json:"value"`
		} `json:"attributeToModify"`
		AttributesToAdd []struct {
			Name  lString `json:"name"`
			Value lString `json:"value"`
		} `json:"attributesToAdd"`
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
	if body.DeleteAllAttributes.or(false) {
		d.attributes = removeAttributes(d.attributes, func(*attribute) bool { res.ok(); return true })
	}
	for _, raw := range body.AttributesToDelete {
		id, _ := parseID(raw)
		before := len(d.attributes)
		d.attributes = removeAttributes(d.attributes, func(a *attribute) bool { return a.id == id })
		if len(d.attributes) == before {
			res.fail(raw, fmt.Sprintf("Attribute %s was not found.", raw))
			continue
		}
		res.ok()
	}
	d.attributes = removeAttributes(d.attributes, func(a *attribute) bool {
		hit := containsFold(body.AttributeNamesToDelete, a.name) || anySubstring(body.AttributeNameContainsToDelete, a.name) ||
			anySubstring(body.AttributeValueContainsToDelete, a.value)
		if hit {
			res.ok()
		}
		return hit
	})
	for _, m := range body.AttributeToModify {
		id, _ := parseID(string(m.AttributeID))
		var target *attribute
		for _, a := range d.attributes {
			if a.id == id {
				target = a
			}
		}
		if err := validAttribute(string(m.Name), string(m.Value)); target == nil || err != nil {
			msg := fmt.Sprintf("Attribute %s was not found.", string(m.AttributeID))
			if err != nil {
				msg = err.Error()
			}
			res.fail(string(m.AttributeID), msg)
			continue
		}
		target.name, target.value = strings.TrimSpace(string(m.Name)), string(m.Value)
		res.ok()
	}
	for _, a := range body.AttributesToAdd {
		if err := validAttribute(string(a.Name), string(a.Value)); err != nil {
			res.fail(string(a.Name), err.Error())
			continue
		}
		d.attributes = append(d.attributes, s.st.newAttribute(strings.TrimSpace(string(a.Name)), string(a.Value)))
		res.ok()
	}
	writeData(w, res)
}

func removeAttributes(in []*attribute, drop func(*attribute) bool) []*attribute {
	out := in[:0]
	for _, a := range in {
		if !drop(a) {
			out = append(out, a)
		}
	}
	for i := len(out); i < len(in); i++ {
		in[i] = nil
	}
	return out
}

func containsFold(list []string, s string) bool {
	for _, x := range list {
		if strings.EqualFold(strings.TrimSpace(x), s) {
			return true
		}
	}
	return false
}

func anySubstring(list []string, s string) bool {
	for _, x := range list {
		if strings.Contains(strings.ToLower(s), strings.ToLower(x)) {
			return true
		}
	}
	return false
}
