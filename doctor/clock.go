package doctor

import (
	"fmt"
	"net/http"
	"sync"
	"time"
)

// DefaultMaxSkew is how far another clock may be from this machine's before
// doctor flags it. Tokens, webhook timestamps, TTLs in Redis and the
// scheduler's slots all assume clocks within seconds of each other; 30 s
// leaves room for the 1 s resolution of HTTP Date headers.
const DefaultMaxSkew = 30 * time.Second

// clockSample is another server's time, read while this machine's clock
// went from sent to received.
type clockSample struct {
	remote         time.Time
	sent, received time.Time
}

// skew is how far the remote clock is ahead of ours (negative: behind),
// taking the middle of the exchange as the moment the remote read its clock.
func (s clockSample) skew() time.Duration {
	mid := s.sent.Add(s.received.Sub(s.sent) / 2)
	return s.remote.Sub(mid)
}

// dateRecorder is an http.RoundTripper that keeps the first Date header of
// a server's answers, with our clock around it, for the clock check.
type dateRecorder struct {
	next http.RoundTripper
	now  func() time.Time

	mu     sync.Mutex
	sample *clockSample
}

// RoundTrip sends req and records the answer's Date.
func (d *dateRecorder) RoundTrip(req *http.Request) (*http.Response, error) {
	sent := d.now()
	resp, err := d.next.RoundTrip(req)
	if err != nil {
		return resp, err
	}
	received := d.now()
	if date, perr := http.ParseTime(resp.Header.Get("Date")); perr == nil {
		d.mu.Lock()
		if d.sample == nil {
			d.sample = &clockSample{remote: date, sent: sent, received: received}
		}
		d.mu.Unlock()
	}
	return resp, err
}

func (d *dateRecorder) first() (clockSample, bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.sample == nil {
		return clockSample{}, false
	}
	return *d.sample, true
}

// clockCheck adds the check of one clock: name says whose, fix how to put it
// right.
func clockCheck(s section, name string, sample clockSample, maxSkew time.Duration) {
	skew := sample.skew()
	// An HTTP Date has whole seconds: a remote clock in step looks up to a
	// second behind.
	detail := describeSkew(skew)
	if skew > maxSkew || skew < -maxSkew {
		s.fail(name, detail+fmt.Sprintf(" (more than %s)", maxSkew),
			"synchronise the clocks with NTP (chrony, systemd-timesyncd) on this machine and on "+name)
		return
	}
	s.pass(name, detail)
}

func describeSkew(skew time.Duration) string {
	abs := skew
	if abs < 0 {
		abs = -abs
	}
	amount := abs.Round(100 * time.Millisecond).String()
	switch {
	case abs < time.Second:
		return "in step with this machine (" + amount + " apart)"
	case skew > 0:
		return amount + " ahead of this machine"
	default:
		return amount + " behind this machine"
	}
}
