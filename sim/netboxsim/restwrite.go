package netboxsim

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
)

// This file accepts writes over the REST API the way NetBox's writable
// serializers do, so a demo user can curl PATCH/POST/DELETE and see the
// webhooks fire.

// body is a decoded JSON object with numbers kept as json.Number.
type body map[string]any

// readObject decodes a JSON object body, or answers 400.
func readObject(req *apiRequest) (body, bool) {
	var raw any
	if !decodeBody(req, &raw) {
		return nil, false
	}
	b, ok := raw.(map[string]any)
	if !ok {
		writeFieldErrors(req.w, single("non_field_errors", "Invalid data. Expected a dictionary, but got "+jsonKind(raw)+"."))
		return nil, false
	}
	return b, true
}

func single(field, msg string) fieldErrors {
	var e fieldErrors
	e.add(field, msg)
	return e
}

func jsonKind(v any) string {
	switch v.(type) {
	case []any:
		return "list"
	case string:
		return "str"
	case json.Number:
		return "int"
	case bool:
		return "bool"
	case nil:
		return "NoneType"
	}
	return "dict"
}

// ref resolves a related object given as a numeric id or a dictionary of
// attributes, with NetBox's messages.
func ref[T any](errs *fieldErrors, field string, v any, t *table[T], attrs func(*T, string) string, nullable bool) (int, bool) {
	switch x := v.(type) {
	case nil:
		if !nullable {
			errs.add(field, "This field may not be null.")
			return 0, false
		}
		return 0, true
	case json.Number, string:
		id, err := strconv.Atoi(fmt.Sprint(x))
		if err != nil {
			errs.add(field, fmt.Sprintf("Related objects must be referenced by numeric ID or by dictionary of attributes. Received an unrecognized value: %v", x))
			return 0, false
		}
		if t.get(id) == nil {
			errs.add(field, notFoundID(id))
			return 0, false
		}
		return id, true
	case map[string]any:
		if idv, ok := x["id"]; ok {
			return ref(errs, field, idv, t, attrs, nullable)
		}
		for _, id := range t.ids {
			row := t.rows[id]
			match := len(x) > 0
			for k, want := range x {
				if attrs(row, k) != fmt.Sprint(want) {
					match = false
					break
				}
			}
			if match {
				return id, true
			}
		}
		errs.add(field, fmt.Sprintf("Related object not found using the provided attributes: %s", pyDict(x)))
		return 0, false
	}
	errs.add(field, fmt.Sprintf("Related objects must be referenced by numeric ID or by dictionary of attributes. Received an unrecognized value: %v", v))
	return 0, false
}

// pyDict renders attributes as Python prints a dict, for error messages.
func pyDict(m map[string]any) string {
	parts := make([]string, 0, len(m))
	for k, v := range m {
		parts = append(parts, fmt.Sprintf("'%s': '%v'", k, v))
	}
	return "{" + strings.Join(parts, ", ") + "}"
}

func nameSlug[T any](name, slug func(*T) string) func(*T, string) string {
	return func(row *T, k string) string {
		switch k {
		case "name":
			return name(row)
		case "slug":
			if slug != nil {
				return slug(row)
			}
		}
		return "\x00"
	}
}

func str(errs *fieldErrors, field string, v any, nullable bool) (*string, bool) {
	switch x := v.(type) {
	case nil:
		if !nullable {
			errs.add(field, "This field may not be null.")
			return nil, false
		}
		return nil, true
	case string:
		return &x, true
	case json.Number:
		s := x.String()
		return &s, true
	case bool:
		s := "False"
		if x {
			s = "True"
		}
		return &s, true
	}
	errs.add(field, "Not a valid string.")
	return nil, false
}

func choiceValue(errs *fieldErrors, field string, v any, valid map[string]string, blank bool) (string, bool) {
	switch x := v.(type) {
	case string:
		if x == "" && blank {
			return "", true
		}
		if _, ok := valid[x]; ok {
			return x, true
		}
		errs.add(field, fmt.Sprintf("%q is not a valid choice.", x))
	case nil:
		if blank {
			return "", true
		}
		errs.add(field, "This field may not be null.")
	default:
		errs.add(field, `Value must be passed directly (e.g. "foo": 123); do not use a dictionary or list.`)
	}
	return "", false
}

func tagSlugs(errs *fieldErrors, st *store, v any) ([]string, bool) {
	list, ok := v.([]any)
	if !ok {
		errs.add("tags", fmt.Sprintf("Expected a list of items but got type %q.", jsonKind(v)))
		return nil, false
	}
	var out []string
	for _, item := range list {
		id, ok := ref(errs, "tags", item, &st.tags, nameSlug(func(t *Tag) string { return t.Name }, func(t *Tag) string { return t.Slug }), false)
		if !ok {
			return nil, false
		}
		out = append(out, st.tags.get(id).Slug)
	}
	return out, true
}

func customFieldsBody(errs *fieldErrors, v any, into map[string]any) (map[string]any, bool) {
	m, ok := v.(map[string]any)
	if !ok {
		errs.add("custom_fields", "Invalid data format. Custom field data must be passed as a dictionary mapping field names to their values.")
		return nil, false
	}
	out := make(map[string]any, len(into)+len(m))
	for k, val := range into {
		out[k] = val
	}
	for k, val := range m {
		out[k] = plainJSON(val)
	}
	return out, true
}

// plainJSON turns json.Number into int or float64 so stored values render
// like NetBox's.
func plainJSON(v any) any {
	switch x := v.(type) {
	case json.Number:
		if i, err := strconv.Atoi(x.String()); err == nil {
			return i
		}
		f, _ := x.Float64()
		return f
	case []any:
		out := make([]any, len(x))
		for i := range x {
			out[i] = plainJSON(x[i])
		}
		return out
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, val := range x {
			out[k] = plainJSON(val)
		}
		return out
	}
	return v
}

// applyDevice writes the body's fields onto d; unknown keys are ignored,
// as DRF ignores them.
func applyDevice(st *store, d *Device, b body) fieldErrors {
	var errs fieldErrors
	for k, v := range b {
		switch k {
		case "name":
			if s, ok := str(&errs, k, v, true); ok {
				d.Name = s
				if s != nil && *s == "" {
					d.Name = nil
				}
			}
		case "serial", "description", "comments":
			if s, ok := str(&errs, k, v, false); ok {
				switch k {
				case "serial":
					d.Serial = *s
				case "description":
					d.Description = *s
				default:
					d.Comments = *s
				}
			}
		case "asset_tag":
			if s, ok := str(&errs, k, v, true); ok {
				d.AssetTag = s
			}
		case "status":
			if c, ok := choiceValue(&errs, k, v, deviceStatuses, false); ok {
				d.Status = c
			}
		case "face":
			if c, ok := choiceValue(&errs, k, v, faces, true); ok {
				d.Face = c
			}
		case "airflow":
			if c, ok := choiceValue(&errs, k, v, airflows, true); ok {
				d.Airflow = c
			}
		case "position":
			switch x := v.(type) {
			case nil:
				d.Position = nil
			case json.Number:
				f, _ := x.Float64()
				d.Position = &f
			default:
				errs.add(k, "A valid number is required.")
			}
		case "device_type":
			if id, ok := ref(&errs, k, v, &st.deviceTypes, nameSlug(func(r *DeviceType) string { return r.Model }, func(r *DeviceType) string { return r.Slug }), false); ok {
				d.DeviceTypeID = id
			}
		case "role":
			if id, ok := ref(&errs, k, v, &st.roles, nameSlug(func(r *Role) string { return r.Name }, func(r *Role) string { return r.Slug }), false); ok {
				d.RoleID = id
			}
		case "site":
			if id, ok := ref(&errs, k, v, &st.sites, nameSlug(func(r *Site) string { return r.Name }, func(r *Site) string { return r.Slug }), false); ok {
				d.SiteID = id
			}
		case "tenant":
			if id, ok := ref(&errs, k, v, &st.tenants, nameSlug(func(r *Tenant) string { return r.Name }, func(r *Tenant) string { return r.Slug }), true); ok {
				d.TenantID = id
			}
		case "platform":
			if id, ok := ref(&errs, k, v, &st.platforms, nameSlug(func(r *Platform) string { return r.Name }, func(r *Platform) string { return r.Slug }), true); ok {
				d.PlatformID = id
			}
		case "location":
			if id, ok := ref(&errs, k, v, &st.locations, nameSlug(func(r *Location) string { return r.Name }, func(r *Location) string { return r.Slug }), true); ok {
				d.LocationID = id
			}
		case "rack":
			if id, ok := ref(&errs, k, v, &st.racks, nameSlug(func(r *Rack) string { return r.Name }, nil), true); ok {
				d.RackID = id
			}
		case "cluster":
			if id, ok := ref(&errs, k, v, &st.clusters, nameSlug(func(r *Cluster) string { return r.Name }, nil), true); ok {
				d.ClusterID = id
			}
		case "primary_ip4", "primary_ip6", "oob_ip":
			id, ok := ref(&errs, k, v, &st.ips, nameSlug(func(r *IPAddress) string { return r.Address }, nil), true)
			if !ok {
				continue
			}
			switch k {
			case "primary_ip4":
				d.PrimaryIP4ID = id
			case "primary_ip6":
				d.PrimaryIP6ID = id
			default:
				d.OOBIPID = id
			}
		case "tags":
			if tags, ok := tagSlugs(&errs, st, v); ok {
				d.Tags = tags
			}
		case "custom_fields":
			if cf, ok := customFieldsBody(&errs, v, d.CustomFields); ok {
				d.CustomFields = cf
			}
		}
	}
	return errs
}

// applyIP writes the body's fields onto ip.
func applyIP(st *store, ip *IPAddress, b body) fieldErrors {
	var errs fieldErrors
	aoType, hasType := b["assigned_object_type"]
	for k, v := range b {
		switch k {
		case "address":
			if s, ok := str(&errs, k, v, false); ok {
				ip.Address = *s
			}
		case "dns_name", "description":
			if s, ok := str(&errs, k, v, false); ok {
				if k == "dns_name" {
					ip.DNSName = *s
				} else {
					ip.Description = *s
				}
			}
		case "status":
			if c, ok := choiceValue(&errs, k, v, ipStatuses, false); ok {
				ip.Status = c
			}
		case "role":
			if c, ok := choiceValue(&errs, k, v, ipRoles, true); ok {
				ip.Role = c
			}
		case "tenant":
			if id, ok := ref(&errs, k, v, &st.tenants, nameSlug(func(r *Tenant) string { return r.Name }, func(r *Tenant) string { return r.Slug }), true); ok {
				ip.TenantID = id
			}
		case "vrf":
			if id, ok := ref(&errs, k, v, &st.vrfs, nameSlug(func(r *VRF) string { return r.Name }, nil), true); ok {
				ip.VRFID = id
			}
		case "tags":
			if tags, ok := tagSlugs(&errs, st, v); ok {
				ip.Tags = tags
			}
		case "assigned_object_id":
			if v == nil {
				ip.InterfaceID = 0
				continue
			}
			if hasType && aoType != "dcim.interface" && aoType != "virtualization.vminterface" {
				errs.add("assigned_object_type", fmt.Sprintf("Select a valid choice. %v is not one of the available choices.", aoType))
				continue
			}
			if id, ok := ref(&errs, k, v, &st.interfaces, nameSlug(func(r *Interface) string { return r.Name }, nil), false); ok {
				ip.InterfaceID = id
			}
		}
	}
	return errs
}

func (s *Server) restCreateIPAddress(req *apiRequest) {
	b, ok := readObject(req)
	if !ok {
		return
	}
	if _, ok := b["address"]; !ok {
		writeFieldErrors(req.w, single("address", "This field is required."))
		return
	}
	var created *IPAddress
	var errs fieldErrors
	_ = s.mutate(req.user.username, req.requestID, func(t *tx) error {
		ip := IPAddress{Status: "active"}
		if errs = applyIP(s.st, &ip, b); !errs.empty() {
			return nil
		}
		created, errs = t.createIP(ip)
		return nil
	})
	if !errs.empty() {
		writeFieldErrors(req.w, errs)
		return
	}
	s.writeIP(req, http.StatusCreated, created.ID)
}

func (s *Server) restUpdateIPAddress(req *apiRequest, id int, partial bool) {
	b, ok := readObject(req)
	if !ok {
		return
	}
	if _, ok := b["address"]; !ok && !partial {
		writeFieldErrors(req.w, single("address", "This field is required."))
		return
	}
	var errs fieldErrors
	found := true
	_ = s.mutate(req.user.username, req.requestID, func(t *tx) error {
		cur := s.st.ips.get(id)
		if cur == nil {
			found = false
			return nil
		}
		probe := cur.clone()
		if errs = applyIP(s.st, &probe, b); !errs.empty() {
			return nil
		}
		_, errs, found = t.updateIP(id, func(ip *IPAddress) { *ip = probe })
		return nil
	})
	switch {
	case !found:
		writeDetail(req.w, http.StatusNotFound, "No IPAddress matches the given query.")
	case !errs.empty():
		writeFieldErrors(req.w, errs)
	default:
		s.writeIP(req, http.StatusOK, id)
	}
}

func (s *Server) restDeleteIPAddress(req *apiRequest, id int) {
	found := false
	_ = s.mutate(req.user.username, req.requestID, func(t *tx) error {
		found = t.deleteIP(id)
		return nil
	})
	if !found {
		writeDetail(req.w, http.StatusNotFound, "No IPAddress matches the given query.")
		return
	}
	req.w.WriteHeader(http.StatusNoContent)
}

func (s *Server) writeIP(req *apiRequest, status, id int) {
	s.mu.RLock()
	rc := renderCtx{st: s.st, p: s.profile, base: baseURL(req.r), idx: s.st.indexes()}
	var o obj
	if ip := s.st.ips.get(id); ip != nil {
		o = rc.ipAddress(ip, renderMode{})
	}
	s.mu.RUnlock()
	writeJSON(req.w, status, o)
}

func (s *Server) restUpdateSite(req *apiRequest, id int, partial bool) {
	b, ok := readObject(req)
	if !ok {
		return
	}
	var errs fieldErrors
	found := true
	_ = s.mutate(req.user.username, req.requestID, func(t *tx) error {
		cur := s.st.sites.get(id)
		if cur == nil {
			found = false
			return nil
		}
		probe := *cur
		for k, v := range b {
			switch k {
			case "name", "slug", "description", "facility", "time_zone", "physical_address":
				sv, ok := str(&errs, k, v, k == "time_zone")
				if !ok {
					continue
				}
				val := ""
				if sv != nil {
					val = *sv
				}
				switch k {
				case "name":
					probe.Name = val
				case "slug":
					probe.Slug = val
				case "description":
					probe.Description = val
				case "facility":
					probe.Facility = val
				case "time_zone":
					probe.TimeZone = val
				default:
					probe.PhysicalAddress = val
				}
			case "status":
				if c, ok := choiceValue(&errs, k, v, siteStatuses, false); ok {
					probe.Status = c
				}
			case "region":
				if rid, ok := ref(&errs, k, v, &s.st.regions, nameSlug(func(r *Region) string { return r.Name }, func(r *Region) string { return r.Slug }), true); ok {
					probe.RegionID = rid
				}
			}
		}
		if !errs.empty() {
			return nil
		}
		_, errs, found = t.updateSite(id, func(site *Site) { *site = probe })
		return nil
	})
	switch {
	case !found:
		writeDetail(req.w, http.StatusNotFound, "No Site matches the given query.")
	case !errs.empty():
		writeFieldErrors(req.w, errs)
	default:
		s.mu.RLock()
		rc := renderCtx{st: s.st, p: s.profile, base: baseURL(req.r), idx: s.st.indexes()}
		o := rc.site(s.st.sites.get(id), renderMode{})
		s.mu.RUnlock()
		writeJSON(req.w, http.StatusOK, o)
	}
}
