package wugsim

import (
	"crypto/rand"
	"fmt"
	"net/http"
	"net/netip"
	"strings"
	"time"
)

// scan is a discovery scan. It advances one step per status read and completes after
// Options.ScanPolls reads (or CompleteScans); only then do its devices exist.
type scan struct {
	seq         int
	id          string
	name        string
	description string
	model       string // newDevice or refresh
	groupID     int
	targets     []string
	opts        scanOptions
	started     time.Time
	polls       int
	done        bool
	cancelled   bool
	deviceIDs   []int
}

type scanOptions struct {
	forceAdd    bool
	forceCreate bool
	forceRole   string
}

func newGUID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

func (st *state) newScan(model string, groupID int, targets []string, opts scanOptions, now time.Time) *scan {
	st.nextScanSeq++
	sc := &scan{
		seq: st.nextScanSeq, id: newGUID(), name: fmt.Sprintf("discovery-%d", st.nextScanSeq),
		description: fmt.Sprintf("%s scan of %s", model, strings.Join(targets, ", ")),
		model:       model, groupID: groupID, targets: targets, opts: opts, started: now,
	}
	st.scans[sc.id] = sc
	st.scanOrder = append(st.scanOrder, sc.id)
	return sc
}

// poll advances sc by one status read. s.mu must be held.
func (s *Server) poll(sc *scan) {
	if sc.done {
		return
	}
	sc.polls++
	if sc.polls >= s.scanPolls {
		s.completeScan(sc)
	}
}

// completeScan finds the scan's targets: an address that already belongs to a device matches
// it (unless forceAdd and forceCreate), a reachable new address becomes a device in the
// scan's group, and Options.Unreachable addresses and unresolvable names find nothing.
func (s *Server) completeScan(sc *scan) {
	if sc.done {
		return
	}
	sc.done = true
	if sc.cancelled || sc.model != "newDevice" {
		return
	}
	unreachable := map[string]bool{}
	for _, u := range s.opts.Unreachable {
		unreachable[strings.ToLower(strings.TrimSpace(u))] = true
	}
	now := s.now()
	for _, target := range sc.targets {
		if unreachable[strings.ToLower(target)] {
			continue
		}
		if existing := s.st.deviceByAddress(target); existing != nil && !(sc.opts.forceAdd && sc.opts.forceCreate) {
			existing.groups[sc.groupID] = true
			sc.deviceIDs = append(sc.deviceIDs, existing.id)
			continue
		}
		addr, err := netip.ParseAddr(target)
		if err != nil {
			continue // the simulator resolves no names
		}
		role := "Device"
		if r, ok := knownRoles[strings.ToLower(sc.opts.forceRole)]; ok {
			role = r
		}
		d := &device{
			name: addr.String(), hostName: addr.String(), deviceType: "Workstation", role: role, brand: "Not Set", os: "Not Set",
			note:  fmt.Sprintf("This device was scanned by discovery on %s.", now.UTC().Format("1/2/2006 3:04:05 PM")),
			state: StateUp, groups: map[int]bool{sc.groupID: true}, source: SourceScan, keepDetailsCurrent: true,
			activeMonitors: []string{"Ping"}, created: now, lastChange: now,
		}
		d.interfaces = []*netInterface{s.st.newInterface(addr.String(), addr.String(), true, false)}
		s.st.insertDevice(d)
		sc.deviceIDs = append(sc.deviceIDs, d.id)
	}
}

// scanJSON renders ActiveScan. Progress runs from 0 to 100; the phase ends as "Complete".
func (s *Server) scanJSON(sc *scan) map[string]any {
	progress := 100.0
	phase := "Complete"
	found := len(sc.deviceIDs)
	if !sc.done {
		progress = float64(sc.polls) * 100 / float64(s.scanPolls)
		phase = "Scanning"
		found = 0
	}
	if sc.cancelled {
		phase = "Cancelled"
	}
	return map[string]any{
		"id": sc.id, "name": sc.name, "description": sc.description, "isExport": false,
		"progress": progress, "phase": phase, "phaseProgress": progress, "scanUtc": sc.started.UTC().Format(time.RFC3339),
		"devicesFound": found, "devicesComplete": found, "addressResponsive": found,
		"addressAttempts": len(sc.targets), "addressTotal": len(sc.targets), "model": sc.model, "type": "user",
	}
}

type newDeviceBody struct {
	IPOrNames   lStrings `json:"ipOrNames"`
	ForceAdd    lBool    `json:"forceAdd"`
	ForceCreate lBool    `json:"forceCreate"`
	ForceRole   lString  `json:"forceRole"`
}

// handleNewDevice is PUT /device-groups/{id}/newDevice?ipOrName= with a NewDeviceOptions body.
func (s *Server) handleNewDevice(w http.ResponseWriter, r *http.Request, params map[string]string) {
	target := strings.TrimSpace(param(r.URL.Query(), "ipOrName"))
	if target == "" {
		writeError(w, http.StatusBadRequest, "ipOrName is required.")
		return
	}
	var body newDeviceBody
	if err := decodeBody(r, &body); err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	s.startScan(w, params, []string{target}, body)
}

// handleBulkNewDevice is PATCH /device-groups/{id}/newDevice with BulkNewDeviceOptions.
func (s *Server) handleBulkNewDevice(w http.ResponseWriter, r *http.Request, params map[string]string) {
	var body newDeviceBody
	if err := decodeBody(r, &body); err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	var targets []string
	for _, t := range body.IPOrNames {
		if t = strings.TrimSpace(t); t != "" {
			targets = append(targets, t)
		}
	}
	if len(targets) == 0 {
		writeError(w, http.StatusBadRequest, "ipOrNames must hold at least one address or name.")
		return
	}
	s.startScan(w, params, targets, body)
}

func (s *Server) startScan(w http.ResponseWriter, params map[string]string, targets []string, body newDeviceBody) {
	s.mu.Lock()
	defer s.mu.Unlock()
	g, ok := s.staticGroupFor(w, params["groupId"])
	if !ok {
		return
	}
	opts := scanOptions{forceAdd: body.ForceAdd.or(false), forceCreate: body.ForceCreate.or(false), forceRole: string(body.ForceRole)}
	sc := s.st.newScan("newDevice", g.id, targets, opts, s.now())
	writeData(w, map[string]any{"id": sc.id, "name": sc.name, "description": sc.description, "success": true})
}

func (s *Server) lookupScan(w http.ResponseWriter, raw string) (*scan, bool) {
	if sc := s.st.scans[strings.ToLower(raw)]; sc != nil {
		return sc, true
	}
	writeError(w, http.StatusNotFound, fmt.Sprintf("Scan %q was not found.", raw))
	return nil, false
}

// handleScanStatus is GET /device-scan/{id}/status; each read advances the scan.
func (s *Server) handleScanStatus(w http.ResponseWriter, _ *http.Request, params map[string]string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	sc, ok := s.lookupScan(w, params["scanId"])
	if !ok {
		return
	}
	s.poll(sc)
	writeData(w, s.scanJSON(sc))
}

// handleListScans is GET /device-scan/-/status (data is a bare list). activeOnly defaults to
// true, so a finished scan drops out; listing also advances the scans it returns.
func (s *Server) handleListScans(w http.ResponseWriter, r *http.Request, _ map[string]string) {
	q := r.URL.Query()
	activeOnly, err := queryBool(q, "activeOnly", true)
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	model := strings.ToLower(strings.TrimSpace(param(q, "model")))
	search := strings.TrimSpace(param(q, "search"))
	p, ok := s.newPager(w, r, "scans")
	if !ok {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	keys := make([]int, 0, len(s.st.scanOrder))
	bySeq := map[int]*scan{}
	for _, id := range s.st.scanOrder {
		sc := s.st.scans[id]
		keys = append(keys, sc.seq)
		bySeq[sc.seq] = sc
	}
	scans, next := takePage(p, keys, func(seq int) (map[string]any, bool) {
		sc := bySeq[seq]
		if (model != "" && model != "all" && !strings.EqualFold(sc.model, model)) || !matchesSearch(search, []string{sc.name, sc.description}) {
			return nil, false
		}
		if activeOnly && sc.done {
			return nil, false
		}
		s.poll(sc)
		return s.scanJSON(sc), true
	})
	writePage(w, p, len(scans), next, scans)
}

// handleScanDevices is GET /device-scan/{id}/devices; empty until the scan completes.
func (s *Server) handleScanDevices(w http.ResponseWriter, r *http.Request, params map[string]string) {
	level, ok := parseView(w, r, "card", deviceViews)
	if !ok {
		return
	}
	p, ok := s.newPager(w, r, "scan-devices")
	if !ok {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	sc, ok := s.lookupScan(w, params["scanId"])
	if !ok {
		return
	}
	ids := append([]int(nil), sc.deviceIDs...)
	devices, next := takePage(p, sortedInts(ids), func(id int) (map[string]any, bool) {
		d := s.st.devices[id]
		if d == nil {
			return nil, false
		}
		return s.deviceJSON(d, level), true
	})
	writePage(w, p, len(devices), next, map[string]any{"id": sc.id, "name": sc.name, "description": sc.description, "devices": devices})
}

// handleCancelScan is PUT /device-scan/{id}/cancel (bare SuccessResult).
func (s *Server) handleCancelScan(w http.ResponseWriter, _ *http.Request, params map[string]string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	sc, ok := s.lookupScan(w, params["scanId"])
	if !ok {
		return
	}
	if !sc.done {
		sc.cancelled = true
		sc.done = true
	}
	writeJSON(w, http.StatusOK, successResult{Success: true})
}
