package wugsim

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
)

// SetFaults installs (or replaces) the fault rule for a route selector; a zero Fault removes
// it. A selector is "*" (every route), a route name ("PATCH /api/v1/devices/-/config/template"),
// a path pattern ("/api/v1/token", any verb), or a prefix ending in "*"
// ("GET /api/v1/device-groups/*"). Each request uses the most specific matching rule.
func (s *Server) SetFaults(route string, f Fault) error {
	if err := s.faults.set(route, f); err != nil {
		return fmt.Errorf("wugsim: fault %q: %w", route, err)
	}
	return nil
}

// ClearFaults removes every fault rule.
func (s *Server) ClearFaults() { s.faults.reset(nil) }

// Faults returns the fault rules by selector.
func (s *Server) Faults() map[string]Fault { return s.faults.snapshot() }

// serveAdmin serves the /_sim/ routes listed in the package documentation.
func (s *Server) serveAdmin(w http.ResponseWriter, r *http.Request) {
	path := strings.TrimSuffix(strings.TrimPrefix(r.URL.Path, "/_sim"), "/")
	switch r.Method + " " + path {
	case "GET /requests":
		s.adminRequests(w, r)
	case "GET /stats":
		writeJSON(w, http.StatusOK, map[string]any{
			"routes": s.Stats(), "perSecond": s.PerSecondCounts(), "tokenGrants": s.TokenGrants(),
			"total": s.CountRequests("*"), "devices": s.DeviceCount(),
		})
	case "GET /routes":
		writeJSON(w, http.StatusOK, s.Routes())
	case "GET /faults":
		writeJSON(w, http.StatusOK, s.Faults())
	case "PUT /faults":
		s.adminPutFaults(w, r)
	case "DELETE /faults":
		s.ClearFaults()
		writeJSON(w, http.StatusOK, s.Faults())
	case "POST /reset":
		s.Reset()
		writeJSON(w, http.StatusOK, successResult{Success: true})
	case "POST /reset/stats":
		s.ResetStats()
		writeJSON(w, http.StatusOK, successResult{Success: true})
	case "GET /devices":
		writeJSON(w, http.StatusOK, s.Devices())
	case "POST /devices":
		var d Device
		if err := decodeBody(r, &d); err != nil {
			writeError(w, http.StatusBadRequest, err.Error())
			return
		}
		stored, err := s.AddDevice(d)
		if err != nil {
			writeError(w, http.StatusBadRequest, err.Error())
			return
		}
		writeJSON(w, http.StatusCreated, stored)
	case "GET /groups":
		writeJSON(w, http.StatusOK, s.Groups())
	case "GET /scans":
		writeJSON(w, http.StatusOK, s.Scans())
	case "POST /scans/complete":
		s.CompleteScans()
		writeJSON(w, http.StatusOK, s.Scans())
	case "POST /tokens/expire":
		s.ExpireTokens()
		writeJSON(w, http.StatusOK, successResult{Success: true})
	default:
		writeError(w, http.StatusNotFound, fmt.Sprintf("no admin route %s %s", r.Method, r.URL.Path))
	}
}

func (s *Server) adminRequests(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	log := s.RequestLog()
	if route := q.Get("route"); route != "" {
		kept := log[:0]
		for _, e := range log {
			if e.Route == route {
				kept = append(kept, e)
			}
		}
		log = kept
	}
	if raw := q.Get("limit"); raw != "" {
		n, err := strconv.Atoi(raw)
		if err != nil || n < 0 {
			writeError(w, http.StatusBadRequest, fmt.Sprintf("limit %q is not a valid number", raw))
			return
		}
		if n < len(log) {
			log = log[len(log)-n:]
		}
	}
	writeJSON(w, http.StatusOK, log)
}

func (s *Server) adminPutFaults(w http.ResponseWriter, r *http.Request) {
	var rules map[string]Fault
	if err := decodeBody(r, &rules); err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	for sel, f := range rules {
		if err := f.validate(); err != nil {
			writeError(w, http.StatusBadRequest, fmt.Sprintf("fault %q: %v", sel, err))
			return
		}
		if strings.TrimSpace(sel) == "" {
			writeError(w, http.StatusBadRequest, "fault selector is empty")
			return
		}
	}
	s.faults.reset(rules)
	writeJSON(w, http.StatusOK, s.Faults())
}
