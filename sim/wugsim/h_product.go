package wugsim

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
)

// handleProductVersion is GET /product/version: {"data":{"values":[{name,value}…]}}.
func (s *Server) handleProductVersion(w http.ResponseWriter, _ *http.Request, _ map[string]string) {
	writeData(w, map[string]any{"values": []map[string]string{
		{"name": "Product", "value": "WhatsUp Gold (simulated)"},
		{"name": "Version", "value": s.opts.Version},
	}})
}

func (s *Server) handleProductAPI(w http.ResponseWriter, _ *http.Request, _ map[string]string) {
	writeData(w, map[string]any{"values": []map[string]string{{"name": "API Version", "value": "v1"}}})
}

func (s *Server) handleWhoAmI(w http.ResponseWriter, r *http.Request, _ map[string]string) {
	_, tok, _ := strings.Cut(r.Header.Get("Authorization"), " ")
	s.mu.Lock()
	user := s.st.access[strings.TrimSpace(tok)].user
	s.mu.Unlock()
	writeData(w, user)
}

func (s *Server) handleTimezone(w http.ResponseWriter, _ *http.Request, _ map[string]string) {
	writeData(w, "UTC;0;(UTC) Coordinated Universal Time;Coordinated Universal Time;Coordinated Universal Time;;")
}

func (s *Server) handleInstallationID(w http.ResponseWriter, _ *http.Request, _ map[string]string) {
	writeData(w, "00000000-0000-0000-0000-00000000517e")
}

// handleTestError is GET /errors/{errorType}, the spec's "utility method to test how errors
// are handled": a numeric type answers with that status in the documented error format.
func (s *Server) handleTestError(w http.ResponseWriter, _ *http.Request, params map[string]string) {
	code, err := strconv.Atoi(params["errorType"])
	if err != nil || code < 400 || code > 599 {
		writeError(w, http.StatusBadRequest, fmt.Sprintf("error type %q is not an HTTP error status.", params["errorType"]))
		return
	}
	writeError(w, code, fmt.Sprintf("Test error %d.", code))
}
