package wugsim

import (
	"sort"
	"sync"
	"time"
)

// RouteUnmatched is the route name of requests that matched no API route (404 or 405).
const RouteUnmatched = "unmatched"

// Request is one API request as the server saw it.
type Request struct {
	Time     time.Time     `json:"time"`
	Method   string        `json:"method"`
	Path     string        `json:"path"`
	Query    string        `json:"query,omitempty"`
	Route    string        `json:"route"` // e.g. "GET /api/v1/devices/{deviceId}"
	Status   int           `json:"status"`
	Duration time.Duration `json:"duration"`
	Fault    string        `json:"fault,omitempty"` // the injected fault, if any
}

// SecondCount is how many requests arrived in one wall-clock second.
type SecondCount struct {
	Second time.Time `json:"second"`
	Count  int       `json:"count"`
}

// RouteStats sums the requests of one route.
type RouteStats struct {
	Total    int         `json:"total"`
	ByStatus map[int]int `json:"byStatus"`
	// PeakPerSecond is the largest count in any one second.
	PeakPerSecond int `json:"peakPerSecond"`
}

// recorder keeps the request log (a ring of the latest entries) and counters.
type recorder struct {
	mu        sync.Mutex
	max       int
	log       []Request
	next      int // ring position once the log is full
	total     map[string]int
	byStatus  map[string]map[int]int
	perSecond map[string]map[int64]int
}

func newRecorder(max int) *recorder {
	r := &recorder{max: max}
	r.reset()
	return r
}

func (r *recorder) reset() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.log = nil
	r.next = 0
	r.total = map[string]int{}
	r.byStatus = map[string]map[int]int{}
	r.perSecond = map[string]map[int64]int{}
}

// arrive counts a request as it comes in.
func (r *recorder) arrive(route string, at time.Time) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.total[route]++
	if r.perSecond[route] == nil {
		r.perSecond[route] = map[int64]int{}
	}
	r.perSecond[route][at.Unix()]++
}

// finish logs a request once it has been answered.
func (r *recorder) finish(e Request) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.log) < r.max {
		r.log = append(r.log, e)
	} else {
		r.log[r.next] = e
		r.next = (r.next + 1) % r.max
	}
	if r.byStatus[e.Route] == nil {
		r.byStatus[e.Route] = map[int]int{}
	}
	r.byStatus[e.Route][e.Status]++
}

// RequestLog returns the answered requests, oldest first (at most Options.MaxLogEntries). A
// request appears once its answer is done; CountRequests counts it on arrival.
func (s *Server) RequestLog() []Request {
	r := s.stats
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]Request, 0, len(r.log))
	out = append(out, r.log[r.next:]...)
	return append(out, r.log[:r.next]...)
}

// CountRequests returns how many requests a route received (counted on arrival), by route name
// ("PATCH /api/v1/devices/-/config/template") or "*" for all routes.
func (s *Server) CountRequests(route string) int {
	r := s.stats
	r.mu.Lock()
	defer r.mu.Unlock()
	if route == "*" {
		n := 0
		for _, c := range r.total {
			n += c
		}
		return n
	}
	return r.total[route]
}

// Stats returns the counters of every route that received a request.
func (s *Server) Stats() map[string]RouteStats {
	r := s.stats
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make(map[string]RouteStats, len(r.total))
	for route, total := range r.total {
		rs := RouteStats{Total: total, ByStatus: map[int]int{}}
		for code, n := range r.byStatus[route] {
			rs.ByStatus[code] = n
		}
		for _, n := range r.perSecond[route] {
			rs.PeakPerSecond = max(rs.PeakPerSecond, n)
		}
		out[route] = rs
	}
	return out
}

// PerSecondCounts returns, per route, the number of requests in each second that saw any,
// in time order. The key "*" sums every route; use it to check a server-wide rate limit.
func (s *Server) PerSecondCounts() map[string][]SecondCount {
	r := s.stats
	r.mu.Lock()
	defer r.mu.Unlock()
	all := map[int64]int{}
	out := make(map[string][]SecondCount, len(r.perSecond)+1)
	for route, secs := range r.perSecond {
		out[route] = sortedSeconds(secs)
		for sec, n := range secs {
			all[sec] += n
		}
	}
	if len(all) > 0 {
		out["*"] = sortedSeconds(all)
	}
	return out
}

func sortedSeconds(secs map[int64]int) []SecondCount {
	out := make([]SecondCount, 0, len(secs))
	for sec, n := range secs {
		out = append(out, SecondCount{Second: time.Unix(sec, 0).UTC(), Count: n})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Second.Before(out[j].Second) })
	return out
}
