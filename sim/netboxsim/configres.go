package netboxsim

import (
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"time"
)

// configModel describes an endpoint for one of NetBox's setup models
// (custom fields, custom links, webhooks, event rules, journal entries),
// which configResource serves the way NetBoxModelViewSet does: list and
// detail, create one or a list, update one or a list (PATCH/PUT on the
// list endpoint), delete. The simulator keeps no change log for these
// models and fires no events for them; wugsync subscribes to none.
type configModel[T any] struct {
	// model is the class name, e.g. "CustomField"; verbose its verbose
	// name for uniqueness messages, e.g. "custom field".
	model   string
	verbose string
	// path is the URL below /api/, e.g. "extras/custom-fields/".
	path  string
	table func(*store) *table[T]
	id    func(*T) int
	setID func(*T, int)
	// name is the unique name, or "" for models without one.
	name func(*T) string
	// stamp sets Created (when zero) and LastUpdated.
	stamp  func(*T, time.Time)
	clone  func(T) T
	newRow func(user string) T
	// required are the fields a create or a PUT must carry.
	required []string
	// apply writes a body's fields onto a row (partial or whole).
	apply func(st *store, row *T, b body, creating bool) fieldErrors
	// validate applies model rules other than name uniqueness.
	validate func(st *store, row *T) fieldErrors
	render   func(rc renderCtx, row *T, mode renderMode) obj
	// filter adds model-specific list filters; nil for none.
	filter func(p *qparser, st *store) func(*T) bool
	// less orders rows; nil orders by name, then id.
	less func(a, b *T) bool
	// saved runs after a create or update (before is nil on create);
	// removed after a delete. Both run under the write lock.
	saved   func(st *store, before, after *T)
	removed func(st *store, row *T)
}

// configResource builds the REST endpoint for m.
func configResource[T any](m configModel[T]) resource {
	return resource{
		modelName: m.model,
		query: func(s *Server, q url.Values) ([]int, fieldErrors) {
			return m.query(s.st, q)
		},
		render: func(rc renderCtx, id int, mode renderMode) (obj, bool) {
			row := m.table(rc.st).get(id)
			if row == nil {
				return nil, false
			}
			return m.render(rc, row, mode), true
		},
		create:     func(s *Server, req *apiRequest) { m.create(s, req) },
		update:     func(s *Server, req *apiRequest, id int, partial bool) { m.updateOne(s, req, id, partial) },
		bulkUpdate: func(s *Server, req *apiRequest, partial bool) { m.bulkUpdate(s, req, partial) },
		remove:     func(s *Server, req *apiRequest, id int) { m.remove(s, req, id) },
	}
}

func (m configModel[T]) query(st *store, q url.Values) ([]int, fieldErrors) {
	t := m.table(st)
	p := &qparser{q: q}
	idf := p.numberLookups("id")
	var names func(*string) bool
	if m.name != nil {
		names = p.stringLookups("name")
	}
	var extra func(*T) bool
	if m.filter != nil {
		extra = m.filter(p, st)
	}
	term := strings.ToLower(strings.TrimSpace(q.Get("q")))
	if !p.errs.empty() {
		return nil, p.errs
	}
	var out []int
	for _, id := range t.ids {
		row := t.rows[id]
		switch {
		case idf != nil && !idf(id):
		case names != nil && !matchExactName(q, m.name(row), names):
		case term != "" && m.name != nil && !strings.Contains(strings.ToLower(m.name(row)), term):
		case extra != nil && !extra(row):
		default:
			out = append(out, id)
		}
	}
	order := ordering(q, map[string]bool{"id": true, "name": m.name != nil})
	sort.SliceStable(out, func(i, j int) bool {
		a, b := t.rows[out[i]], t.rows[out[j]]
		for _, f := range order {
			desc := strings.HasPrefix(f, "-")
			c := cmpInt(out[i], out[j])
			if strings.TrimPrefix(f, "-") == "name" {
				c = naturalCompare(m.name(a), m.name(b))
			}
			if c != 0 {
				return (c < 0) != desc
			}
		}
		if len(order) == 0 {
			return m.lessRows(a, b)
		}
		return out[i] < out[j]
	})
	return out, fieldErrors{}
}

// matchExactName applies "name=" exactly (these models' name filter is
// case-sensitive) and the generated lookups case-insensitively.
func matchExactName(q url.Values, name string, lookups func(*string) bool) bool {
	if exact := q["name"]; len(exact) > 0 && !anyOf(exact, func(v string) bool { return v == name }) {
		return false
	}
	return lookups(&name)
}

func (m configModel[T]) lessRows(a, b *T) bool {
	if m.less != nil {
		return m.less(a, b)
	}
	if m.name != nil {
		if c := naturalCompare(m.name(a), m.name(b)); c != 0 {
			return c < 0
		}
	}
	return m.id(a) < m.id(b)
}

// check validates row against the model rules and name uniqueness among
// the stored rows (other than row itself) and the rows of the same batch.
func (m configModel[T]) check(st *store, row *T, batch []*T) fieldErrors {
	errs := m.validate(st, row)
	if m.name == nil {
		return errs
	}
	n := m.name(row)
	taken := false
	for _, other := range m.table(st).rows {
		if m.id(other) != m.id(row) && m.name(other) == n {
			taken = true
		}
	}
	for _, other := range batch {
		if m.name(other) == n {
			taken = true
		}
	}
	if taken {
		errs.add("name", m.verbose+" with this name already exists.")
	}
	return errs
}

// missingFields reports the required fields b lacks, as DRF does for a
// create or a PUT.
func missingFields(required []string, b body) fieldErrors {
	var errs fieldErrors
	for _, f := range required {
		if _, ok := b[f]; !ok {
			errs.add(f, "This field is required.")
		}
	}
	return errs
}

// build turns one create body into a row, or its errors.
func (m configModel[T]) build(st *store, user string, raw any, batch []*T) (*T, fieldErrors) {
	b, ok := raw.(map[string]any)
	if !ok {
		return nil, single("non_field_errors", "Invalid data. Expected a dictionary, but got "+jsonKind(raw)+".")
	}
	if errs := missingFields(m.required, b); !errs.empty() {
		return nil, errs
	}
	row := m.newRow(user)
	if errs := m.apply(st, &row, b, true); !errs.empty() {
		return nil, errs
	}
	if errs := m.check(st, &row, batch); !errs.empty() {
		return nil, errs
	}
	return &row, fieldErrors{}
}

// create serves POST: one object, or a list created in one transaction
// after every item validated (DRF's ListSerializer), answering the items'
// errors in a list, {} for the valid ones.
func (m configModel[T]) create(s *Server, req *apiRequest) {
	items, many, ok := readOneOrMany(req)
	if !ok {
		return
	}
	s.mu.Lock()
	var rows []*T
	perItem := make([]fieldErrors, len(items))
	failed := false
	for i, it := range items {
		row, errs := m.build(s.st, req.user.username, it, rows)
		perItem[i] = errs
		if !errs.empty() {
			failed = true
			continue
		}
		rows = append(rows, row)
	}
	if !failed {
		now := s.now()
		t := m.table(s.st)
		for _, row := range rows {
			m.setID(row, t.nextID())
			m.stamp(row, now)
			t.insert(row)
			if m.saved != nil {
				m.saved(s.st, nil, row)
			}
		}
		s.st.invalidate()
	}
	s.mu.Unlock()
	if failed {
		if many {
			writeErrorList(req.w, perItem)
		} else {
			writeFieldErrors(req.w, perItem[0])
		}
		return
	}
	ids := make([]int, len(rows))
	for i, row := range rows {
		ids[i] = m.id(row)
	}
	if many {
		s.writeRendered(req, http.StatusCreated, ids, m.renderID)
		return
	}
	s.writeOne(req, http.StatusCreated, ids[0], m.renderID)
}

func (m configModel[T]) renderID(rc renderCtx, id int, mode renderMode) (obj, bool) {
	row := m.table(rc.st).get(id)
	if row == nil {
		return nil, false
	}
	return m.render(rc, row, mode), true
}

// change applies b to a copy of the row with id and saves it, or returns
// its errors; found is false for an unknown id.
func (m configModel[T]) change(st *store, id int, b body, partial bool, now time.Time) (undo func(), errs fieldErrors, found bool) {
	t := m.table(st)
	cur := t.get(id)
	if cur == nil {
		return nil, fieldErrors{}, false
	}
	if !partial {
		if errs := missingFields(m.required, b); !errs.empty() {
			return nil, errs, true
		}
	}
	before := m.clone(*cur)
	next := m.clone(*cur)
	if errs := m.apply(st, &next, b, false); !errs.empty() {
		return nil, errs, true
	}
	if errs := m.check(st, &next, nil); !errs.empty() {
		return nil, errs, true
	}
	m.stamp(&next, now)
	*cur = next
	if m.saved != nil {
		m.saved(st, &before, cur)
	}
	st.invalidate()
	return func() {
		*cur = before
		if m.saved != nil {
			m.saved(st, &next, cur)
		}
		st.invalidate()
	}, fieldErrors{}, true
}

func (m configModel[T]) updateOne(s *Server, req *apiRequest, id int, partial bool) {
	b, ok := readObject(req)
	if !ok {
		return
	}
	s.mu.Lock()
	_, errs, found := m.change(s.st, id, b, partial, s.now())
	s.mu.Unlock()
	switch {
	case !found:
		writeDetail(req.w, http.StatusNotFound, fmt.Sprintf("No %s matches the given query.", m.model))
	case !errs.empty():
		writeFieldErrors(req.w, errs)
	default:
		s.writeOne(req, http.StatusOK, id, m.renderID)
	}
}

// bulkUpdate serves PATCH/PUT on the list endpoint (BulkUpdateModelMixin):
// unknown ids are skipped, the rest change in model order inside one
// transaction, and the first invalid object rolls all of them back.
func (m configModel[T]) bulkUpdate(s *Server, req *apiRequest, partial bool) {
	items, ok := readBulk(req)
	if !ok {
		return
	}
	s.mu.Lock()
	t := m.table(s.st)
	var ids []int
	for id := range items {
		if t.get(id) != nil {
			ids = append(ids, id)
		}
	}
	sort.Slice(ids, func(i, j int) bool { return m.lessRows(t.get(ids[i]), t.get(ids[j])) })
	now := s.now()
	var undos []func()
	var errs fieldErrors
	for _, id := range ids {
		undo, e, _ := m.change(s.st, id, items[id], partial, now)
		if !e.empty() {
			errs = e
			break
		}
		undos = append(undos, undo)
	}
	if !errs.empty() {
		for i := len(undos) - 1; i >= 0; i-- {
			undos[i]()
		}
	}
	s.mu.Unlock()
	if !errs.empty() {
		writeFieldErrors(req.w, errs)
		return
	}
	s.writeRendered(req, http.StatusOK, ids, m.renderID)
}

func (m configModel[T]) remove(s *Server, req *apiRequest, id int) {
	s.mu.Lock()
	t := m.table(s.st)
	row := t.get(id)
	if row != nil {
		t.remove(id)
		if m.removed != nil {
			m.removed(s.st, row)
		}
		s.st.invalidate()
	}
	s.mu.Unlock()
	if row == nil {
		writeDetail(req.w, http.StatusNotFound, fmt.Sprintf("No %s matches the given query.", m.model))
		return
	}
	req.w.WriteHeader(http.StatusNoContent)
}

// readOneOrMany reads a create body: one object, or a list of them (many).
func readOneOrMany(req *apiRequest) (items []any, many, ok bool) {
	var raw any
	if !decodeBody(req, &raw) {
		return nil, false, false
	}
	if list, isList := raw.([]any); isList {
		return list, true, true
	}
	return []any{raw}, false, true
}

// readBulk reads a bulk update body: a list of objects that each carry an
// integer "id" (BulkOperationSerializer), keyed by id; a later object with
// the same id wins, as NetBox's dict comprehension makes it.
func readBulk(req *apiRequest) (map[int]body, bool) {
	var raw any
	if !decodeBody(req, &raw) {
		return nil, false
	}
	list, ok := raw.([]any)
	if !ok {
		writeFieldErrors(req.w, single("non_field_errors", fmt.Sprintf("Expected a list of items but got type %q.", jsonKind(raw))))
		return nil, false
	}
	out := make(map[int]body, len(list))
	perItem := make([]fieldErrors, len(list))
	failed := false
	for i, it := range list {
		b, ok := it.(map[string]any)
		if !ok {
			perItem[i] = single("non_field_errors", "Invalid data. Expected a dictionary, but got "+jsonKind(it)+".")
			failed = true
			continue
		}
		idv, ok := b["id"]
		if !ok {
			perItem[i] = single("id", "This field is required.")
			failed = true
			continue
		}
		id, err := intValue(idv)
		if err != nil {
			perItem[i] = single("id", "A valid integer is required.")
			failed = true
			continue
		}
		rest := make(body, len(b))
		for k, v := range b {
			if k != "id" {
				rest[k] = v
			}
		}
		out[id] = rest
	}
	if failed {
		writeErrorList(req.w, perItem)
		return nil, false
	}
	return out, true
}

// writeErrorList answers a list serializer's 400: one object per item.
func writeErrorList(w http.ResponseWriter, perItem []fieldErrors) {
	list := make([]any, len(perItem))
	for i, errs := range perItem {
		list[i] = errs.obj()
	}
	writeJSON(w, http.StatusBadRequest, list)
}

// writeRendered answers a list of objects rendered with the request's
// fields= (writes never use brief).
func (s *Server) writeRendered(req *apiRequest, status int, ids []int, render func(renderCtx, int, renderMode) (obj, bool)) {
	sh := s.shapingOf(req.r)
	s.mu.RLock()
	rc := renderCtx{st: s.st, p: s.profile, base: baseURL(req.r), idx: s.st.indexes()}
	out := make([]any, 0, len(ids))
	for _, id := range ids {
		if o, ok := render(rc, id, sh.mode); ok {
			out = append(out, sh.apply(o))
		}
	}
	s.mu.RUnlock()
	writeJSON(req.w, status, out)
}

// writeOne answers one object rendered with the request's fields=.
func (s *Server) writeOne(req *apiRequest, status, id int, render func(renderCtx, int, renderMode) (obj, bool)) {
	sh := s.shapingOf(req.r)
	s.mu.RLock()
	rc := renderCtx{st: s.st, p: s.profile, base: baseURL(req.r), idx: s.st.indexes()}
	o, _ := render(rc, id, sh.mode)
	s.mu.RUnlock()
	writeJSON(req.w, status, sh.apply(o))
}
