package netboxsim

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
)

// maxRecorded bounds the request log so a long benchmark does not grow it
// without limit.
const maxRecorded = 10000

// RequestRecord is one request the simulator received, for tests that
// assert what a client sent. The Authorization value is reduced to its
// scheme so tokens never end up in test output.
type RequestRecord struct {
	Method string
	Path   string
	// Route is Path with ids replaced by {id}, e.g. "/api/dcim/devices/{id}/".
	Route      string
	Query      url.Values
	AuthScheme string
}

type requestStats struct {
	mu      sync.Mutex
	counts  map[string]int
	records []RequestRecord
}

func newRequestStats() *requestStats {
	return &requestStats{counts: map[string]int{}}
}

func (rs *requestStats) record(r *http.Request) {
	rec := RequestRecord{
		Method: r.Method,
		Path:   r.URL.Path,
		Route:  routeOf(r.URL.Path),
		Query:  r.URL.Query(),
	}
	if scheme, _, ok := strings.Cut(r.Header.Get("Authorization"), " "); ok {
		rec.AuthScheme = scheme
	}
	rs.mu.Lock()
	defer rs.mu.Unlock()
	rs.counts[rec.Method+" "+rec.Route]++
	if len(rs.records) >= maxRecorded {
		rs.records = append(rs.records[:0], rs.records[len(rs.records)/2:]...)
	}
	rs.records = append(rs.records, rec)
}

// routeOf replaces numeric path segments with {id}.
func routeOf(path string) string {
	parts := strings.Split(path, "/")
	for i, p := range parts {
		if _, err := strconv.Atoi(p); err == nil && p != "" {
			parts[i] = "{id}"
		}
	}
	return strings.Join(parts, "/")
}

// RequestCount is how many requests arrived for method and route, e.g.
// RequestCount("GET", "/api/dcim/devices/").
func (s *Server) RequestCount(method, route string) int {
	s.stats.mu.Lock()
	defer s.stats.mu.Unlock()
	return s.stats.counts[method+" "+route]
}

// RequestCounts returns all counts keyed "METHOD /route/".
func (s *Server) RequestCounts() map[string]int {
	s.stats.mu.Lock()
	defer s.stats.mu.Unlock()
	out := make(map[string]int, len(s.stats.counts))
	for k, v := range s.stats.counts {
		out[k] = v
	}
	return out
}

// Requests returns the most recent requests (up to 10,000), oldest first.
func (s *Server) Requests() []RequestRecord {
	s.stats.mu.Lock()
	defer s.stats.mu.Unlock()
	return append([]RequestRecord(nil), s.stats.records...)
}

// ResetRequests clears the counts and the request log.
func (s *Server) ResetRequests() {
	s.stats.mu.Lock()
	defer s.stats.mu.Unlock()
	s.stats.counts = map[string]int{}
	s.stats.records = nil
}

// SetFaults replaces the injected faults; with no rules, none are injected.
func (s *Server) SetFaults(rules ...FaultRule) error {
	for i, f := range rules {
		if err := f.validate(); err != nil {
			return fmt.Errorf("netboxsim: fault %d: %w", i, err)
		}
	}
	s.faults.set(rules)
	return nil
}

// FaultsFired is how many requests a fault rule has answered so far.
func (s *Server) FaultsFired() int { return s.faults.firedCount() }
