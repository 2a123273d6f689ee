package netboxsim

import (
	"net/netip"
	"slices"
	"sort"
	"time"
)

// renderCtx renders rows in REST form for one request: base is the
// absolute origin for REST answers and "" for webhook data, whose URLs are
// relative because NetBox serializes events without a request.
type renderCtx struct {
	st   *store
	p    profile
	base string
	idx  *indexes
}

func (rc renderCtx) api(path string) string { return rc.base + "/api/" + path }
func (rc renderCtx) ui(path string) string  { return rc.base + "/" + path }

// --- nested (brief) forms -------------------------------------------------

func (rc renderCtx) nestedRegion(id int) any {
	r := rc.st.regions.get(id)
	if r == nil {
		return nil
	}
	o := obj{
		{"id", r.ID}, {"url", rc.api("dcim/regions/" + itoa(r.ID) + "/")}, {"display", r.Name},
		{"name", r.Name}, {"slug", r.Slug}, {"description", r.Description},
	}
	if rc.p.nestedCounts {
		o = append(o, kv{"site_count", 0})
	}
	return append(o, kv{"_depth", rc.st.regionDepth(r)})
}

func (rc renderCtx) nestedSite(id int) any {
	s := rc.st.sites.get(id)
	if s == nil {
		return nil
	}
	return obj{
		{"id", s.ID}, {"url", rc.api("dcim/sites/" + itoa(s.ID) + "/")}, {"display", s.Name},
		{"name", s.Name}, {"slug", s.Slug}, {"description", s.Description},
	}
}

func (rc renderCtx) nestedRole(id int) any {
	r := rc.st.roles.get(id)
	if r == nil {
		return nil
	}
	o := obj{
		{"id", r.ID}, {"url", rc.api("dcim/device-roles/" + itoa(r.ID) + "/")}, {"display", r.Name},
		{"name", r.Name}, {"slug", r.Slug}, {"description", r.Description},
	}
	if rc.p.nestedCounts {
		o = append(o, kv{"device_count", 0}, kv{"virtualmachine_count", 0})
	}
	if rc.p.roleDepth {
		o = append(o, kv{"_depth", 0})
	}
	return o
}

func (rc renderCtx) nestedPlatform(id int) any {
	p := rc.st.platforms.get(id)
	if p == nil {
		return nil
	}
	o := obj{
		{"id", p.ID}, {"url", rc.api("dcim/platforms/" + itoa(p.ID) + "/")}, {"display", p.Name},
		{"name", p.Name}, {"slug", p.Slug}, {"description", ""},
	}
	if rc.p.nestedCounts {
		o = append(o, kv{"device_count", 0}, kv{"virtualmachine_count", 0}, kv{"_depth", 0})
	}
	return o
}

func (rc renderCtx) nestedTenant(id int) any {
	t := rc.st.tenants.get(id)
	if t == nil {
		return nil
	}
	return obj{
		{"id", t.ID}, {"url", rc.api("tenancy/tenants/" + itoa(t.ID) + "/")}, {"display", t.Name},
		{"name", t.Name}, {"slug", t.Slug}, {"description", ""},
	}
}

func (rc renderCtx) nestedManufacturer(id int) any {
	m := rc.st.manufacturers.get(id)
	if m == nil {
		return nil
	}
	return obj{
		{"id", m.ID}, {"url", rc.api("dcim/manufacturers/" + itoa(m.ID) + "/")}, {"display", m.Name},
		{"name", m.Name}, {"slug", m.Slug}, {"description", ""},
	}
}

func (rc renderCtx) nestedDeviceType(id int) any {
	dt := rc.st.deviceTypes.get(id)
	if dt == nil {
		return nil
	}
	return obj{
		{"id", dt.ID}, {"url", rc.api("dcim/device-types/" + itoa(dt.ID) + "/")}, {"display", dt.Model},
		{"manufacturer", rc.nestedManufacturer(dt.ManufacturerID)},
		{"model", dt.Model}, {"slug", dt.Slug}, {"description", ""},
	}
}

func (rc renderCtx) nestedLocation(id int) any {
	l := rc.st.locations.get(id)
	if l == nil {
		return nil
	}
	return obj{
		{"id", l.ID}, {"url", rc.api("dcim/locations/" + itoa(l.ID) + "/")}, {"display", l.Name},
		{"name", l.Name}, {"slug", l.Slug}, {"description", ""}, {"rack_count", 0}, {"_depth", 0},
	}
}

func (rc renderCtx) nestedRack(id int) any {
	r := rc.st.racks.get(id)
	if r == nil {
		return nil
	}
	display := r.Name
	if r.FacilityID != "" {
		display = r.Name + " (" + r.FacilityID + ")"
	}
	return obj{
		{"id", r.ID}, {"url", rc.api("dcim/racks/" + itoa(r.ID) + "/")}, {"display", display},
		{"name", r.Name}, {"description", ""},
	}
}

func (rc renderCtx) nestedCluster(id int) any {
	c := rc.st.clusters.get(id)
	if c == nil {
		return nil
	}
	return obj{
		{"id", c.ID}, {"url", rc.api("virtualization/clusters/" + itoa(c.ID) + "/")}, {"display", c.Name},
		{"name", c.Name}, {"description", ""},
	}
}

func (rc renderCtx) nestedVRF(id int) any {
	v := rc.st.vrfs.get(id)
	if v == nil {
		return nil
	}
	return obj{
		{"id", v.ID}, {"url", rc.api("ipam/vrfs/" + itoa(v.ID) + "/")}, {"display", v.Name},
		{"name", v.Name}, {"rd", nullIfEmpty(v.RD)}, {"description", ""},
	}
}

func (rc renderCtx) nestedIP(id int) any {
	ip := rc.st.ips.get(id)
	if ip == nil {
		return nil
	}
	return obj{
		{"id", ip.ID}, {"url", rc.api("ipam/ip-addresses/" + itoa(ip.ID) + "/")}, {"display", ip.Address},
		{"family", familyChoice(ip.Address)}, {"address", ip.Address}, {"description", ip.Description},
	}
}

func (rc renderCtx) nestedDevice(id int) any {
	d := rc.st.devices.get(id)
	if d == nil {
		return nil
	}
	return obj{
		{"id", d.ID}, {"url", rc.api("dcim/devices/" + itoa(d.ID) + "/")}, {"display", rc.st.deviceDisplay(d)},
		{"name", d.Name}, {"description", d.Description},
	}
}

func (rc renderCtx) nestedVM(id int) any {
	vm := rc.st.vms.get(id)
	if vm == nil {
		return nil
	}
	return obj{
		{"id", vm.ID}, {"url", rc.api("virtualization/virtual-machines/" + itoa(vm.ID) + "/")}, {"display", vm.Name},
		{"name", vm.Name}, {"description", vm.Description},
	}
}

func (rc renderCtx) nestedInterface(id int) any {
	i := rc.st.interfaces.get(id)
	if i == nil {
		return nil
	}
	if i.VirtualMachineID != 0 {
		return obj{
			{"id", i.ID}, {"url", rc.api("virtualization/interfaces/" + itoa(i.ID) + "/")}, {"display", i.Name},
			{"virtual_machine", rc.nestedVM(i.VirtualMachineID)}, {"name", i.Name}, {"description", ""},
		}
	}
	return obj{
		{"id", i.ID}, {"url", rc.api("dcim/interfaces/" + itoa(i.ID) + "/")}, {"display", i.Name},
		{"device", rc.nestedDevice(i.DeviceID)}, {"name", i.Name}, {"description", ""},
		{"cable", nil}, {"_occupied", false},
	}
}

// nestedObject renders a device, VM, site or IP address in brief form by
// its object type, nil for other types or a missing object.
func (rc renderCtx) nestedObject(objectType string, id int) any {
	switch objectType {
	case "dcim.device":
		return rc.nestedDevice(id)
	case "virtualization.virtualmachine":
		return rc.nestedVM(id)
	case "dcim.site":
		return rc.nestedSite(id)
	case "ipam.ipaddress":
		return rc.nestedIP(id)
	}
	return nil
}

// tags renders NestedTagSerializer objects, ordered by name like the Tag
// model.
func (rc renderCtx) tags(slugs []string) []any {
	found := make([]*Tag, 0, len(slugs))
	for _, slug := range slugs {
		if t := rc.st.tagBySlug(slug); t != nil {
			found = append(found, t)
		}
	}
	sort.Slice(found, func(i, j int) bool { return found[i].Name < found[j].Name })
	out := make([]any, len(found))
	for i, t := range found {
		out[i] = obj{
			{"id", t.ID}, {"url", rc.api("extras/tags/" + itoa(t.ID) + "/")},
			{"display_url", rc.ui("extras/tags/" + itoa(t.ID) + "/")}, {"display", t.Name},
			{"name", t.Name}, {"slug", t.Slug}, {"color", t.Color},
		}
	}
	return out
}

// --- full forms -----------------------------------------------------------

// renderMode selects the serializer variant of a list or detail answer.
type renderMode struct {
	brief         bool
	configContext bool
	// fields is the request's fields= whitelist (nil: every field).
	fields map[string]bool
}

// pick is what f renders for key k, or nil when fields= leaves k out:
// NetBox trims its prefetches to the requested fields (reference §2.3),
// so a trimmed listing costs it, and the simulator, what it returns. The
// entry itself stays for shaping.apply to drop.
func (m renderMode) pick(k string, f func() any) any {
	if m.fields != nil && !m.fields[k] {
		return nil
	}
	return f()
}

func (rc renderCtx) device(d *Device, mode renderMode) obj {
	url := rc.api("dcim/devices/" + itoa(d.ID) + "/")
	if mode.brief {
		return obj{{"id", d.ID}, {"url", url}, {"display", rc.st.deviceDisplay(d)}, {"name", d.Name}, {"description", d.Description}}
	}
	counts := rc.idx.deviceInterfaces[d.ID]
	o := obj{
		{"id", d.ID},
		{"url", url},
		{"display_url", mode.pick("display_url", func() any { return rc.ui("dcim/devices/" + itoa(d.ID) + "/") })},
		{"display", mode.pick("display", func() any { return rc.st.deviceDisplay(d) })},
		{"name", d.Name},
		{"device_type", mode.pick("device_type", func() any { return rc.nestedDeviceType(d.DeviceTypeID) })},
		{"role", mode.pick("role", func() any { return rc.nestedRole(d.RoleID) })},
		{"tenant", mode.pick("tenant", func() any { return rc.nestedTenant(d.TenantID) })},
		{"platform", mode.pick("platform", func() any { return rc.nestedPlatform(d.PlatformID) })},
		{"serial", d.Serial},
		{"asset_tag", d.AssetTag},
		{"site", mode.pick("site", func() any { return rc.nestedSite(d.SiteID) })},
		{"location", mode.pick("location", func() any { return rc.nestedLocation(d.LocationID) })},
		{"rack", mode.pick("rack", func() any { return rc.nestedRack(d.RackID) })},
		{"position", d.Position},
		{"face", choice(d.Face, faces)},
		{"latitude", nil},
		{"longitude", nil},
		{"parent_device", nil},
		{"status", choice(d.Status, deviceStatuses)},
		{"airflow", choice(d.Airflow, airflows)},
		{"primary_ip", mode.pick("primary_ip", func() any { return rc.nestedIP(primaryIP(d.PrimaryIP4ID, d.PrimaryIP6ID)) })},
		{"primary_ip4", mode.pick("primary_ip4", func() any { return rc.nestedIP(d.PrimaryIP4ID) })},
		{"primary_ip6", mode.pick("primary_ip6", func() any { return rc.nestedIP(d.PrimaryIP6ID) })},
		{"oob_ip", mode.pick("oob_ip", func() any { return rc.nestedIP(d.OOBIPID) })},
		{"cluster", mode.pick("cluster", func() any { return rc.nestedCluster(d.ClusterID) })},
		{"virtual_chassis", nil},
		{"vc_position", nil},
		{"vc_priority", nil},
		{"description", d.Description},
	}
	if rc.p.owner {
		o = append(o, kv{"owner", nil})
	}
	o = append(o,
		kv{"comments", d.Comments},
		kv{"config_template", nil},
	)
	if mode.configContext {
		cc := d.ConfigContext
		if cc == nil {
			cc = map[string]any{}
		}
		o = append(o, kv{"config_context", cc})
	}
	o = append(o,
		kv{"local_context_data", nil},
		kv{"tags", mode.pick("tags", func() any { return rc.tags(d.Tags) })},
		kv{"custom_fields", mode.pick("custom_fields", func() any { return rc.st.cfValues("dcim.device", d.CustomFields) })},
		kv{"created", nullTime(d.Created)},
		kv{"last_updated", nullTime(d.LastUpdated)},
		kv{"console_port_count", 1},
		kv{"console_server_port_count", 0},
		kv{"power_port_count", 2},
		kv{"power_outlet_count", 0},
		kv{"interface_count", len(counts)},
		kv{"front_port_count", 0},
		kv{"rear_port_count", 0},
		kv{"device_bay_count", 0},
		kv{"module_bay_count", 0},
		kv{"inventory_item_count", 0},
	)
	return o
}

func (rc renderCtx) ipAddress(ip *IPAddress, mode renderMode) obj {
	url := rc.api("ipam/ip-addresses/" + itoa(ip.ID) + "/")
	if mode.brief {
		return obj{{"id", ip.ID}, {"url", url}, {"display", ip.Address}, {"family", familyChoice(ip.Address)}, {"address", ip.Address}, {"description", ip.Description}}
	}
	var aoType, aoID, ao any
	if iface := rc.st.interfaces.get(ip.InterfaceID); iface != nil {
		aoType, aoID, ao = "dcim.interface", iface.ID, rc.nestedInterface(iface.ID)
		if iface.VirtualMachineID != 0 {
			aoType = "virtualization.vminterface"
		}
	}
	return obj{
		{"id", ip.ID},
		{"url", url},
		{"display_url", rc.ui("ipam/ip-addresses/" + itoa(ip.ID) + "/")},
		{"display", ip.Address},
		{"family", familyChoice(ip.Address)},
		{"address", ip.Address},
		{"vrf", rc.nestedVRF(ip.VRFID)},
		{"tenant", rc.nestedTenant(ip.TenantID)},
		{"status", choice(ip.Status, ipStatuses)},
		{"role", choice(ip.Role, ipRoles)},
		{"assigned_object_type", aoType},
		{"assigned_object_id", aoID},
		{"assigned_object", ao},
		{"nat_inside", nil},
		{"nat_outside", []any{}},
		{"dns_name", ip.DNSName},
		{"description", ip.Description},
		{"comments", ""},
		{"tags", rc.tags(ip.Tags)},
		{"custom_fields", obj{}},
		{"created", nullTime(ip.Created)},
		{"last_updated", nullTime(ip.LastUpdated)},
	}
}

func (rc renderCtx) virtualMachine(vm *VirtualMachine, mode renderMode) obj {
	url := rc.api("virtualization/virtual-machines/" + itoa(vm.ID) + "/")
	if mode.brief {
		return obj{{"id", vm.ID}, {"url", url}, {"display", vm.Name}, {"name", vm.Name}, {"description", vm.Description}}
	}
	o := obj{
		{"id", vm.ID},
		{"url", url},
		{"display_url", mode.pick("display_url", func() any { return rc.ui("virtualization/virtual-machines/" + itoa(vm.ID) + "/") })},
		{"display", vm.Name},
		{"name", vm.Name},
		{"status", choice(vm.Status, vmStatuses)},
		{"site", mode.pick("site", func() any { return rc.nestedSite(vm.SiteID) })},
		{"cluster", mode.pick("cluster", func() any { return rc.nestedCluster(vm.ClusterID) })},
		{"device", nil},
		{"serial", ""},
		{"role", mode.pick("role", func() any { return rc.nestedRole(vm.RoleID) })},
		{"tenant", mode.pick("tenant", func() any { return rc.nestedTenant(vm.TenantID) })},
		{"platform", mode.pick("platform", func() any { return rc.nestedPlatform(vm.PlatformID) })},
		{"primary_ip", mode.pick("primary_ip", func() any { return rc.nestedIP(primaryIP(vm.PrimaryIP4ID, vm.PrimaryIP6ID)) })},
		{"primary_ip4", mode.pick("primary_ip4", func() any { return rc.nestedIP(vm.PrimaryIP4ID) })},
		{"primary_ip6", mode.pick("primary_ip6", func() any { return rc.nestedIP(vm.PrimaryIP6ID) })},
		{"vcpus", vm.VCPUs},
		{"memory", vm.MemoryMB},
		{"disk", vm.DiskGB},
		{"description", vm.Description},
		{"comments", ""},
		{"config_template", nil},
		{"local_context_data", nil},
		{"tags", mode.pick("tags", func() any { return rc.tags(vm.Tags) })},
		{"custom_fields", mode.pick("custom_fields", func() any { return rc.st.cfValues("virtualization.virtualmachine", vm.CustomFields) })},
	}
	if mode.configContext {
		o = append(o, kv{"config_context", obj{}})
	}
	return append(o,
		kv{"created", nullTime(vm.Created)},
		kv{"last_updated", nullTime(vm.LastUpdated)},
		kv{"interface_count", len(rc.idx.vmInterfaces[vm.ID])},
		kv{"virtual_disk_count", 0},
	)
}

func (rc renderCtx) site(s *Site, mode renderMode) obj {
	if mode.brief {
		return rc.nestedSite(s.ID).(obj)
	}
	return obj{
		{"id", s.ID},
		{"url", rc.api("dcim/sites/" + itoa(s.ID) + "/")},
		{"display_url", rc.ui("dcim/sites/" + itoa(s.ID) + "/")},
		{"display", s.Name},
		{"name", s.Name},
		{"slug", s.Slug},
		{"status", choice(s.Status, siteStatuses)},
		{"region", rc.nestedRegion(s.RegionID)},
		{"group", nil},
		{"tenant", rc.nestedTenant(s.TenantID)},
		{"facility", s.Facility},
		{"time_zone", nullIfEmpty(s.TimeZone)},
		{"description", s.Description},
		{"physical_address", s.PhysicalAddress},
		{"shipping_address", ""},
		{"latitude", s.Latitude},
		{"longitude", s.Longitude},
		{"comments", ""},
		{"asns", []any{}},
		{"tags", []any{}},
		{"custom_fields", obj{}},
		{"created", nullTime(s.Created)},
		{"last_updated", nullTime(s.LastUpdated)},
		{"circuit_count", 0},
		{"device_count", rc.idx.siteDevices[s.ID]},
		{"prefix_count", 0},
		{"rack_count", rc.idx.siteRacks[s.ID]},
		{"virtualmachine_count", rc.idx.siteVMs[s.ID]},
		{"vlan_count", 0},
	}
}

func (rc renderCtx) region(r *Region, mode renderMode) obj {
	if mode.brief {
		return rc.nestedRegion(r.ID).(obj)
	}
	return obj{
		{"id", r.ID},
		{"url", rc.api("dcim/regions/" + itoa(r.ID) + "/")},
		{"display_url", rc.ui("dcim/regions/" + itoa(r.ID) + "/")},
		{"display", r.Name},
		{"name", r.Name},
		{"slug", r.Slug},
		{"parent", rc.nestedRegion(r.ParentID)},
		{"description", r.Description},
		{"tags", []any{}},
		{"custom_fields", obj{}},
		{"created", nullTime(r.Created)},
		{"last_updated", nullTime(r.LastUpdated)},
		{"site_count", rc.idx.regionSites[r.ID]},
		{"prefix_count", 0},
		{"_depth", rc.st.regionDepth(r)},
	}
}

// simple renders the models the exporter only needs by name and slug
// (roles, platforms, tenants, tags, manufacturers, device types, locations,
// racks, clusters, VRFs, interfaces) from their nested form plus the
// common trailer.
func (rc renderCtx) simple(nested any, uiPath string, updated time.Time, mode renderMode) obj {
	o, ok := nested.(obj)
	if !ok || mode.brief {
		return o
	}
	out := make(obj, 0, len(o)+5)
	out = append(out, o[0], o[1], kv{"display_url", rc.ui(uiPath)})
	out = append(out, o[2:]...)
	return append(out,
		kv{"tags", []any{}},
		kv{"custom_fields", obj{}},
		kv{"created", genEpoch},
		kv{"last_updated", updated},
	)
}

// --- helpers --------------------------------------------------------------

func familyChoice(address string) any {
	if p, err := netip.ParsePrefix(address); err == nil && p.Addr().Is6() && !p.Addr().Is4In6() {
		return obj{{"value", 6}, {"label", "IPv6"}}
	}
	return obj{{"value", 4}, {"label", "IPv4"}}
}

func nullTime(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return drfTime(t)
}

func nullIfEmpty(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func (st *store) regionDepth(r *Region) int {
	depth := 0
	seen := map[int]bool{r.ID: true}
	for p := st.regions.get(r.ParentID); p != nil && !seen[p.ID]; p = st.regions.get(p.ParentID) {
		seen[p.ID] = true
		depth++
	}
	return depth
}

// sortedSlugs returns tag slugs sorted by name, for snapshots.
func (st *store) sortedTagNames(slugs []string) []string {
	names := make([]string, 0, len(slugs))
	for _, s := range slugs {
		if t := st.tagBySlug(s); t != nil {
			names = append(names, t.Name)
		}
	}
	slices.Sort(names)
	return names
}

func (rc renderCtx) nestedTag(id int) any {
	t := rc.st.tags.get(id)
	if t == nil {
		return nil
	}
	return obj{
		{"id", t.ID}, {"url", rc.api("extras/tags/" + itoa(t.ID) + "/")}, {"display", t.Name},
		{"name", t.Name}, {"slug", t.Slug}, {"color", t.Color},
	}
}
