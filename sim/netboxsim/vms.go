package netboxsim

import (
	"encoding/json"
	"fmt"
	"strings"
)

// Virtual machines change like devices: validated as NetBox's model and
// serializer do, saved with a new last_updated, change-logged, and sent to
// the event rules for virtualization.virtualmachine.

const vmType = "virtualization.virtualmachine"

// VirtualMachines returns a copy of every VM, in id order.
func (s *Server) VirtualMachines() []VirtualMachine {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return derefAll(s.st.vms.all(), VirtualMachine.clone)
}

// VirtualMachine returns a copy of one VM.
func (s *Server) VirtualMachine(id int) (VirtualMachine, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	vm := s.st.vms.get(id)
	if vm == nil {
		return VirtualMachine{}, false
	}
	return vm.clone(), true
}

// CreateVirtualMachine adds a VM (its ID is assigned) and fires a "created"
// webhook.
func (s *Server) CreateVirtualMachine(vm VirtualMachine) (VirtualMachine, error) {
	var out VirtualMachine
	err := s.goAPI(func(t *tx) error {
		row, errs := t.createVM(vm)
		if !errs.empty() {
			return errs.err("create virtual machine")
		}
		out = row.clone()
		return nil
	})
	return out, err
}

// UpdateVirtualMachine applies fn to a copy of the VM, validates and saves
// it, and fires an "updated" webhook.
func (s *Server) UpdateVirtualMachine(id int, fn func(*VirtualMachine)) (VirtualMachine, error) {
	var out VirtualMachine
	err := s.goAPI(func(t *tx) error {
		row, errs, found := t.updateVM(id, fn)
		switch {
		case !found:
			return fmt.Errorf("update virtual machine %d: %w", id, ErrNotFound)
		case !errs.empty():
			return errs.err(fmt.Sprintf("update virtual machine %d", id))
		}
		out = row.clone()
		return nil
	})
	return out, err
}

// DeleteVirtualMachine removes a VM with its interfaces and their IP
// addresses, firing "deleted" webhooks.
func (s *Server) DeleteVirtualMachine(id int) error {
	return s.goAPI(func(t *tx) error {
		if !t.deleteVM(id) {
			return fmt.Errorf("delete virtual machine %d: %w", id, ErrNotFound)
		}
		return nil
	})
}

func (t *tx) createVM(vm VirtualMachine) (*VirtualMachine, fieldErrors) {
	st := t.s.st
	vm = vm.clone()
	vm.ID = st.vms.nextID()
	if vm.Status == "" {
		vm.Status = "active"
	}
	if errs := st.validateVM(&vm); !errs.empty() {
		return nil, errs
	}
	now := t.s.now()
	vm.Created, vm.LastUpdated = now, now
	row := &vm
	st.vms.insert(row)
	st.invalidate()
	t.onRollback(func() { st.vms.remove(row.ID); st.invalidate() })
	t.record(vmType, vm.ID, actionCreate, vm.Name, nil, st.vmSnapshot(row, false), t.s.eventCtx().virtualMachine(row, renderMode{}))
	return row, fieldErrors{}
}

func (t *tx) updateVM(id int, fn func(*VirtualMachine)) (*VirtualMachine, fieldErrors, bool) {
	st := t.s.st
	cur := st.vms.get(id)
	if cur == nil {
		return nil, fieldErrors{}, false
	}
	next := cur.clone()
	fn(&next)
	next.ID, next.Created = cur.ID, cur.Created
	if errs := st.validateVM(&next); !errs.empty() {
		return nil, errs, true
	}
	pre := st.vmSnapshot(cur, true)
	next.LastUpdated = t.s.now()
	old := cur.clone()
	t.onRollback(func() { *cur = old; st.invalidate() })
	*cur = next
	st.invalidate()
	t.record(vmType, id, actionUpdate, cur.Name, pre, st.vmSnapshot(cur, false), t.s.eventCtx().virtualMachine(cur, renderMode{}))
	return cur, fieldErrors{}, true
}

// deleteVM removes the VM, its interfaces and the addresses on them.
func (t *tx) deleteVM(id int) bool {
	st := t.s.st
	vm := st.vms.get(id)
	if vm == nil {
		return false
	}
	data := t.s.eventCtx().virtualMachine(vm, renderMode{})
	pre := st.vmSnapshot(vm, true)
	idx := st.indexes()
	ifaces := append([]int(nil), idx.vmInterfaces[id]...)
	var ips []int
	for _, ifaceID := range ifaces {
		ips = append(ips, idx.interfaceIPs[ifaceID]...)
	}
	// The VM goes first so that its addresses' deletion does not save it.
	st.vms.remove(id)
	st.invalidate()
	for _, ipID := range ips {
		t.deleteIP(ipID)
	}
	for _, ifaceID := range ifaces {
		st.interfaces.remove(ifaceID)
	}
	st.invalidate()
	t.record(vmType, id, actionDelete, vm.Name, pre, nil, data)
	return true
}

// validateVM applies VirtualMachine.clean() and the serializer's checks.
func (st *store) validateVM(vm *VirtualMachine) fieldErrors {
	var errs fieldErrors
	switch {
	case strings.TrimSpace(vm.Name) == "":
		errs.add("name", "This field may not be blank.")
	case len([]rune(vm.Name)) > 64:
		errs.add("name", "Ensure this field has no more than 64 characters.")
	}
	if _, ok := vmStatuses[vm.Status]; !ok {
		errs.add("status", fmt.Sprintf("%q is not a valid choice.", vm.Status))
	}
	for _, r := range []struct {
		field string
		id    int
		ok    bool
	}{
		{"site", vm.SiteID, st.sites.get(vm.SiteID) != nil},
		{"cluster", vm.ClusterID, st.clusters.get(vm.ClusterID) != nil},
		{"role", vm.RoleID, st.roles.get(vm.RoleID) != nil},
		{"tenant", vm.TenantID, st.tenants.get(vm.TenantID) != nil},
		{"platform", vm.PlatformID, st.platforms.get(vm.PlatformID) != nil},
	} {
		if r.id != 0 && !r.ok {
			errs.add(r.field, notFoundID(r.id))
		}
	}
	if vm.SiteID == 0 && vm.ClusterID == 0 {
		errs.add("cluster", "A virtual machine must be assigned to a site and/or cluster.")
	}
	if c := st.clusters.get(vm.ClusterID); c != nil && c.SiteID != 0 && vm.SiteID != 0 && c.SiteID != vm.SiteID {
		errs.add("cluster", fmt.Sprintf("The selected cluster (%s) is not assigned to this site (%s).", c.Name, st.siteName(vm.SiteID)))
	}
	for _, other := range st.vms.rows {
		if other.ID != vm.ID && strings.EqualFold(other.Name, vm.Name) && other.ClusterID == vm.ClusterID &&
			other.TenantID == vm.TenantID && vm.ClusterID != 0 {
			errs.add("__all__", "Virtual machine name must be unique per cluster.")
			break
		}
	}
	for _, p := range []struct {
		field  string
		id     int
		family string
	}{{"primary_ip4", vm.PrimaryIP4ID, "4"}, {"primary_ip6", vm.PrimaryIP6ID, "6"}} {
		if p.id == 0 {
			continue
		}
		ip := st.ips.get(p.id)
		switch {
		case ip == nil:
			errs.add(p.field, notFoundID(p.id))
		case familyOf(ip.Address) != p.family:
			errs.add(p.field, fmt.Sprintf("Must be an IPv%s address. (%s is an IPv%s address.)", p.family, ip.Address, familyOf(ip.Address)))
		case st.vmOfIP(ip) == nil || st.vmOfIP(ip).ID != vm.ID:
			errs.add(p.field, fmt.Sprintf("The specified IP address (%s) is not assigned to this VM.", ip.Address))
		}
	}
	for _, slug := range vm.Tags {
		if st.tagBySlug(slug) == nil {
			errs.add("tags", fmt.Sprintf("Related object not found using the provided attributes: {'slug': '%s'}", slug))
		}
	}
	if vm.CustomFields == nil {
		vm.CustomFields = map[string]any{}
	}
	st.cleanCustomFields(&errs, vmType, vm.CustomFields)
	return errs
}

// vmSnapshot is serialize_object(virtual_machine).
func (st *store) vmSnapshot(vm *VirtualMachine, pre bool) any {
	o := obj{{"created", snapTime(vm.Created)}}
	if !pre {
		o = append(o, kv{"last_updated", snapTime(vm.LastUpdated)})
	}
	var vcpus any
	if vm.VCPUs != 0 {
		vcpus = fmt.Sprintf("%.2f", vm.VCPUs)
	}
	return append(o,
		kv{"custom_fields", st.cfValues(vmType, vm.CustomFields)},
		kv{"description", vm.Description},
		kv{"comments", vm.Comments},
		kv{"local_context_data", nil},
		kv{"config_template", nil},
		kv{"site", nullID(vm.SiteID)},
		kv{"cluster", nullID(vm.ClusterID)},
		kv{"device", nil},
		kv{"serial", vm.Serial},
		kv{"role", nullID(vm.RoleID)},
		kv{"tenant", nullID(vm.TenantID)},
		kv{"platform", nullID(vm.PlatformID)},
		kv{"name", vm.Name},
		kv{"status", vm.Status},
		kv{"primary_ip4", nullID(vm.PrimaryIP4ID)},
		kv{"primary_ip6", nullID(vm.PrimaryIP6ID)},
		kv{"vcpus", vcpus},
		kv{"memory", nullID(vm.MemoryMB)},
		kv{"disk", nullID(vm.DiskGB)},
		kv{"interface_count", len(st.indexes().vmInterfaces[vm.ID])},
		kv{"virtual_disk_count", 0},
		kv{"tags", stringsAny(st.sortedTagNames(vm.Tags))},
	)
}

// applyVM writes a body's fields onto vm; unknown keys are ignored.
func applyVM(st *store, vm *VirtualMachine, b body) fieldErrors {
	var errs fieldErrors
	for k, v := range b {
		switch k {
		case "name", "serial", "description", "comments":
			s, ok := str(&errs, k, v, false)
			if !ok {
				continue
			}
			switch k {
			case "name":
				vm.Name = *s
			case "serial":
				vm.Serial = *s
			case "description":
				vm.Description = *s
			default:
				vm.Comments = *s
			}
		case "status":
			if c, ok := choiceValue(&errs, k, v, vmStatuses, false); ok {
				vm.Status = c
			}
		case "site":
			if id, ok := ref(&errs, k, v, &st.sites, nameSlug(func(r *Site) string { return r.Name }, func(r *Site) string { return r.Slug }), true); ok {
				vm.SiteID = id
			}
		case "cluster":
			if id, ok := ref(&errs, k, v, &st.clusters, nameSlug(func(r *Cluster) string { return r.Name }, nil), true); ok {
				vm.ClusterID = id
			}
		case "role":
			if id, ok := ref(&errs, k, v, &st.roles, nameSlug(func(r *Role) string { return r.Name }, func(r *Role) string { return r.Slug }), true); ok {
				vm.RoleID = id
			}
		case "tenant":
			if id, ok := ref(&errs, k, v, &st.tenants, nameSlug(func(r *Tenant) string { return r.Name }, func(r *Tenant) string { return r.Slug }), true); ok {
				vm.TenantID = id
			}
		case "platform":
			if id, ok := ref(&errs, k, v, &st.platforms, nameSlug(func(r *Platform) string { return r.Name }, func(r *Platform) string { return r.Slug }), true); ok {
				vm.PlatformID = id
			}
		case "primary_ip4", "primary_ip6":
			id, ok := ref(&errs, k, v, &st.ips, nameSlug(func(r *IPAddress) string { return r.Address }, nil), true)
			if !ok {
				continue
			}
			if k == "primary_ip4" {
				vm.PrimaryIP4ID = id
			} else {
				vm.PrimaryIP6ID = id
			}
		case "vcpus":
			switch x := v.(type) {
			case nil:
				vm.VCPUs = 0
			case json.Number:
				f, _ := x.Float64()
				vm.VCPUs = f
			default:
				errs.add(k, "A valid number is required.")
			}
		case "memory", "disk":
			n := 0
			if v != nil {
				var ok bool
				if n, ok = intField(&errs, k, v); !ok {
					continue
				}
			}
			if k == "memory" {
				vm.MemoryMB = n
			} else {
				vm.DiskGB = n
			}
		case "tags":
			if tags, ok := tagSlugs(&errs, st, v); ok {
				vm.Tags = tags
			}
		case "custom_fields":
			if cf, ok := customFieldsBody(&errs, v, vm.CustomFields); ok {
				vm.CustomFields = cf
			}
		}
	}
	return errs
}
