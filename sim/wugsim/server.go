package wugsim

import (
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"
)

// Defaults for Options fields left zero.
const (
	DefaultUsername      = "admin"
	DefaultPassword      = "admin"
	DefaultTokenLifetime = 86399 * time.Second // what real servers report
	DefaultPageLimit     = 250
	DefaultScanPolls     = 3
	DefaultVersion       = "2026.0.0"
	DefaultMaxLogEntries = 100_000
	DefaultMaxHold       = time.Minute
	// DiscoveredDevicesGroup is where WUG puts devices created without a group.
	DiscoveredDevicesGroup = "Discovered Devices"
	// RootGroupName is group 0.
	RootGroupName = "My Network"
)

// Options configure a Server. The zero value is a WUG with user admin/admin, "My Network"
// and "Discovered Devices", no devices and no faults.
type Options struct {
	// Users maps user names to passwords; nil means DefaultUsername/DefaultPassword.
	Users map[string]string
	// TokenLifetime is the access token lifetime (expires_in); zero means DefaultTokenLifetime.
	TokenLifetime time.Duration
	// PageLimit caps the page size whatever limit a client asks for; zero means DefaultPageLimit.
	PageLimit int
	// ScanPolls is how many status reads a discovery scan takes to complete; zero means
	// DefaultScanPolls. CompleteScans finishes every scan at once.
	ScanPolls int
	// Groups are created at start, as slash-separated paths below "My Network"
	// (e.g. "DATA_CENTERS/CH_DC"); a leading "My Network/" is accepted.
	Groups []string
	// Devices are present at start, as if added by hand (see AddDevice).
	Devices []Device
	// OmitDiscoveredDevices leaves out the "Discovered Devices" group, so that devices
	// created without a group land in "My Network".
	OmitDiscoveredDevices bool
	// StrictGroups makes a template whose group does not exist fail. By default the device is
	// created in the default group and the template gets a warning, as WUG does for other
	// parts of a template it can only partially apply.
	StrictGroups bool
	// Monitors are the active monitor names templates may use; nil means a stock list
	// (Ping, HTTP, HTTPS, SNMP, SSH, TCP/IP, DNS, SMTP).
	Monitors []string
	// Unreachable lists addresses where discovery scans find nothing.
	Unreachable []string
	// RejectTemplates lists addresses whose templates fail as a whole (as a
	// license limit or a server-side validation rule would make them), so
	// callers' fallbacks can be exercised.
	RejectTemplates []string
	// Faults are fault rules by route selector (see SetFaults).
	Faults map[string]Fault
	// Version is the product version reported by /product/version.
	Version string
	// MaxLogEntries bounds the request log (oldest entries go first); zero means
	// DefaultMaxLogEntries.
	MaxLogEntries int
	// MaxHold bounds how long a Timeout fault holds a request; zero means DefaultMaxHold.
	MaxHold time.Duration
	// Now is the clock for token expiry, maintenance end times and request timestamps;
	// nil means time.Now.
	Now func() time.Time
}

// Server is a simulated WhatsUp Gold server. It is an http.Handler; serve it with
// httptest.NewServer or http.Server. All methods are safe for concurrent use.
type Server struct {
	opts      Options
	users     map[string]string
	pageLimit int
	scanPolls int
	lifetime  time.Duration
	maxHold   time.Duration
	monitors  map[string]bool
	now       func() time.Time
	router    *router

	closeOnce sync.Once
	closed    chan struct{}

	mu sync.Mutex // guards st
	st *state

	faults *faultSet
	stats  *recorder
}

// New returns a server configured by opts. It panics only on a programming error in opts
// (a seed group or device that cannot be created, an invalid fault), reported in the message.
func New(opts Options) *Server {
	s, err := NewServer(opts)
	if err != nil {
		panic(err)
	}
	return s
}

// NewServer is New returning configuration errors instead of panicking, for options that
// come from user input (the standalone command).
func NewServer(opts Options) (*Server, error) {
	s := &Server{
		opts:      opts,
		users:     opts.Users,
		pageLimit: opts.PageLimit,
		scanPolls: opts.ScanPolls,
		lifetime:  opts.TokenLifetime,
		maxHold:   opts.MaxHold,
		now:       opts.Now,
		closed:    make(chan struct{}),
	}
	if s.users == nil {
		s.users = map[string]string{DefaultUsername: DefaultPassword}
	}
	if s.pageLimit <= 0 {
		s.pageLimit = DefaultPageLimit
	}
	if s.scanPolls <= 0 {
		s.scanPolls = DefaultScanPolls
	}
	if s.lifetime <= 0 {
		s.lifetime = DefaultTokenLifetime
	}
	if s.maxHold <= 0 {
		s.maxHold = DefaultMaxHold
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.opts.Version == "" {
		s.opts.Version = DefaultVersion
	}
	monitors := opts.Monitors
	if monitors == nil {
		monitors = []string{"Ping", "HTTP", "HTTPS", "SNMP", "SSH", "TCP/IP", "DNS", "SMTP"}
	}
	s.monitors = map[string]bool{}
	for _, m := range monitors {
		s.monitors[strings.ToLower(m)] = true
	}
	maxLog := opts.MaxLogEntries
	if maxLog <= 0 {
		maxLog = DefaultMaxLogEntries
	}
	s.stats = newRecorder(maxLog)
	s.faults = newFaultSet()
	for sel, f := range opts.Faults {
		if err := s.faults.set(sel, f); err != nil {
			return nil, fmt.Errorf("wugsim: fault %q: %w", sel, err)
		}
	}
	s.router = s.routes()
	st, err := s.initialState()
	if err != nil {
		return nil, err
	}
	s.st = st
	return s, nil
}

// initialState builds the state described by the options.
func (s *Server) initialState() (*state, error) {
	st := newState()
	if !s.opts.OmitDiscoveredDevices {
		st.addGroup(rootGroupID, DiscoveredDevicesGroup, "Devices added without a group", groupStatic)
	}
	for _, path := range s.opts.Groups {
		if _, err := st.ensureGroupPath(path); err != nil {
			return nil, fmt.Errorf("wugsim: seed group %q: %w", path, err)
		}
	}
	for i, d := range s.opts.Devices {
		if _, err := st.addSeedDevice(d, s.now()); err != nil {
			return nil, fmt.Errorf("wugsim: seed device %d (%q): %w", i, d.Name, err)
		}
	}
	return st, nil
}

// Close releases requests held by Timeout faults or latency. The server keeps answering
// afterwards, without holding.
func (s *Server) Close() { s.closeOnce.Do(func() { close(s.closed) }) }

// ServeHTTP routes a request: admin routes under /_sim/, then the API with request logging,
// fault injection and bearer authentication.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path == "/_sim" || strings.HasPrefix(r.URL.Path, "/_sim/") {
		s.serveAdmin(w, r)
		return
	}
	start := s.now()
	rt, params, allowed := s.router.match(r.Method, r.URL.Path)
	entry := Request{Time: start, Method: r.Method, Path: r.URL.Path, Query: r.URL.RawQuery, Route: RouteUnmatched}
	if rt != nil {
		entry.Route = rt.Name()
	}
	// Counted on arrival, so that a request held by a fault is visible at once; logged with
	// its status when the answer is done.
	s.stats.arrive(entry.Route, start)
	rec := &statusRecorder{ResponseWriter: w}
	defer func() {
		entry.Status = rec.status()
		entry.Duration = s.now().Sub(start)
		s.stats.finish(entry)
	}()

	if rt == nil {
		if allowed != nil {
			rec.Header().Set("Allow", strings.Join(allowed, ", "))
			writeError(rec, http.StatusMethodNotAllowed, fmt.Sprintf("The requested resource does not support http method '%s'.", r.Method))
			return
		}
		writeError(rec, http.StatusNotFound, fmt.Sprintf("No HTTP resource was found that matches the request URI '%s'.", r.URL.Path))
		return
	}
	fault := s.injectFault(rec, r, rt)
	if fault != "" && fault != FaultLostAnswer {
		entry.Fault = fault
		return
	}
	if fault == FaultLostAnswer {
		// Handled in full, answered to nobody: the connection closes before the answer.
		entry.Fault = fault
		lost := &statusRecorder{ResponseWriter: discardWriter{header: http.Header{}}}
		if rt.public || s.authorize(lost, r) {
			rt.handle(lost, r, params)
		}
		rec.code = lost.status()
		panic(http.ErrAbortHandler)
	}
	if !rt.public && !s.authorize(rec, r) {
		return
	}
	rt.handle(rec, r, params)
}

// discardWriter takes an answer that is to be lost.
type discardWriter struct{ header http.Header }

func (d discardWriter) Header() http.Header         { return d.header }
func (d discardWriter) Write(b []byte) (int, error) { return len(b), nil }
func (d discardWriter) WriteHeader(int)             {}

// statusRecorder remembers the status a handler wrote.
type statusRecorder struct {
	http.ResponseWriter
	code int
}

func (r *statusRecorder) WriteHeader(code int) {
	if r.code == 0 {
		r.code = code
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *statusRecorder) Write(b []byte) (int, error) {
	if r.code == 0 {
		r.code = http.StatusOK
	}
	return r.ResponseWriter.Write(b)
}

func (r *statusRecorder) status() int {
	if r.code == 0 {
		return http.StatusOK
	}
	return r.code
}

// Flush lets held or streamed answers reach the client.
func (r *statusRecorder) Flush() {
	if f, ok := r.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}
