package netboxsim

import (
	"fmt"
	"math/rand/v2"
	"net/http"
	"strings"
	"sync"
	"time"
)

// FaultRule injects failures into matching requests, so client retry,
// backoff and timeout paths can be tested against real HTTP. A request
// matches when its path starts with PathPrefix and its method is in Methods
// (empty matches all). Of the matching requests, the rule fires for the
// first FirstN, then for every Every-th, then with Probability; leaving all
// three zero fires on every matching request.
type FaultRule struct {
	PathPrefix string
	Methods    []string

	FirstN      int
	Every       int
	Probability float64

	// Status is the HTTP status to answer (500, 502, 503, 429…). 0 with
	// Hang or Delay alone lets the request through after the delay.
	Status int
	// RetryAfter is sent as the Retry-After header, e.g. "1".
	RetryAfter string
	// Delay is added latency before answering.
	Delay time.Duration
	// Hang holds the request until the client gives up (its context ends)
	// or the server closes: a timeout without a timer in the test.
	Hang bool
}

func (f FaultRule) validate() error {
	switch {
	case f.Status != 0 && (f.Status < 400 || f.Status > 599):
		return fmt.Errorf("status %d: want 4xx or 5xx", f.Status)
	case f.FirstN < 0 || f.Every < 0:
		return fmt.Errorf("FirstN and Every must not be negative")
	case f.Probability < 0 || f.Probability > 1:
		return fmt.Errorf("probability %v: want 0..1", f.Probability)
	case f.Delay < 0:
		return fmt.Errorf("delay must not be negative")
	case f.Status == 0 && !f.Hang && f.Delay == 0:
		return fmt.Errorf("rule does nothing: set Status, Delay or Hang")
	}
	return nil
}

// faultState tracks how many requests each rule has matched.
type faultState struct {
	mu      sync.Mutex
	rules   []FaultRule
	matched []int
	fired   int
	rng     *rand.Rand
}

func newFaultState(seed int64, rules []FaultRule) *faultState {
	f := &faultState{rng: rand.New(rand.NewPCG(uint64(seed), 0x6e6574626f78))}
	f.set(rules)
	return f
}

func (f *faultState) set(rules []FaultRule) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.rules = append([]FaultRule(nil), rules...)
	f.matched = make([]int, len(rules))
}

// pick returns the rule that fires for this request, if any.
func (f *faultState) pick(r *http.Request) (FaultRule, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for i, rule := range f.rules {
		if !strings.HasPrefix(r.URL.Path, rule.PathPrefix) {
			continue
		}
		if len(rule.Methods) > 0 && !containsFold(rule.Methods, r.Method) {
			continue
		}
		f.matched[i]++
		n := f.matched[i]
		fire := false
		switch {
		case rule.FirstN == 0 && rule.Every == 0 && rule.Probability == 0:
			fire = true
		case rule.FirstN > 0 && n <= rule.FirstN:
			fire = true
		case rule.Every > 0 && n%rule.Every == 0:
			fire = true
		case rule.Probability > 0 && f.rng.Float64() < rule.Probability:
			fire = true
		}
		if fire {
			f.fired++
			return rule, true
		}
	}
	return FaultRule{}, false
}

func (f *faultState) firedCount() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.fired
}

// apply carries out a fired rule. It reports whether it answered the
// request; false means the request continues to the real handler.
func (s *Server) applyFault(w http.ResponseWriter, r *http.Request, rule FaultRule) bool {
	if rule.Delay > 0 {
		t := time.NewTimer(rule.Delay)
		select {
		case <-t.C:
		case <-r.Context().Done():
			t.Stop()
			return true
		case <-s.closing:
			t.Stop()
			return true
		}
	}
	if rule.Hang {
		select {
		case <-r.Context().Done():
		case <-s.closing:
		}
		return true
	}
	if rule.Status == 0 {
		return false
	}
	if rule.RetryAfter != "" {
		w.Header().Set("Retry-After", rule.RetryAfter)
	}
	switch {
	case rule.Status == http.StatusInternalServerError:
		// NetBox's handle_rest_api_exception shape.
		writeJSON(w, rule.Status, obj{
			{"error", "simulated failure"},
			{"exception", "OperationalError"},
			{"netbox_version", s.profile.full},
			{"python_version", "3.12.3"},
		})
	case rule.Status >= 500 || rule.Status == http.StatusTooManyRequests:
		// Proxies answer these with HTML, not JSON.
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(rule.Status)
		fmt.Fprintf(w, "<html><body><h1>%d %s</h1></body></html>\n", rule.Status, http.StatusText(rule.Status))
	default:
		writeJSON(w, rule.Status, obj{{"detail", http.StatusText(rule.Status)}})
	}
	return true
}

func containsFold(list []string, s string) bool {
	for _, v := range list {
		if strings.EqualFold(v, s) {
			return true
		}
	}
	return false
}
