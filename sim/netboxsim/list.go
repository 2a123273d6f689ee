package netboxsim

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// resource describes one REST endpoint: how to filter and render its rows,
// and which writes it accepts.
type resource struct {
	modelName string
	// query filters and orders under the read lock.
	query func(s *Server, q url.Values) ([]int, fieldErrors)
	// render renders one row, false when the id does not exist.
	render func(rc renderCtx, id int, mode renderMode) (obj, bool)
	// create serves POST of one object or a list of them.
	create func(s *Server, req *apiRequest)
	update func(s *Server, req *apiRequest, id int, partial bool)
	// bulkUpdate serves PATCH (partial) and PUT on the list endpoint.
	bulkUpdate func(s *Server, req *apiRequest, partial bool)
	remove     func(s *Server, req *apiRequest, id int)
	// bulkRemove serves DELETE on the list endpoint.
	bulkRemove func(s *Server, req *apiRequest)
}

func (res resource) allow(detail bool) string {
	methods := []string{"GET", "HEAD", "OPTIONS"}
	if !detail && res.create != nil {
		methods = append(methods, "POST")
	}
	if !detail && res.bulkUpdate != nil {
		methods = append(methods, "PUT", "PATCH")
	}
	if !detail && res.bulkRemove != nil {
		methods = append(methods, "DELETE")
	}
	if detail && res.update != nil {
		methods = append(methods, "PUT", "PATCH")
	}
	if detail && res.remove != nil {
		methods = append(methods, "DELETE")
	}
	return strings.Join(methods, ", ")
}

// page is the effective limit/offset of a list request and its links.
type page struct {
	offset, limit int
	next, prev    any
}

// paginate implements OptionalLimitOffsetPagination (reference §2.1): the
// default limit is PAGINATE_COUNT, limit=0 means MAX_PAGE_SIZE, larger
// limits are capped, bad values fall back to the default, and the next and
// previous links are absolute with the query keys sorted.
func (s *Server) paginate(r *http.Request, count int) page {
	q := r.URL.Query()
	maxSize := s.opts.MaxPageSize
	limit := min(s.opts.PaginateCount, maxSize)
	if raw, ok := q["limit"]; ok && len(raw) > 0 {
		if n, err := strconv.Atoi(raw[len(raw)-1]); err == nil && n >= 0 {
			if n == 0 {
				limit = maxSize
			} else {
				limit = min(n, maxSize)
			}
		}
	}
	offset := 0
	if raw, ok := q["offset"]; ok && len(raw) > 0 {
		if n, err := strconv.Atoi(raw[len(raw)-1]); err == nil && n > 0 {
			offset = n
		}
	}
	pg := page{offset: offset, limit: limit}
	self := baseURL(r) + r.URL.Path
	if offset+limit < count {
		nq := cloneQuery(q)
		nq.Set("limit", strconv.Itoa(limit))
		nq.Set("offset", strconv.Itoa(offset+limit))
		pg.next = self + "?" + nq.Encode()
	}
	if offset > 0 {
		pq := cloneQuery(q)
		pq.Set("limit", strconv.Itoa(limit))
		if offset-limit <= 0 {
			pq.Del("offset")
		} else {
			pq.Set("offset", strconv.Itoa(offset-limit))
		}
		pg.prev = self + "?" + pq.Encode()
	}
	return pg
}

func cloneQuery(q url.Values) url.Values {
	out := make(url.Values, len(q))
	for k, v := range q {
		out[k] = append([]string(nil), v...)
	}
	return out
}

// shaping reads brief, fields, omit and exclude (reference §2.3).
type shaping struct {
	mode   renderMode
	fields map[string]bool
	omit   map[string]bool
}

func (s *Server) shapingOf(r *http.Request) shaping {
	q := r.URL.Query()
	sh := shaping{mode: renderMode{configContext: !strings.Contains(q.Get("exclude"), "config_context")}}
	if f := q.Get("fields"); f != "" {
		sh.fields = csvSet(f)
	} else if q.Get("brief") != "" && (r.Method == http.MethodGet || r.Method == http.MethodHead) {
		// Any non-empty value turns brief on, even "false"; writes never
		// answer in brief form.
		sh.mode = renderMode{brief: true}
	}
	if o := q.Get("omit"); o != "" && s.profile.v2Tokens && sh.fields == nil {
		// omit exists from 4.5.2; earlier versions ignore it silently.
		sh.omit = csvSet(o)
	}
	if sh.fields != nil && !sh.fields["config_context"] {
		sh.mode.configContext = false
	}
	sh.mode.fields = sh.fields
	return sh
}

func (sh shaping) apply(o obj) obj {
	switch {
	case sh.fields != nil:
		return o.only(sh.fields)
	case sh.omit != nil:
		out := make(obj, 0, len(o))
		for _, e := range o {
			if !sh.omit[e.k] {
				out = append(out, e)
			}
		}
		return out
	}
	return o
}

func csvSet(s string) map[string]bool {
	set := map[string]bool{}
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f != "" {
			set[f] = true
		}
	}
	return set
}

func (s *Server) serveList(req *apiRequest, res resource) {
	q := req.r.URL.Query()
	sh := s.shapingOf(req.r)
	s.mu.RLock()
	ids, errs := res.query(s, q)
	if !errs.empty() {
		s.mu.RUnlock()
		writeFieldErrors(req.w, errs)
		return
	}
	pg := s.paginate(req.r, len(ids))
	rc := renderCtx{st: s.st, p: s.profile, base: baseURL(req.r), idx: s.st.indexes()}
	results := make([]any, 0, min(pg.limit, max(len(ids)-pg.offset, 0)))
	for i := pg.offset; i < len(ids) && i < pg.offset+pg.limit; i++ {
		if o, ok := res.render(rc, ids[i], sh.mode); ok {
			results = append(results, sh.apply(o))
		}
	}
	s.mu.RUnlock()
	writeJSON(req.w, http.StatusOK, obj{
		{"count", len(ids)},
		{"next", pg.next},
		{"previous", pg.prev},
		{"results", results},
	})
}

func (s *Server) serveDetail(req *apiRequest, res resource, id int) {
	sh := s.shapingOf(req.r)
	s.mu.RLock()
	rc := renderCtx{st: s.st, p: s.profile, base: baseURL(req.r), idx: s.st.indexes()}
	o, ok := res.render(rc, id, sh.mode)
	s.mu.RUnlock()
	if !ok {
		writeDetail(req.w, http.StatusNotFound, fmt.Sprintf("No %s matches the given query.", res.modelName))
		return
	}
	writeJSON(req.w, http.StatusOK, sh.apply(o))
}

// resources maps "<app>/<model>" to its endpoint.
func (s *Server) resources() map[string]resource {
	return resourceTable
}

var resourceTable = map[string]resource{
	"dcim/devices": deviceKind.resource(resource{
		modelName: "Device",
		query:     (*Server).queryDevices,
		render:    deviceKind.renderID,
	}),
	"ipam/ip-addresses": {
		modelName: "IPAddress",
		query:     (*Server).queryIPAddresses,
		render: func(rc renderCtx, id int, m renderMode) (obj, bool) {
			ip := rc.st.ips.get(id)
			if ip == nil {
				return nil, false
			}
			return rc.ipAddress(ip, m), true
		},
		create: (*Server).restCreateIPAddress,
		update: (*Server).restUpdateIPAddress,
		remove: (*Server).restDeleteIPAddress,
	},
	"virtualization/virtual-machines": vmKind.resource(resource{
		modelName: "VirtualMachine",
		query:     (*Server).queryVMs,
		render:    vmKind.renderID,
	}),
	"dcim/sites": {
		modelName: "Site",
		query: func(s *Server, q url.Values) ([]int, fieldErrors) {
			st := s.st
			return querySimple(q, st.sites.ids,
				func(id int) string { return st.sites.rows[id].Name },
				func(id int) string { return st.sites.rows[id].Slug },
				func(id int) time.Time { return st.sites.rows[id].lastUpdated() },
				func(p *qparser) func(int) bool {
					regionIDs := p.slugs("region", bySlug(&st.regions, func(r *Region) string { return r.Slug }))
					regionIDs = append(regionIDs, p.modelIDs("region_id", exists(&st.regions))...)
					statuses := p.choices("status", siteStatuses)
					if len(regionIDs) == 0 && len(statuses) == 0 {
						return nil
					}
					return func(id int) bool {
						site := st.sites.rows[id]
						if len(statuses) > 0 && !anyOf(statuses, func(v string) bool { return v == site.Status }) {
							return false
						}
						if len(regionIDs) == 0 {
							return true
						}
						for r := st.regions.get(site.RegionID); r != nil; r = st.regions.get(r.ParentID) {
							if containsInt(regionIDs, r.ID) {
								return true
							}
							if r.ParentID == r.ID {
								break
							}
						}
						return false
					}
				})
		},
		render: func(rc renderCtx, id int, m renderMode) (obj, bool) {
			site := rc.st.sites.get(id)
			if site == nil {
				return nil, false
			}
			return rc.site(site, m), true
		},
		update: (*Server).restUpdateSite,
	},
	"dcim/regions": {
		modelName: "Region",
		query: func(s *Server, q url.Values) ([]int, fieldErrors) {
			st := s.st
			return querySimple(q, st.regions.ids,
				func(id int) string { return st.regions.rows[id].Name },
				func(id int) string { return st.regions.rows[id].Slug },
				func(id int) time.Time { return st.regions.rows[id].lastUpdated() },
				func(p *qparser) func(int) bool {
					parents := p.modelIDs("parent_id", exists(&st.regions))
					if len(q["parent_id"]) == 0 {
						return nil
					}
					return func(id int) bool { return containsInt(parents, st.regions.rows[id].ParentID) }
				})
		},
		render: func(rc renderCtx, id int, m renderMode) (obj, bool) {
			r := rc.st.regions.get(id)
			if r == nil {
				return nil, false
			}
			return rc.region(r, m), true
		},
	},
	"dcim/device-roles":       simpleResource("DeviceRole", "dcim/device-roles/", func(st *store) *table[Role] { return &st.roles }, func(r *Role) (string, string) { return r.Name, r.Slug }, renderCtx.nestedRole),
	"dcim/platforms":          simpleResource("Platform", "dcim/platforms/", func(st *store) *table[Platform] { return &st.platforms }, func(r *Platform) (string, string) { return r.Name, r.Slug }, renderCtx.nestedPlatform),
	"dcim/manufacturers":      simpleResource("Manufacturer", "dcim/manufacturers/", func(st *store) *table[Manufacturer] { return &st.manufacturers }, func(r *Manufacturer) (string, string) { return r.Name, r.Slug }, renderCtx.nestedManufacturer),
	"dcim/device-types":       simpleResource("DeviceType", "dcim/device-types/", func(st *store) *table[DeviceType] { return &st.deviceTypes }, func(r *DeviceType) (string, string) { return r.Model, r.Slug }, renderCtx.nestedDeviceType),
	"dcim/locations":          simpleResource("Location", "dcim/locations/", func(st *store) *table[Location] { return &st.locations }, func(r *Location) (string, string) { return r.Name, r.Slug }, renderCtx.nestedLocation),
	"dcim/racks":              simpleResource("Rack", "dcim/racks/", func(st *store) *table[Rack] { return &st.racks }, func(r *Rack) (string, string) { return r.Name, "" }, renderCtx.nestedRack),
	"dcim/interfaces":         simpleResource("Interface", "dcim/interfaces/", func(st *store) *table[Interface] { return &st.interfaces }, func(r *Interface) (string, string) { return r.Name, "" }, renderCtx.nestedInterface),
	"tenancy/tenants":         simpleResource("Tenant", "tenancy/tenants/", func(st *store) *table[Tenant] { return &st.tenants }, func(r *Tenant) (string, string) { return r.Name, r.Slug }, renderCtx.nestedTenant),
	"extras/tags":             simpleResource("Tag", "extras/tags/", func(st *store) *table[Tag] { return &st.tags }, func(r *Tag) (string, string) { return r.Name, r.Slug }, renderCtx.nestedTag),
	"ipam/vrfs":               simpleResource("VRF", "ipam/vrfs/", func(st *store) *table[VRF] { return &st.vrfs }, func(r *VRF) (string, string) { return r.Name, "" }, renderCtx.nestedVRF),
	"virtualization/clusters": simpleResource("Cluster", "virtualization/clusters/", func(st *store) *table[Cluster] { return &st.clusters }, func(r *Cluster) (string, string) { return r.Name, "" }, renderCtx.nestedCluster),
	"extras/custom-fields":    configResource(customFieldModel),
	"extras/custom-links":     configResource(customLinkModel),
	"extras/journal-entries":  configResource(journalEntryModel),
	"extras/webhooks":         configResource(webhookModel),
	"extras/event-rules":      configResource(eventRuleModel),
	"core/object-changes": {
		modelName: "ObjectChange",
		query:     (*Server).queryChanges,
		render: func(rc renderCtx, id int, m renderMode) (obj, bool) {
			return rc.objectChange(id, m)
		},
	},
}

// simpleResource builds a read-only endpoint for a small model.
func simpleResource[T any](model, path string, tbl func(*store) *table[T], names func(*T) (string, string), nested func(renderCtx, int) any) resource {
	return resource{
		modelName: model,
		query: func(s *Server, q url.Values) ([]int, fieldErrors) {
			t := tbl(s.st)
			name := func(id int) string { n, _ := names(t.rows[id]); return n }
			slug := func(id int) string { _, sl := names(t.rows[id]); return sl }
			stamp := func(id int) time.Time { return stampOf(t.rows[id]) }
			return querySimple(q, t.ids, name, slug, stamp, nil)
		},
		render: func(rc renderCtx, id int, m renderMode) (obj, bool) {
			row := tbl(rc.st).get(id)
			if row == nil {
				return nil, false
			}
			return rc.simple(nested(rc, id), path+itoa(id)+"/", stampOf(row), m), true
		},
	}
}

// stampOf is a simple row's last_updated: its own when its model keeps
// one, else the generation time.
func stampOf[T any](row *T) time.Time {
	if st, ok := any(row).(stamped); ok {
		return st.lastUpdated()
	}
	return genEpoch
}
