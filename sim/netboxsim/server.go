package netboxsim

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"
)

// Server is the simulated NetBox: an http.Handler plus a Go API to inspect
// and mutate its inventory. It is safe for concurrent use.
type Server struct {
	opts    Options
	profile profile

	mu sync.RWMutex
	st *store

	clockMu sync.Mutex
	lastNow time.Time

	tokens  map[string]tokenInfo
	faults  *faultState
	stats   *requestStats
	hooks   *webhookQueue
	closing chan struct{}
	closed  sync.Once
}

// New builds a Server from opts. Invalid options (an unknown version, a
// token with spaces, a negative count) are reported, never panicked on.
func New(opts Options) (*Server, error) {
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	if opts.Version == "" {
		opts.Version = Version44
	}
	if opts.Username == "" {
		opts.Username = DefaultUsername
	}
	if opts.PaginateCount == 0 {
		opts.PaginateCount = 50
	}
	if opts.MaxPageSize == 0 {
		opts.MaxPageSize = 1000
	}
	if len(opts.WebhookObjectTypes) == 0 {
		opts.WebhookObjectTypes = []string{"dcim.device", "ipam.ipaddress", "virtualization.virtualmachine"}
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	inv := opts.Inventory
	if inv == nil {
		generated := GenerateInventory(opts.Seed, opts.Devices)
		inv = &generated
	}
	s := &Server{
		opts:    opts,
		profile: profileFor(opts.Version),
		st:      newStore(*inv),
		faults:  newFaultState(opts.FaultSeed, opts.Faults),
		stats:   newRequestStats(),
		closing: make(chan struct{}),
	}
	s.st.dropUnknownCF = s.profile.dropUnknownCustomFields
	s.tokens = buildTokens(opts, s.profile)
	s.hooks = newWebhookQueue(s, opts)
	return s, nil
}

// Close stops webhook delivery (pending deliveries are dropped; call Flush
// first to send them) and releases requests held by Hang faults.
func (s *Server) Close() {
	s.closed.Do(func() {
		close(s.closing)
		s.hooks.close()
	})
}

// Version is the profile in use, e.g. "4.4".
func (s *Server) Version() string { return s.profile.version }

// now is the simulator's clock: microsecond precision (as PostgreSQL keeps
// it) and strictly increasing, so last_updated__gte polls are exact.
func (s *Server) now() time.Time {
	s.clockMu.Lock()
	defer s.clockMu.Unlock()
	t := s.opts.Now().UTC().Truncate(time.Microsecond)
	if !t.After(s.lastNow) {
		t = s.lastNow.Add(time.Microsecond)
	}
	s.lastNow = t
	return t
}

// ServeHTTP answers like NetBox's API: headers first, then faults, the
// trailing-slash redirect, content negotiation, authentication and routing.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	requestID := uuid.NewString()
	h := w.Header()
	h.Set("X-Request-ID", requestID)
	h.Set("Vary", "HX-Request")
	// Date on the simulator's own clock (Options.Now), as a NetBox's web
	// server dates its answers with NetBox's clock: an incremental export
	// takes the time it asks for changes from from it.
	h.Set("Date", s.opts.Now().UTC().Format(http.TimeFormat))
	isAPI := strings.HasPrefix(r.URL.Path, "/api/") || r.URL.Path == "/api"
	if isAPI {
		h.Set("API-Version", s.profile.version)
	}
	s.stats.record(r)

	if rule, ok := s.faults.pick(r); ok && s.applyFault(w, r, rule) {
		return
	}
	if !isAPI {
		writeDetail(w, http.StatusNotFound, "Not found.")
		return
	}
	if !strings.HasSuffix(r.URL.Path, "/") {
		// Django's APPEND_SLASH.
		target := r.URL.Path + "/"
		if r.URL.RawQuery != "" {
			target += "?" + r.URL.RawQuery
		}
		http.Redirect(w, r, target, http.StatusMovedPermanently)
		return
	}
	if !s.acceptOK(r) {
		writeDetail(w, http.StatusNotAcceptable, `Invalid version in "Accept" header.`)
		return
	}
	user, denied := s.authenticate(r)
	if denied != "" {
		writeDetail(w, http.StatusForbidden, denied)
		return
	}
	req := &apiRequest{w: w, r: r, user: user, requestID: requestID}
	s.route(req)
}

// acceptOK implements AcceptHeaderVersioning: a version= parameter must be
// the server's major.minor.
func (s *Server) acceptOK(r *http.Request) bool {
	for _, part := range strings.Split(r.Header.Get("Accept"), ";") {
		k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
		if ok && strings.TrimSpace(k) == "version" && strings.TrimSpace(v) != s.profile.version {
			return false
		}
	}
	return true
}

// apiRequest is one authenticated API call being served.
type apiRequest struct {
	w         http.ResponseWriter
	r         *http.Request
	user      tokenInfo
	requestID string
}

// route dispatches /api/<app>/<model>/[<id>/] to the resource handlers.
func (s *Server) route(req *apiRequest) {
	parts := strings.Split(strings.Trim(req.r.URL.Path, "/"), "/")
	// parts[0] == "api"
	switch {
	case len(parts) == 1:
		s.serveRoot(req)
		return
	case len(parts) == 2 && parts[1] == "status":
		s.serveStatus(req)
		return
	case len(parts) < 3 || len(parts) > 4:
		writeDetail(req.w, http.StatusNotFound, "Not found.")
		return
	}
	res, ok := s.resources()[parts[1]+"/"+parts[2]]
	if !ok {
		writeDetail(req.w, http.StatusNotFound, "Not found.")
		return
	}
	if !s.authorize(req, parts[1], res) {
		return
	}
	if len(parts) == 3 {
		s.serveCollection(req, res)
		return
	}
	id, err := strconv.Atoi(parts[3])
	if err != nil || id <= 0 {
		writeDetail(req.w, http.StatusNotFound, fmt.Sprintf("No %s matches the given query.", res.modelName))
		return
	}
	s.serveObject(req, res, id)
}

func (s *Server) serveCollection(req *apiRequest, res resource) {
	switch req.r.Method {
	case http.MethodGet, http.MethodHead:
		s.serveList(req, res)
	case http.MethodPost:
		if res.create == nil {
			methodNotAllowed(req.w, req.r.Method)
			return
		}
		res.create(s, req)
	case http.MethodPatch, http.MethodPut:
		if res.bulkUpdate == nil {
			methodNotAllowed(req.w, req.r.Method)
			return
		}
		res.bulkUpdate(s, req, req.r.Method == http.MethodPatch)
	case http.MethodDelete:
		if res.bulkRemove == nil {
			methodNotAllowed(req.w, req.r.Method)
			return
		}
		res.bulkRemove(s, req)
	case http.MethodOptions:
		req.w.Header().Set("Allow", res.allow(false))
		writeJSON(req.w, http.StatusOK, obj{{"name", res.modelName + " List"}})
	default:
		methodNotAllowed(req.w, req.r.Method)
	}
}

func (s *Server) serveObject(req *apiRequest, res resource, id int) {
	switch req.r.Method {
	case http.MethodGet, http.MethodHead:
		s.serveDetail(req, res, id)
	case http.MethodPatch, http.MethodPut:
		if res.update == nil {
			methodNotAllowed(req.w, req.r.Method)
			return
		}
		res.update(s, req, id, req.r.Method == http.MethodPatch)
	case http.MethodDelete:
		if res.remove == nil {
			methodNotAllowed(req.w, req.r.Method)
			return
		}
		res.remove(s, req, id)
	default:
		methodNotAllowed(req.w, req.r.Method)
	}
}

// authorize applies TokenPermissions before anything else about the
// request is looked at, as DRF's initial() does: unsafe methods need a
// write-enabled token, and every method but OPTIONS needs the model
// permission <app>.<action>_<model>.
func (s *Server) authorize(req *apiRequest, app string, res resource) bool {
	action := ""
	switch req.r.Method {
	case http.MethodGet, http.MethodHead:
		action = "view"
	case http.MethodPost:
		action = "add"
	case http.MethodPut, http.MethodPatch:
		action = "change"
	case http.MethodDelete:
		action = "delete"
	default:
		return true
	}
	if action != "view" && !req.user.write {
		writeDetail(req.w, http.StatusForbidden, noPermission)
		return false
	}
	if !req.user.can(app + "." + action + "_" + strings.ToLower(res.modelName)) {
		writeDetail(req.w, http.StatusForbidden, noPermission)
		return false
	}
	return true
}

// noPermission is DRF's PermissionDenied detail.
const noPermission = "You do not have permission to perform this action."

func (s *Server) serveRoot(req *apiRequest) {
	base := baseURL(req.r)
	writeJSON(req.w, http.StatusOK, obj{
		{"circuits", base + "/api/circuits/"},
		{"core", base + "/api/core/"},
		{"dcim", base + "/api/dcim/"},
		{"extras", base + "/api/extras/"},
		{"ipam", base + "/api/ipam/"},
		{"plugins", base + "/api/plugins/"},
		{"status", base + "/api/status/"},
		{"tenancy", base + "/api/tenancy/"},
		{"users", base + "/api/users/"},
		{"virtualization", base + "/api/virtualization/"},
		{"vpn", base + "/api/vpn/"},
		{"wireless", base + "/api/wireless/"},
	})
}

func (s *Server) serveStatus(req *apiRequest) {
	if req.r.Method != http.MethodGet && req.r.Method != http.MethodHead {
		methodNotAllowed(req.w, req.r.Method)
		return
	}
	writeJSON(req.w, http.StatusOK, obj{
		{"django-version", "5.2.6"},
		{"hostname", "netbox-sim"},
		{"installed_apps", obj{
			{"django_filters", "25.1"},
			{"django_prometheus", "2.4.1"},
			{"django_rq", "3.1"},
			{"drf_spectacular", "0.28.0"},
			{"rest_framework", "3.16.1"},
		}},
		{"netbox-version", s.profile.full},
		{"netbox-full-version", s.profile.full + "-Docker-3.4.1"},
		{"plugins", obj{}},
		{"python-version", "3.12.3"},
		{"rq-workers-running", 1},
	})
}

// baseURL is the scheme and host the client used, honouring the proxy
// headers NetBox trusts (USE_X_FORWARDED_HOST, SECURE_PROXY_SSL_HEADER).
func baseURL(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil || strings.EqualFold(r.Header.Get("X-Forwarded-Proto"), "https") {
		scheme = "https"
	}
	host := r.Host
	if fwd := r.Header.Get("X-Forwarded-Host"); fwd != "" {
		host = strings.TrimSpace(strings.Split(fwd, ",")[0])
	}
	return scheme + "://" + host
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	body := encodeREST(v)
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

func writeDetail(w http.ResponseWriter, status int, detail string) {
	writeJSON(w, status, obj{{"detail", detail}})
}

// writeFieldErrors answers DRF's 400 shape: {"field": ["message", ...]}.
func writeFieldErrors(w http.ResponseWriter, errs fieldErrors) {
	writeJSON(w, http.StatusBadRequest, errs.obj())
}

func methodNotAllowed(w http.ResponseWriter, method string) {
	writeDetail(w, http.StatusMethodNotAllowed, fmt.Sprintf("Method %q not allowed.", method))
}

// fieldErrors collects DRF-style validation messages in insertion order.
type fieldErrors struct {
	keys []string
	msgs map[string][]string
}

func (e *fieldErrors) add(field, msg string) {
	if e.msgs == nil {
		e.msgs = map[string][]string{}
	}
	if _, ok := e.msgs[field]; !ok {
		e.keys = append(e.keys, field)
	}
	e.msgs[field] = append(e.msgs[field], msg)
}

func (e *fieldErrors) empty() bool { return len(e.keys) == 0 }

// obj renders the errors as DRF does: {"field": ["message", ...]}.
func (e fieldErrors) obj() obj {
	o := make(obj, 0, len(e.keys))
	for _, k := range e.keys {
		msgs := make([]any, len(e.msgs[k]))
		for i, m := range e.msgs[k] {
			msgs[i] = m
		}
		o = append(o, kv{k, msgs})
	}
	return o
}

// decodeBody reads a JSON request body the way DRF's JSONParser reports
// failures.
func decodeBody(req *apiRequest, out any) bool {
	dec := json.NewDecoder(http.MaxBytesReader(req.w, req.r.Body, 8<<20))
	dec.UseNumber()
	if err := dec.Decode(out); err != nil {
		writeDetail(req.w, http.StatusBadRequest, "JSON parse error - "+err.Error())
		return false
	}
	return true
}

func itoa(i int) string { return strconv.Itoa(i) }
