package wugsim

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Fault describes misbehaviour injected on matching routes. Shares are fractions in [0, 1]
// applied by counting, not by chance: with ErrorRate 0.25 every fourth matching request gets
// a 500, so tests see the same sequence on every run. When several shares fall due on the
// same request, the first in this order takes it and the others take the next requests:
// ExpireToken, Timeout, RateLimit, Unavailable, Error, Malformed, LostAnswer.
type Fault struct {
	// ErrorRate is the share of requests answered 500.
	ErrorRate float64 `json:"errorRate,omitempty"`
	// RateLimitRate is the share answered 429 with Retry-After.
	RateLimitRate float64 `json:"rateLimitRate,omitempty"`
	// UnavailableRate is the share answered 503 with Retry-After.
	UnavailableRate float64 `json:"unavailableRate,omitempty"`
	// RetryAfter is sent with 429 and 503, rounded up to whole seconds; zero sends no header.
	RetryAfter time.Duration `json:"-"`
	// MalformedRate is the share answered 200 with a truncated JSON body.
	MalformedRate float64 `json:"malformedRate,omitempty"`
	// LostAnswerRate is the share handled in full (a template call creates its devices)
	// whose answer is then lost: the connection closes before any byte of it is sent, as
	// when a proxy or the network drops a slow answer.
	LostAnswerRate float64 `json:"lostAnswerRate,omitempty"`
	// TimeoutRate is the share held without an answer until the client gives up (or
	// Options.MaxHold passes, then 504).
	TimeoutRate float64 `json:"timeoutRate,omitempty"`
	// ExpireTokenRate is the share for which every access token expires just before the
	// request is authorised, so it gets a 401.
	ExpireTokenRate float64 `json:"expireTokenRate,omitempty"`
	// Latency is added before every matching request is handled.
	Latency time.Duration `json:"-"`
	// Count stops the rule after this many injected faults (latency aside); zero means never.
	Count int `json:"count,omitempty"`
}

// MarshalJSON writes durations as strings such as "1.5s".
func (f Fault) MarshalJSON() ([]byte, error) {
	type plain Fault
	out := struct {
		plain
		RetryAfter string `json:"retryAfter,omitempty"`
		Latency    string `json:"latency,omitempty"`
	}{plain: plain(f)}
	if f.RetryAfter > 0 {
		out.RetryAfter = f.RetryAfter.String()
	}
	if f.Latency > 0 {
		out.Latency = f.Latency.String()
	}
	return json.Marshal(out)
}

// UnmarshalJSON reads durations as strings ("250ms") or as numbers of seconds.
func (f *Fault) UnmarshalJSON(b []byte) error {
	type plain Fault
	var in struct {
		plain
		RetryAfter json.RawMessage `json:"retryAfter"`
		Latency    json.RawMessage `json:"latency"`
	}
	if err := json.Unmarshal(b, &in); err != nil {
		return err
	}
	*f = Fault(in.plain)
	var err error
	if f.RetryAfter, err = parseDuration(in.RetryAfter); err != nil {
		return fmt.Errorf("retryAfter: %w", err)
	}
	if f.Latency, err = parseDuration(in.Latency); err != nil {
		return fmt.Errorf("latency: %w", err)
	}
	return nil
}

func parseDuration(raw json.RawMessage) (time.Duration, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return 0, nil
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return time.ParseDuration(s)
	}
	var secs float64
	if err := json.Unmarshal(raw, &secs); err != nil {
		return 0, errors.New("want a duration such as \"250ms\" or a number of seconds")
	}
	return time.Duration(secs * float64(time.Second)), nil
}

func (f Fault) validate() error {
	for name, rate := range map[string]float64{
		"errorRate": f.ErrorRate, "rateLimitRate": f.RateLimitRate, "unavailableRate": f.UnavailableRate,
		"malformedRate": f.MalformedRate, "timeoutRate": f.TimeoutRate, "expireTokenRate": f.ExpireTokenRate,
		"lostAnswerRate": f.LostAnswerRate,
	} {
		if rate < 0 || rate > 1 || math.IsNaN(rate) {
			return fmt.Errorf("%s must be between 0 and 1, got %v", name, rate)
		}
	}
	if f.RetryAfter < 0 || f.Latency < 0 || f.Count < 0 {
		return errors.New("retryAfter, latency and count must not be negative")
	}
	return nil
}

// Fault kinds as they appear in Request.Fault.
const (
	FaultExpireToken = "expire_token"
	FaultTimeout     = "timeout"
	FaultRateLimit   = "rate_limit"
	FaultUnavailable = "unavailable"
	FaultError       = "error"
	FaultMalformed   = "malformed"
	FaultLostAnswer  = "lost_answer"
)

type faultRule struct {
	selector string
	fault    Fault
	seen     int
	fired    int
	owed     map[string]int // faults due but not yet given, by kind
}

// fires reports whether the n-th request (1-based) gets a fault of the given share: exactly
// floor(n*rate) of the first n requests do, spread evenly.
func fires(n int, rate float64) bool {
	if rate <= 0 {
		return false
	}
	return math.Floor(float64(n)*rate+1e-9) > math.Floor(float64(n-1)*rate+1e-9)
}

type faultSet struct {
	mu    sync.Mutex
	rules map[string]*faultRule
}

func newFaultSet() *faultSet { return &faultSet{rules: map[string]*faultRule{}} }

func (fs *faultSet) set(selector string, f Fault) error {
	selector = strings.TrimSpace(selector)
	if selector == "" {
		return errors.New("route selector is empty")
	}
	if err := f.validate(); err != nil {
		return err
	}
	fs.mu.Lock()
	defer fs.mu.Unlock()
	if f == (Fault{}) {
		delete(fs.rules, selector)
		return nil
	}
	fs.rules[selector] = &faultRule{selector: selector, fault: f}
	return nil
}

func (fs *faultSet) reset(initial map[string]Fault) {
	fs.mu.Lock()
	fs.rules = map[string]*faultRule{}
	fs.mu.Unlock()
	for sel, f := range initial {
		_ = fs.set(sel, f) // validated by NewServer
	}
}

func (fs *faultSet) snapshot() map[string]Fault {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	out := make(map[string]Fault, len(fs.rules))
	for sel, r := range fs.rules {
		out[sel] = r.fault
	}
	return out
}

// selectorScore says how well selector matches a route: exact name 4, path only 3, prefix
// 2 (+ length), "*" 1, no match 0.
func selectorScore(selector string, rt *route) int {
	name := rt.Name()
	switch {
	case strings.EqualFold(selector, name):
		return 1 << 20
	case strings.EqualFold(selector, rt.pattern):
		return 1 << 19
	case selector == "*":
		return 1
	case strings.HasSuffix(selector, "*"):
		prefix := strings.ToLower(strings.TrimSuffix(selector, "*"))
		if strings.HasPrefix(strings.ToLower(name), prefix) || strings.HasPrefix(strings.ToLower(rt.pattern), prefix) {
			return 2 + len(prefix)
		}
	}
	return 0
}

// decide picks the rule for rt (the most specific selector) and what it does to this request.
func (fs *faultSet) decide(rt *route) (Fault, string) {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	var best *faultRule
	bestScore := 0
	sels := make([]string, 0, len(fs.rules))
	for sel := range fs.rules {
		sels = append(sels, sel)
	}
	sort.Strings(sels) // equal scores resolve the same way every time
	for _, sel := range sels {
		if score := selectorScore(sel, rt); score > bestScore {
			best, bestScore = fs.rules[sel], score
		}
	}
	if best == nil {
		return Fault{}, ""
	}
	f := best.fault
	if f.Count > 0 && best.fired >= f.Count {
		return Fault{Latency: f.Latency}, ""
	}
	best.seen++
	n := best.seen
	// Each kind owes its share of the requests seen so far; a request
	// goes to the first kind in order that owes one. Two kinds due on the
	// same request (10% 429 and 10% lost answers, say) take consecutive
	// requests instead of one hiding the other, so every share is exact.
	kinds := []struct {
		name string
		rate float64
	}{
		{FaultExpireToken, f.ExpireTokenRate}, {FaultTimeout, f.TimeoutRate}, {FaultRateLimit, f.RateLimitRate},
		{FaultUnavailable, f.UnavailableRate}, {FaultError, f.ErrorRate}, {FaultMalformed, f.MalformedRate},
		{FaultLostAnswer, f.LostAnswerRate},
	}
	if best.owed == nil {
		best.owed = map[string]int{}
	}
	kind := ""
	for _, k := range kinds {
		if fires(n, k.rate) {
			best.owed[k.name]++
		}
	}
	for _, k := range kinds {
		if best.owed[k.name] > 0 {
			best.owed[k.name]--
			kind = k.name
			break
		}
	}
	if kind != "" {
		best.fired++
	}
	return f, kind
}

// injectFault applies the fault rules to one request. It returns the kind of fault that
// answered the request, or "" when the request should be handled normally (a token expiry
// fault also returns "" after expiring the tokens, so that authorisation answers 401). A
// lost answer is returned unanswered: the caller handles the request, then drops the answer.
func (s *Server) injectFault(w http.ResponseWriter, r *http.Request, rt *route) string {
	f, kind := s.faults.decide(rt)
	if f.Latency > 0 && !s.hold(r, f.Latency) {
		return "client_gone"
	}
	switch kind {
	case FaultExpireToken:
		s.ExpireTokens()
		return ""
	case FaultLostAnswer:
		return kind
	case FaultTimeout:
		switch {
		case s.hold(r, s.maxHold):
			writeError(w, http.StatusGatewayTimeout, "The request timed out.")
		case r.Context().Err() == nil: // released by Close
			writeError(w, http.StatusServiceUnavailable, "The server is shutting down.")
		}
	case FaultRateLimit:
		setRetryAfter(w, f.RetryAfter)
		writeError(w, http.StatusTooManyRequests, "Too many requests.")
	case FaultUnavailable:
		setRetryAfter(w, f.RetryAfter)
		writeError(w, http.StatusServiceUnavailable, "The service is temporarily unavailable.")
	case FaultError:
		writeError(w, http.StatusInternalServerError, "An error has occurred.")
	case FaultMalformed:
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write([]byte(`{"paging":{"size":1},"data":{"devi`))
	}
	return kind
}

func setRetryAfter(w http.ResponseWriter, d time.Duration) {
	if d > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(d.Seconds()))))
	}
}

// hold waits for d, returning false when the client went away or the server closed first.
func (s *Server) hold(r *http.Request, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-r.Context().Done():
		return false
	case <-s.closed:
		return false
	}
}
