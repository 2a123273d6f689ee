package wugsim

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"
)

const maxMaintenanceReason = 250

type maintenanceBody struct {
	Devices lStrings `json:"devices"`
	Enabled lBool    `json:"enabled"`
	Reason  lString  `json:"reason"`
	EndUTC  lString  `json:"endUtc"`
}

// parse validates the body and returns the maintenance it asks for.
func (b maintenanceBody) parse() (maintenance, error) {
	if !b.Enabled.set {
		return maintenance{}, errors.New("enabled is required")
	}
	reason := string(b.Reason)
	if len([]rune(reason)) > maxMaintenanceReason {
		return maintenance{}, fmt.Errorf("reason must be at most %d characters", maxMaintenanceReason)
	}
	m := maintenance{enabled: b.Enabled.val, reason: reason}
	if end := strings.TrimSpace(string(b.EndUTC)); end != "" && m.enabled {
		t, err := parseUTC(end)
		if err != nil {
			return maintenance{}, fmt.Errorf("endUtc %q is not a date-time", end)
		}
		m.end = t
	}
	return m, nil
}

func parseUTC(s string) (time.Time, error) {
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05", "2006-01-02T15:04:05.999999999"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, errors.New("not a date-time")
}

// handlePutMaintenance is PUT /devices/{id}/config/maintenance (MaintenanceConfigBasic).
func (s *Server) handlePutMaintenance(w http.ResponseWriter, r *http.Request, params map[string]string) {
	var body maintenanceBody
	if err := decodeBody(r, &body); err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	m, err := body.parse()
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	d, ok := s.lookupDevice(w, params)
	if !ok {
		return
	}
	d.maintenance = m
	d.lastChange = s.now()
	writeData(w, successResult{Success: true})
}

// handleBatchMaintenance is PATCH /devices/-/config/maintenance (MaintenanceConfigManualBatch).
func (s *Server) handleBatchMaintenance(w http.ResponseWriter, r *http.Request, _ map[string]string) {
	var body maintenanceBody
	if err := decodeBody(r, &body); err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	m, err := body.parse()
	if err != nil {
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
		d.maintenance = m
		d.lastChange = s.now()
		res.ok()
	}
	writeData(w, res)
}
