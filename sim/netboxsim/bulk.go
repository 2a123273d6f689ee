package netboxsim

import (
	"fmt"
	"net/http"
	"sort"
)

// writable is a model whose REST writes are change-logged and fire events:
// devices and virtual machines. One set of handlers serves both.
type writable[T any] struct {
	model string
	// required are the fields a create or a PUT must carry.
	required []string
	table    func(*store) *table[T]
	// order is the model's default ordering (name, then id).
	order  func(st *store, ids []int) []int
	blank  func() T
	clone  func(T) T
	apply  func(st *store, row *T, b body) fieldErrors
	create func(t *tx, row T) (*T, fieldErrors)
	update func(t *tx, id int, fn func(*T)) (*T, fieldErrors, bool)
	delete func(t *tx, id int) bool
	id     func(*T) int
	render func(rc renderCtx, row *T, mode renderMode) obj
}

var deviceKind = writable[Device]{
	model:    "Device",
	required: []string{"device_type", "role", "site"},
	table:    func(st *store) *table[Device] { return &st.devices },
	order: func(st *store, ids []int) []int {
		keep := make(map[int]bool, len(ids))
		for _, id := range ids {
			keep[id] = true
		}
		var out []int
		for _, id := range st.deviceNameOrder() {
			if keep[id] {
				out = append(out, id)
			}
		}
		return out
	},
	blank:  func() Device { return Device{Status: "active"} },
	clone:  Device.clone,
	apply:  applyDevice,
	create: (*tx).createDevice,
	update: (*tx).updateDevice,
	delete: (*tx).deleteDevice,
	id:     func(d *Device) int { return d.ID },
	render: renderCtx.device,
}

var vmKind = writable[VirtualMachine]{
	model:    "VirtualMachine",
	required: []string{"name"},
	table:    func(st *store) *table[VirtualMachine] { return &st.vms },
	order: func(st *store, ids []int) []int {
		out := append([]int(nil), ids...)
		sort.Slice(out, func(i, j int) bool {
			a, b := st.vms.rows[out[i]], st.vms.rows[out[j]]
			if c := naturalCompare(a.Name, b.Name); c != 0 {
				return c < 0
			}
			return a.ID < b.ID
		})
		return out
	},
	blank:  func() VirtualMachine { return VirtualMachine{Status: "active"} },
	clone:  VirtualMachine.clone,
	apply:  applyVM,
	create: (*tx).createVM,
	update: (*tx).updateVM,
	delete: (*tx).deleteVM,
	id:     func(vm *VirtualMachine) int { return vm.ID },
	render: renderCtx.virtualMachine,
}

func (k writable[T]) renderID(rc renderCtx, id int, mode renderMode) (obj, bool) {
	row := k.table(rc.st).get(id)
	if row == nil {
		return nil, false
	}
	return k.render(rc, row, mode), true
}

// resource fills res's write handlers with k's.
func (k writable[T]) resource(res resource) resource {
	res.create = func(s *Server, req *apiRequest) { restCreate(s, req, k) }
	res.update = func(s *Server, req *apiRequest, id int, partial bool) { restUpdate(s, req, k, id, partial) }
	res.bulkUpdate = func(s *Server, req *apiRequest, partial bool) { restBulkUpdate(s, req, k, partial) }
	res.remove = func(s *Server, req *apiRequest, id int) { restDelete(s, req, k, id) }
	res.bulkRemove = func(s *Server, req *apiRequest) { restBulkDelete(s, req, k) }
	return res
}

func restDelete[T any](s *Server, req *apiRequest, k writable[T], id int) {
	found := false
	_ = s.mutate(req.user.username, req.requestID, func(t *tx) error {
		found = k.delete(t, id)
		return nil
	})
	if !found {
		writeDetail(req.w, http.StatusNotFound, fmt.Sprintf("No %s matches the given query.", k.model))
		return
	}
	req.w.WriteHeader(http.StatusNoContent)
}

// restCreate serves POST of one object or a list; a list is created in
// order in one transaction (SequentialBulkCreatesMixin) and the first
// invalid object fails the request and rolls back the ones before it.
func restCreate[T any](s *Server, req *apiRequest, k writable[T]) {
	items, many, ok := readOneOrMany(req)
	if !ok {
		return
	}
	var ids []int
	var errs fieldErrors
	_ = s.mutate(req.user.username, req.requestID, func(t *tx) error {
		sp := t.savepoint()
		for _, it := range items {
			b, ok := it.(map[string]any)
			if !ok {
				errs = single("non_field_errors", "Invalid data. Expected a dictionary, but got "+jsonKind(it)+".")
				break
			}
			if errs = missingFields(k.required, b); !errs.empty() {
				break
			}
			row := k.blank()
			if errs = k.apply(s.st, &row, b); !errs.empty() {
				break
			}
			var created *T
			if created, errs = k.create(t, row); !errs.empty() {
				break
			}
			ids = append(ids, k.id(created))
		}
		if !errs.empty() {
			t.rollbackTo(sp)
		}
		return nil
	})
	switch {
	case !errs.empty():
		writeFieldErrors(req.w, errs)
	case many:
		s.writeRendered(req, http.StatusCreated, ids, k.renderID)
	default:
		s.writeOne(req, http.StatusCreated, ids[0], k.renderID)
	}
}

// change applies b to a copy of the object and saves it; PUT (partial
// false) needs the required fields.
func (k writable[T]) change(s *Server, t *tx, id int, b body, partial bool) (fieldErrors, bool) {
	cur := k.table(s.st).get(id)
	if cur == nil {
		return fieldErrors{}, false
	}
	if !partial {
		if errs := missingFields(k.required, b); !errs.empty() {
			return errs, true
		}
	}
	probe := k.clone(*cur)
	if errs := k.apply(s.st, &probe, b); !errs.empty() {
		return errs, true
	}
	_, errs, found := k.update(t, id, func(row *T) { *row = probe })
	return errs, found
}

func restUpdate[T any](s *Server, req *apiRequest, k writable[T], id int, partial bool) {
	b, ok := readObject(req)
	if !ok {
		return
	}
	var errs fieldErrors
	found := true
	_ = s.mutate(req.user.username, req.requestID, func(t *tx) error {
		errs, found = k.change(s, t, id, b, partial)
		return nil
	})
	switch {
	case !found:
		writeDetail(req.w, http.StatusNotFound, fmt.Sprintf("No %s matches the given query.", k.model))
	case !errs.empty():
		writeFieldErrors(req.w, errs)
	default:
		s.writeOne(req, http.StatusOK, id, k.renderID)
	}
}

// restBulkUpdate serves PATCH and PUT on the list endpoint as NetBox's
// BulkUpdateModelMixin does: every item needs an integer "id"; ids that do
// not exist are skipped silently; the others are saved one by one in the
// model's order (not the request's) inside one transaction, each with its
// own change-log row and "updated" event, sharing the request id. The
// first invalid object answers 400 with its errors and rolls the
// transaction back. The answer lists the saved objects in that order.
func restBulkUpdate[T any](s *Server, req *apiRequest, k writable[T], partial bool) {
	items, ok := readBulk(req)
	if !ok {
		return
	}
	var ids []int
	var errs fieldErrors
	_ = s.mutate(req.user.username, req.requestID, func(t *tx) error {
		for id := range items {
			ids = append(ids, id)
		}
		ids = k.order(s.st, existing(k.table(s.st), ids))
		sp := t.savepoint()
		for _, id := range ids {
			if errs, _ = k.change(s, t, id, items[id], partial); !errs.empty() {
				t.rollbackTo(sp)
				break
			}
		}
		return nil
	})
	if !errs.empty() {
		writeFieldErrors(req.w, errs)
		return
	}
	s.writeRendered(req, http.StatusOK, ids, k.renderID)
}

// restBulkDelete serves DELETE on the list endpoint (BulkDestroyModelMixin):
// [{"id": …}, …]; unknown ids are skipped; 204.
func restBulkDelete[T any](s *Server, req *apiRequest, k writable[T]) {
	items, ok := readBulk(req)
	if !ok {
		return
	}
	_ = s.mutate(req.user.username, req.requestID, func(t *tx) error {
		var ids []int
		for id := range items {
			ids = append(ids, id)
		}
		for _, id := range k.order(s.st, existing(k.table(s.st), ids)) {
			k.delete(t, id)
		}
		return nil
	})
	req.w.WriteHeader(http.StatusNoContent)
}

func existing[T any](t *table[T], ids []int) []int {
	var out []int
	for _, id := range ids {
		if t.get(id) != nil {
			out = append(out, id)
		}
	}
	return out
}
