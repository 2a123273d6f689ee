package netboxsim

import (
	"fmt"
	"net/netip"
	"net/url"
	"sort"
	"strings"
	"time"
)

// lookups by slug, for ModelMultipleChoiceFilters on slugs.
func bySlug[T any](t *table[T], slug func(*T) string) func(string) (int, bool) {
	return func(s string) (int, bool) {
		for _, id := range t.ids {
			if slug(t.rows[id]) == s {
				return id, true
			}
		}
		return 0, false
	}
}

func exists[T any](t *table[T]) func(int) bool {
	return func(id int) bool { return t.get(id) != nil }
}

// relation adds the "<name>" slug and "<name>_id" filters of one foreign
// key, plus their __n negations.
func relation[R any](p *qparser, name string, t *table[R], slug func(*R) string, get func(*Device) int) func(*Device) bool {
	var want []int
	if slug != nil {
		want = append(want, p.slugs(name, bySlug(t, slug))...)
	}
	want = append(want, p.modelIDs(name+"_id", exists(t))...)
	var not []int
	if slug != nil {
		not = append(not, p.slugs(name+"__n", bySlug(t, slug))...)
	}
	not = append(not, p.modelIDs(name+"_id__n", exists(t))...)
	if len(want) == 0 && len(not) == 0 {
		return nil
	}
	hadWant := len(p.q[name])+len(p.q[name+"_id"]) > 0
	return func(d *Device) bool {
		v := get(d)
		if hadWant && !containsInt(want, v) {
			return false
		}
		return !containsInt(not, v)
	}
}

// queryDevices applies DeviceFilterSet and the ordering, returning the
// matching ids in answer order. Callers hold the read lock.
func (s *Server) queryDevices(q url.Values) ([]int, fieldErrors) {
	st := s.st
	p := &qparser{q: q}
	var preds []func(*Device) bool
	add := func(f func(*Device) bool) {
		if f != nil {
			preds = append(preds, f)
		}
	}
	if f := p.numberLookups("id"); f != nil {
		add(func(d *Device) bool { return f(d.ID) })
	}
	if f := p.stringLookups("name"); f != nil {
		add(func(d *Device) bool { return f(d.Name) })
	}
	if f := p.stringLookups("serial"); f != nil {
		add(func(d *Device) bool { return f(&d.Serial) })
	}
	if f := p.stringLookups("asset_tag"); f != nil {
		add(func(d *Device) bool { return f(d.AssetTag) })
	}
	if statuses := p.choices("status", deviceStatuses); len(q["status"]) > 0 {
		add(func(d *Device) bool { return anyOf(statuses, func(v string) bool { return v == d.Status }) })
	}
	if not := p.choices("status__n", deviceStatuses); len(not) > 0 {
		add(func(d *Device) bool { return !anyOf(not, func(v string) bool { return v == d.Status }) })
	}
	add(relation(p, "site", &st.sites, func(r *Site) string { return r.Slug }, func(d *Device) int { return d.SiteID }))
	add(relation(p, "role", &st.roles, func(r *Role) string { return r.Slug }, func(d *Device) int { return d.RoleID }))
	add(relation(p, "platform", &st.platforms, func(r *Platform) string { return r.Slug }, func(d *Device) int { return d.PlatformID }))
	add(relation(p, "tenant", &st.tenants, func(r *Tenant) string { return r.Slug }, func(d *Device) int { return d.TenantID }))
	add(relation(p, "device_type", &st.deviceTypes, nil, func(d *Device) int { return d.DeviceTypeID }))
	add(relation(p, "rack", &st.racks, nil, func(d *Device) int { return d.RackID }))
	add(relation(p, "cluster", &st.clusters, nil, func(d *Device) int { return d.ClusterID }))
	var locSlug func(*Location) string
	if s.profile.locationSlugFilter {
		locSlug = func(r *Location) string { return r.Slug }
	}
	add(relation(p, "location", &st.locations, locSlug, func(d *Device) int { return d.LocationID }))
	add(relation(p, "manufacturer", &st.manufacturers, func(r *Manufacturer) string { return r.Slug }, func(d *Device) int {
		if dt := st.deviceTypes.get(d.DeviceTypeID); dt != nil {
			return dt.ManufacturerID
		}
		return 0
	}))
	if models := p.slugs("model", bySlug(&st.deviceTypes, func(r *DeviceType) string { return r.Slug })); len(q["model"]) > 0 {
		add(func(d *Device) bool { return containsInt(models, d.DeviceTypeID) })
	}
	add(s.regionFilter(p, func(d *Device) int { return d.SiteID }))
	add(s.tagFilter(p, func(d *Device) []string { return d.Tags }))
	if b := p.boolean("has_primary_ip"); b != nil {
		add(func(d *Device) bool { return (d.PrimaryIP4ID != 0 || d.PrimaryIP6ID != 0) == *b })
	}
	if b := p.boolean("has_oob_ip"); b != nil {
		add(func(d *Device) bool { return (d.OOBIPID != 0) == *b })
	}
	if f := p.numberLookups("primary_ip4_id"); f != nil {
		add(func(d *Device) bool { return f(d.PrimaryIP4ID) })
	}
	if f := p.numberLookups("primary_ip6_id"); f != nil {
		add(func(d *Device) bool { return f(d.PrimaryIP6ID) })
	}
	if f := p.timeLookups("last_updated"); f != nil {
		add(func(d *Device) bool { return f(d.LastUpdated) })
	}
	if f := p.timeLookups("created"); f != nil {
		add(func(d *Device) bool { return f(d.Created) })
	}
	if term := strings.ToLower(strings.TrimSpace(q.Get("q"))); term != "" {
		add(func(d *Device) bool { return s.deviceMatchesSearch(d, term) })
	}
	add(customFieldFilter(p, st.cfDefs("dcim.device"), func(d *Device) map[string]any { return d.CustomFields }))
	if !p.errs.empty() {
		return nil, p.errs
	}

	base := st.devices.ids
	order := ordering(q, map[string]bool{"id": true, "name": true, "serial": true, "created": true, "last_updated": true, "status": true})
	if len(order) == 0 {
		base = st.deviceNameOrder()
	}
	out := make([]int, 0, 64)
	for _, id := range base {
		d := st.devices.rows[id]
		if matchAll(preds, d) {
			out = append(out, id)
		}
	}
	if len(order) > 0 {
		sortDevices(out, st, order)
	}
	return out, fieldErrors{}
}

func matchAll[T any](preds []func(*T) bool, row *T) bool {
	for _, f := range preds {
		if !f(row) {
			return false
		}
	}
	return true
}

func (s *Server) deviceMatchesSearch(d *Device, term string) bool {
	fields := []string{d.Serial, d.Description, d.Comments}
	if d.Name != nil {
		fields = append(fields, *d.Name)
	}
	if d.AssetTag != nil {
		fields = append(fields, *d.AssetTag)
	}
	for _, f := range fields {
		if strings.Contains(strings.ToLower(f), term) {
			return true
		}
	}
	for _, ipID := range []int{d.PrimaryIP4ID, d.PrimaryIP6ID} {
		if ip := s.st.ips.get(ipID); ip != nil && strings.HasPrefix(strings.ToLower(ip.Address), term) {
			return true
		}
	}
	return false
}

// regionFilter adds region/region_id, which match sites in the region's
// whole subtree (TreeNodeMultipleChoiceFilter).
func (s *Server) regionFilter(p *qparser, siteOf func(*Device) int) func(*Device) bool {
	st := s.st
	want := p.slugs("region", bySlug(&st.regions, func(r *Region) string { return r.Slug }))
	want = append(want, p.modelIDs("region_id", exists(&st.regions))...)
	if len(p.q["region"])+len(p.q["region_id"]) == 0 {
		return nil
	}
	return func(d *Device) bool {
		site := st.sites.get(siteOf(d))
		if site == nil {
			return false
		}
		seen := map[int]bool{}
		for r := st.regions.get(site.RegionID); r != nil && !seen[r.ID]; r = st.regions.get(r.ParentID) {
			if containsInt(want, r.ID) {
				return true
			}
			seen[r.ID] = true
		}
		return false
	}
}

// tagFilter adds tag (slugs) and tag_id, both ANDed (conjoined), and
// tag__n. An unknown tag is a 400.
func (s *Server) tagFilter(p *qparser, tagsOf func(*Device) []string) func(*Device) bool {
	st := s.st
	lookup := func(slug string) (int, bool) {
		if t := st.tagBySlug(slug); t != nil {
			return t.ID, true
		}
		return 0, false
	}
	required := p.slugs("tag", lookup)
	if s.profile.tagIDFilter {
		required = append(required, p.modelIDs("tag_id", exists(&st.tags))...)
	}
	excluded := p.slugs("tag__n", lookup)
	if len(required) == 0 && len(excluded) == 0 {
		return nil
	}
	return func(d *Device) bool {
		has := map[int]bool{}
		for _, slug := range tagsOf(d) {
			if t := st.tagBySlug(slug); t != nil {
				has[t.ID] = true
			}
		}
		for _, id := range required {
			if !has[id] {
				return false
			}
		}
		for _, id := range excluded {
			if has[id] {
				return false
			}
		}
		return true
	}
}

// customFieldFilter adds cf_<name>=value. Text fields match loosely
// (icontains, NetBox's default filter logic); other types exactly.
func customFieldFilter[T any](p *qparser, defs []*CustomField, values func(*T) map[string]any) func(*T) bool {
	type cond struct {
		def  *CustomField
		want []string
	}
	var conds []cond
	for _, def := range defs {
		if vals := p.q["cf_"+def.Name]; len(vals) > 0 {
			conds = append(conds, cond{def, vals})
		}
	}
	if len(conds) == 0 {
		return nil
	}
	return func(row *T) bool {
		cfs := values(row)
		for _, c := range conds {
			v, ok := cfs[c.def.Name]
			have := ""
			if ok && v != nil {
				have = fmt.Sprint(v)
			}
			match := anyOf(c.want, func(w string) bool {
				if c.def.Type == "text" {
					return have != "" && strings.Contains(strings.ToLower(have), strings.ToLower(w))
				}
				return strings.EqualFold(have, w) || (w == "null" && (!ok || v == nil))
			})
			if !match {
				return false
			}
		}
		return true
	}
}

func sortDevices(ids []int, st *store, order []string) {
	sort.SliceStable(ids, func(i, j int) bool {
		a, b := st.devices.rows[ids[i]], st.devices.rows[ids[j]]
		for _, f := range order {
			desc := strings.HasPrefix(f, "-")
			c := compareDeviceField(a, b, strings.TrimPrefix(f, "-"))
			if c != 0 {
				return (c < 0) != desc
			}
		}
		return a.ID < b.ID
	})
}

func compareDeviceField(a, b *Device, field string) int {
	switch field {
	case "id":
		return cmpInt(a.ID, b.ID)
	case "name":
		switch {
		case a.Name == nil && b.Name == nil:
			return 0
		case a.Name == nil:
			return 1
		case b.Name == nil:
			return -1
		}
		return naturalCompare(*a.Name, *b.Name)
	case "serial":
		return strings.Compare(a.Serial, b.Serial)
	case "status":
		return strings.Compare(a.Status, b.Status)
	case "created":
		return a.Created.Compare(b.Created)
	case "last_updated":
		return a.LastUpdated.Compare(b.LastUpdated)
	}
	return 0
}

// queryIPAddresses applies IPAddressFilterSet; default ordering is
// (address, pk), addresses compared as PostgreSQL compares inet.
func (s *Server) queryIPAddresses(q url.Values) ([]int, fieldErrors) {
	st := s.st
	p := &qparser{q: q}
	var preds []func(*IPAddress) bool
	add := func(f func(*IPAddress) bool) {
		if f != nil {
			preds = append(preds, f)
		}
	}
	if f := p.numberLookups("id"); f != nil {
		add(func(ip *IPAddress) bool { return f(ip.ID) })
	}
	// device_id/device and virtual_machine_id/virtual_machine are method
	// filters: unknown devices give an empty result, not a 400.
	if ids := p.ints("device_id"); len(q["device_id"]) > 0 {
		add(func(ip *IPAddress) bool {
			d := st.deviceOfIP(ip)
			return d != nil && containsInt(ids, d.ID)
		})
	}
	if names := q["device"]; len(names) > 0 {
		add(func(ip *IPAddress) bool {
			d := st.deviceOfIP(ip)
			return d != nil && d.Name != nil && anyOf(names, func(n string) bool { return n == *d.Name })
		})
	}
	if ids := p.ints("virtual_machine_id"); len(q["virtual_machine_id"]) > 0 {
		add(func(ip *IPAddress) bool {
			vm := st.vmOfIP(ip)
			return vm != nil && containsInt(ids, vm.ID)
		})
	}
	if names := q["virtual_machine"]; len(names) > 0 {
		add(func(ip *IPAddress) bool {
			vm := st.vmOfIP(ip)
			return vm != nil && anyOf(names, func(n string) bool { return n == vm.Name })
		})
	}
	if ids := p.ints("interface_id"); len(q["interface_id"]) > 0 {
		add(func(ip *IPAddress) bool { return containsInt(ids, ip.InterfaceID) })
	}
	if ids := p.ints("assigned_object_id"); len(q["assigned_object_id"]) > 0 {
		add(func(ip *IPAddress) bool { return containsInt(ids, ip.InterfaceID) })
	}
	if b := p.boolean("assigned"); b != nil {
		add(func(ip *IPAddress) bool { return (ip.InterfaceID != 0) == *b })
	}
	if addrs := q["address"]; len(addrs) > 0 {
		add(func(ip *IPAddress) bool {
			host := hostOf(ip.Address)
			return anyOf(addrs, func(a string) bool {
				want := hostOf(a)
				return want.IsValid() && host == want
			})
		})
	}
	if fam := q.Get("family"); fam != "" {
		switch fam {
		case "4", "6":
			add(func(ip *IPAddress) bool { return familyOf(ip.Address) == fam })
		default:
			p.errs.add("family", fmt.Sprintf("Select a valid choice. %s is not one of the available choices.", fam))
		}
	}
	if parents := q["parent"]; len(parents) > 0 {
		var prefixes []netip.Prefix
		for _, raw := range parents {
			if pfx, err := netip.ParsePrefix(raw); err == nil {
				prefixes = append(prefixes, pfx.Masked())
			}
		}
		add(func(ip *IPAddress) bool {
			h := hostOf(ip.Address)
			return anyOf(prefixes, func(pfx netip.Prefix) bool { return pfx.Contains(h) })
		})
	}
	if statuses := p.choices("status", ipStatuses); len(q["status"]) > 0 {
		add(func(ip *IPAddress) bool { return anyOf(statuses, func(v string) bool { return v == ip.Status }) })
	}
	if roles := p.choices("role", ipRoles); len(q["role"]) > 0 {
		add(func(ip *IPAddress) bool { return anyOf(roles, func(v string) bool { return v == ip.Role }) })
	}
	if f := p.stringLookups("dns_name"); f != nil {
		add(func(ip *IPAddress) bool { return f(&ip.DNSName) })
	}
	if vrfs := p.modelIDs("vrf_id", exists(&st.vrfs)); len(q["vrf_id"]) > 0 {
		add(func(ip *IPAddress) bool { return containsInt(vrfs, ip.VRFID) })
	}
	if f := p.timeLookups("last_updated"); f != nil {
		add(func(ip *IPAddress) bool { return f(ip.LastUpdated) })
	}
	if f := p.timeLookups("created"); f != nil {
		add(func(ip *IPAddress) bool { return f(ip.Created) })
	}
	if term := strings.ToLower(strings.TrimSpace(q.Get("q"))); term != "" {
		add(func(ip *IPAddress) bool {
			return strings.Contains(strings.ToLower(ip.DNSName), term) ||
				strings.Contains(strings.ToLower(ip.Description), term) ||
				strings.HasPrefix(strings.ToLower(ip.Address), term)
		})
	}
	lookup := func(slug string) (int, bool) {
		if t := st.tagBySlug(slug); t != nil {
			return t.ID, true
		}
		return 0, false
	}
	if tags := p.slugs("tag", lookup); len(q["tag"]) > 0 {
		add(func(ip *IPAddress) bool {
			for _, id := range tags {
				if !anyOf(ip.Tags, func(s string) bool { t := st.tagBySlug(s); return t != nil && t.ID == id }) {
					return false
				}
			}
			return true
		})
	}
	if !p.errs.empty() {
		return nil, p.errs
	}
	var out []int
	for _, id := range st.ips.ids {
		if ip := st.ips.rows[id]; matchAll(preds, ip) {
			out = append(out, id)
		}
	}
	order := ordering(q, map[string]bool{"id": true, "address": true, "last_updated": true, "created": true, "dns_name": true})
	sort.SliceStable(out, func(i, j int) bool {
		a, b := st.ips.rows[out[i]], st.ips.rows[out[j]]
		for _, f := range order {
			desc := strings.HasPrefix(f, "-")
			var c int
			switch strings.TrimPrefix(f, "-") {
			case "id":
				c = cmpInt(a.ID, b.ID)
			case "address":
				c = compareAddress(a.Address, b.Address)
			case "last_updated":
				c = a.LastUpdated.Compare(b.LastUpdated)
			case "created":
				c = a.Created.Compare(b.Created)
			case "dns_name":
				c = strings.Compare(a.DNSName, b.DNSName)
			}
			if c != 0 {
				return (c < 0) != desc
			}
		}
		if len(order) == 0 {
			if c := compareAddress(a.Address, b.Address); c != 0 {
				return c < 0
			}
		}
		return a.ID < b.ID
	})
	return out, fieldErrors{}
}

// queryVMs applies the subset of VirtualMachineFilterSet wugsync uses.
func (s *Server) queryVMs(q url.Values) ([]int, fieldErrors) {
	st := s.st
	p := &qparser{q: q}
	var preds []func(*VirtualMachine) bool
	add := func(f func(*VirtualMachine) bool) {
		if f != nil {
			preds = append(preds, f)
		}
	}
	if f := p.numberLookups("id"); f != nil {
		add(func(vm *VirtualMachine) bool { return f(vm.ID) })
	}
	if f := p.stringLookups("name"); f != nil {
		add(func(vm *VirtualMachine) bool { return f(&vm.Name) })
	}
	if statuses := p.choices("status", vmStatuses); len(q["status"]) > 0 {
		add(func(vm *VirtualMachine) bool { return anyOf(statuses, func(v string) bool { return v == vm.Status }) })
	}
	// Reuse the device relation filters through a projection onto Device.
	proj := func(vm *VirtualMachine) *Device {
		return &Device{ID: vm.ID, SiteID: vm.SiteID, RoleID: vm.RoleID, PlatformID: vm.PlatformID,
			TenantID: vm.TenantID, ClusterID: vm.ClusterID, Tags: vm.Tags}
	}
	for _, f := range []func(*Device) bool{
		relation(p, "site", &st.sites, func(r *Site) string { return r.Slug }, func(d *Device) int { return d.SiteID }),
		relation(p, "role", &st.roles, func(r *Role) string { return r.Slug }, func(d *Device) int { return d.RoleID }),
		relation(p, "platform", &st.platforms, func(r *Platform) string { return r.Slug }, func(d *Device) int { return d.PlatformID }),
		relation(p, "tenant", &st.tenants, func(r *Tenant) string { return r.Slug }, func(d *Device) int { return d.TenantID }),
		// VMs filter clusters by name too (to_field_name='name'); devices
		// by id only.
		relation(p, "cluster", &st.clusters, func(r *Cluster) string { return r.Name }, func(d *Device) int { return d.ClusterID }),
		s.regionFilter(p, func(d *Device) int { return d.SiteID }),
		s.tagFilter(p, func(d *Device) []string { return d.Tags }),
	} {
		if f != nil {
			add(func(vm *VirtualMachine) bool { return f(proj(vm)) })
		}
	}
	if b := p.boolean("has_primary_ip"); b != nil {
		add(func(vm *VirtualMachine) bool { return (vm.PrimaryIP4ID != 0 || vm.PrimaryIP6ID != 0) == *b })
	}
	if f := p.timeLookups("last_updated"); f != nil {
		add(func(vm *VirtualMachine) bool { return f(vm.LastUpdated) })
	}
	if term := strings.ToLower(strings.TrimSpace(q.Get("q"))); term != "" {
		add(func(vm *VirtualMachine) bool { return strings.Contains(strings.ToLower(vm.Name), term) })
	}
	add(customFieldFilter(p, st.cfDefs("virtualization.virtualmachine"), func(vm *VirtualMachine) map[string]any { return vm.CustomFields }))
	if !p.errs.empty() {
		return nil, p.errs
	}
	var out []int
	for _, id := range st.vms.ids {
		if vm := st.vms.rows[id]; matchAll(preds, vm) {
			out = append(out, id)
		}
	}
	order := ordering(q, map[string]bool{"id": true, "name": true, "last_updated": true})
	sort.SliceStable(out, func(i, j int) bool {
		a, b := st.vms.rows[out[i]], st.vms.rows[out[j]]
		for _, f := range order {
			desc := strings.HasPrefix(f, "-")
			var c int
			switch strings.TrimPrefix(f, "-") {
			case "id":
				c = cmpInt(a.ID, b.ID)
			case "name":
				c = naturalCompare(a.Name, b.Name)
			case "last_updated":
				c = a.LastUpdated.Compare(b.LastUpdated)
			}
			if c != 0 {
				return (c < 0) != desc
			}
		}
		if len(order) == 0 {
			if c := naturalCompare(a.Name, b.Name); c != 0 {
				return c < 0
			}
		}
		return a.ID < b.ID
	})
	return out, fieldErrors{}
}

// querySimple filters the small models by id (with lookups), name, slug and
// q, ordered by name then id unless ordering says otherwise.
//
// stamp, when not nil, is a row's last_updated: the created/last_updated
// lookups every ChangeLoggedModelFilterSet has (last_updated__gte is how an
// incremental export notices a renamed site or role, reference §2.2).
func querySimple(q url.Values, ids []int, name func(int) string, slug func(int) string, stamp func(int) time.Time, extra func(*qparser) func(int) bool) ([]int, fieldErrors) {
	p := &qparser{q: q}
	idf := p.numberLookups("id")
	var updated func(time.Time) bool
	if stamp != nil {
		updated = p.timeLookups("last_updated")
	}
	names := q["name"]
	slugs := q["slug"]
	term := strings.ToLower(strings.TrimSpace(q.Get("q")))
	var more func(int) bool
	if extra != nil {
		more = extra(p)
	}
	if !p.errs.empty() {
		return nil, p.errs
	}
	var out []int
	for _, id := range ids {
		n := name(id)
		switch {
		case idf != nil && !idf(id):
		case updated != nil && !updated(stamp(id)):
		case len(names) > 0 && !anyOf(names, func(x string) bool { return strings.EqualFold(x, n) }):
		case len(slugs) > 0 && (slug == nil || !anyOf(slugs, func(x string) bool { return x == slug(id) })):
		case term != "" && !strings.Contains(strings.ToLower(n), term):
		case more != nil && !more(id):
		default:
			out = append(out, id)
		}
	}
	order := ordering(q, map[string]bool{"id": true, "name": true})
	sort.SliceStable(out, func(i, j int) bool {
		for _, f := range order {
			desc := strings.HasPrefix(f, "-")
			var c int
			if strings.TrimPrefix(f, "-") == "id" {
				c = cmpInt(out[i], out[j])
			} else {
				c = naturalCompare(name(out[i]), name(out[j]))
			}
			if c != 0 {
				return (c < 0) != desc
			}
		}
		if len(order) == 0 {
			if c := naturalCompare(name(out[i]), name(out[j])); c != 0 {
				return c < 0
			}
		}
		return out[i] < out[j]
	})
	return out, fieldErrors{}
}

func hostOf(address string) netip.Addr {
	if i := strings.IndexByte(address, '/'); i >= 0 {
		address = address[:i]
	}
	a, _ := netip.ParseAddr(strings.TrimSpace(address))
	return a
}

func familyOf(address string) string {
	if h := hostOf(address); h.Is6() && !h.Is4In6() {
		return "6"
	}
	return "4"
}

func compareAddress(a, b string) int {
	pa, errA := netip.ParsePrefix(a)
	pb, errB := netip.ParsePrefix(b)
	if errA != nil || errB != nil {
		return strings.Compare(a, b)
	}
	if c := pa.Addr().Compare(pb.Addr()); c != 0 {
		return c
	}
	return cmpInt(pa.Bits(), pb.Bits())
}

// timeOrZero is a helper for change-log filters.
func timeOrZero(ts []time.Time) time.Time {
	if len(ts) == 0 {
		return time.Time{}
	}
	return ts[0]
}
