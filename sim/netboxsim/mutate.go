package netboxsim

import (
	"errors"
	"fmt"
	"net/netip"
	"strings"

	"github.com/google/uuid"
)

// Errors returned by the Go mutation API.
var (
	// ErrNotFound means no object has the given id.
	ErrNotFound = errors.New("netboxsim: object not found")
	// ErrInvalid means NetBox's validation would refuse the change; the
	// message names the field as NetBox's 400 would.
	ErrInvalid = errors.New("netboxsim: invalid object")
)

func (e fieldErrors) err(what string) error {
	parts := make([]string, 0, len(e.keys))
	for _, k := range e.keys {
		parts = append(parts, k+": "+strings.Join(e.msgs[k], " "))
	}
	return fmt.Errorf("%s: %w: %s", what, ErrInvalid, strings.Join(parts, "; "))
}

// mutate runs fn as one request: under the write lock, inside a tx whose
// change log rows and webhooks are produced at the end, then delivers the
// webhooks after the lock is released.
func (s *Server) mutate(username, requestID string, fn func(t *tx) error) error {
	s.mu.Lock()
	t := s.begin(username, requestID)
	err := fn(t)
	deliver := t.commit()
	s.mu.Unlock()
	deliver()
	return err
}

// goAPI runs a Go API mutation as the configured user with a fresh request
// id, as if made through the UI.
func (s *Server) goAPI(fn func(t *tx) error) error {
	return s.mutate(s.opts.Username, uuid.NewString(), fn)
}

// --- devices --------------------------------------------------------------

func (t *tx) createDevice(d Device) (*Device, fieldErrors) {
	st := t.s.st
	d = d.clone()
	d.ID = st.devices.nextID()
	if errs := st.validateDevice(&d); !errs.empty() {
		return nil, errs
	}
	now := t.s.now()
	d.Created, d.LastUpdated = now, now
	row := &d
	st.devices.insert(row)
	st.invalidate()
	t.onRollback(func() { st.devices.remove(row.ID); st.invalidate() })
	t.record("dcim.device", d.ID, actionCreate, st.deviceDisplay(row), nil, st.deviceSnapshot(row, false), t.s.eventCtx().device(row, renderMode{}))
	return row, fieldErrors{}
}

func (t *tx) updateDevice(id int, fn func(*Device)) (*Device, fieldErrors, bool) {
	st := t.s.st
	cur := st.devices.get(id)
	if cur == nil {
		return nil, fieldErrors{}, false
	}
	next := cur.clone()
	fn(&next)
	next.ID, next.Created = cur.ID, cur.Created
	if errs := st.validateDevice(&next); !errs.empty() {
		return nil, errs, true
	}
	pre := st.deviceSnapshot(cur, true)
	next.LastUpdated = t.s.now()
	old := cur.clone()
	t.onRollback(func() { *cur = old })
	*cur = next
	st.invalidate()
	t.record("dcim.device", id, actionUpdate, st.deviceDisplay(cur), pre, st.deviceSnapshot(cur, false), t.s.eventCtx().device(cur, renderMode{}))
	return cur, fieldErrors{}, true
}

// deleteDevice removes the device, its interfaces and, through the
// interfaces' GenericRelation, the IP addresses on them (each an event).
func (t *tx) deleteDevice(id int) bool {
	st := t.s.st
	d := st.devices.get(id)
	if d == nil {
		return false
	}
	data := t.s.eventCtx().device(d, renderMode{})
	pre := st.deviceSnapshot(d, true)
	repr := st.deviceDisplay(d)
	idx := st.indexes()
	ifaces := append([]int(nil), idx.deviceInterfaces[id]...)
	var ips []int
	for _, ifaceID := range ifaces {
		ips = append(ips, idx.interfaceIPs[ifaceID]...)
	}
	for _, ipID := range ips {
		t.deleteIP(ipID)
	}
	for _, ifaceID := range ifaces {
		st.interfaces.remove(ifaceID)
	}
	st.invalidate()
	st.devices.remove(id)
	st.invalidate()
	t.record("dcim.device", id, actionDelete, repr, pre, nil, data)
	return true
}

// validateDevice applies the serializer and model validation NetBox runs
// on a device, with NetBox's messages.
func (st *store) validateDevice(d *Device) fieldErrors {
	var errs fieldErrors
	if _, ok := deviceStatuses[d.Status]; !ok {
		errs.add("status", fmt.Sprintf("%q is not a valid choice.", d.Status))
	}
	required := []struct {
		field string
		id    int
		ok    bool
	}{
		{"device_type", d.DeviceTypeID, st.deviceTypes.get(d.DeviceTypeID) != nil},
		{"role", d.RoleID, st.roles.get(d.RoleID) != nil},
		{"site", d.SiteID, st.sites.get(d.SiteID) != nil},
	}
	for _, r := range required {
		switch {
		case r.id == 0:
			errs.add(r.field, "This field is required.")
		case !r.ok:
			errs.add(r.field, notFoundID(r.id))
		}
	}
	optional := []struct {
		field string
		id    int
		ok    bool
	}{
		{"tenant", d.TenantID, st.tenants.get(d.TenantID) != nil},
		{"platform", d.PlatformID, st.platforms.get(d.PlatformID) != nil},
		{"location", d.LocationID, st.locations.get(d.LocationID) != nil},
		{"rack", d.RackID, st.racks.get(d.RackID) != nil},
		{"cluster", d.ClusterID, st.clusters.get(d.ClusterID) != nil},
	}
	for _, r := range optional {
		if r.id != 0 && !r.ok {
			errs.add(r.field, notFoundID(r.id))
		}
	}
	if loc := st.locations.get(d.LocationID); loc != nil && loc.SiteID != d.SiteID {
		errs.add("location", fmt.Sprintf("Location %q does not belong to site %q.", loc.Name, st.siteName(d.SiteID)))
	}
	if rack := st.racks.get(d.RackID); rack != nil && rack.SiteID != d.SiteID {
		errs.add("rack", fmt.Sprintf("Rack %s does not belong to site %s.", rack.Name, st.siteName(d.SiteID)))
	}
	if d.Position != nil && d.RackID == 0 {
		errs.add("position", "Cannot select a rack position without assigning a rack.")
	}
	if _, ok := faces[d.Face]; d.Face != "" && !ok {
		errs.add("face", fmt.Sprintf("%q is not a valid choice.", d.Face))
	}
	if _, ok := airflows[d.Airflow]; d.Airflow != "" && !ok {
		errs.add("airflow", fmt.Sprintf("%q is not a valid choice.", d.Airflow))
	}
	if d.Name != nil {
		if len([]rune(*d.Name)) > 64 {
			errs.add("name", "Ensure this field has no more than 64 characters.")
		}
		for _, other := range st.devices.rows {
			if other.ID != d.ID && other.Name != nil && strings.EqualFold(*other.Name, *d.Name) &&
				other.SiteID == d.SiteID && other.TenantID == d.TenantID {
				errs.add("__all__", "Device name must be unique per site.")
				break
			}
		}
	}
	if d.AssetTag != nil {
		if *d.AssetTag == "" {
			d.AssetTag = nil // NetBox stores a blank asset tag as NULL.
		} else {
			for _, other := range st.devices.rows {
				if other.ID != d.ID && other.AssetTag != nil && *other.AssetTag == *d.AssetTag {
					errs.add("asset_tag", "Device with this Asset tag already exists.")
					break
				}
			}
		}
	}
	st.validatePrimaryIP(&errs, "primary_ip4", d.PrimaryIP4ID, 4, d.ID)
	st.validatePrimaryIP(&errs, "primary_ip6", d.PrimaryIP6ID, 6, d.ID)
	st.validatePrimaryIP(&errs, "oob_ip", d.OOBIPID, 0, d.ID)
	for _, slug := range d.Tags {
		if st.tagBySlug(slug) == nil {
			errs.add("tags", fmt.Sprintf("Related object not found using the provided attributes: {'slug': '%s'}", slug))
		}
	}
	st.cleanCustomFields(&errs, "dcim.device", d.CustomFields)
	return errs
}

func (st *store) validatePrimaryIP(errs *fieldErrors, field string, ipID, family, deviceID int) {
	if ipID == 0 {
		return
	}
	ip := st.ips.get(ipID)
	if ip == nil {
		errs.add(field, notFoundID(ipID))
		return
	}
	if family != 0 && familyOf(ip.Address) != itoa(family) {
		errs.add(field, fmt.Sprintf("%s is not an IPv%d address.", ip.Address, family))
		return
	}
	if d := st.deviceOfIP(ip); d == nil || d.ID != deviceID {
		errs.add(field, fmt.Sprintf("The specified IP address (%s) is not assigned to this device.", ip.Address))
	}
}

func (st *store) siteName(id int) string {
	if s := st.sites.get(id); s != nil {
		return s.Name
	}
	return ""
}

func notFoundID(id int) string {
	return fmt.Sprintf("Related object not found using the provided numeric ID: %d", id)
}

// --- IP addresses -----------------------------------------------------------

// normalizeAddress returns CIDR text; a bare address gets /32 or /128 as
// netaddr.IPNetwork gives it.
func normalizeAddress(raw string) (string, bool) {
	raw = strings.TrimSpace(raw)
	if !strings.Contains(raw, "/") {
		a, err := netip.ParseAddr(raw)
		if err != nil {
			return "", false
		}
		return netip.PrefixFrom(a, a.BitLen()).String(), true
	}
	p, err := netip.ParsePrefix(raw)
	if err != nil {
		return "", false
	}
	return p.String(), true
}

func (st *store) validateIP(ip *IPAddress) fieldErrors {
	var errs fieldErrors
	if addr, ok := normalizeAddress(ip.Address); !ok {
		errs.add("address", fmt.Sprintf("Invalid IP address format: %s", ip.Address))
	} else {
		ip.Address = addr
	}
	if ip.Status == "" {
		ip.Status = "active"
	}
	if _, ok := ipStatuses[ip.Status]; !ok {
		errs.add("status", fmt.Sprintf("%q is not a valid choice.", ip.Status))
	}
	if _, ok := ipRoles[ip.Role]; ip.Role != "" && !ok {
		errs.add("role", fmt.Sprintf("%q is not a valid choice.", ip.Role))
	}
	if ip.InterfaceID != 0 && st.interfaces.get(ip.InterfaceID) == nil {
		errs.add("assigned_object_id", notFoundID(ip.InterfaceID))
	}
	if ip.VRFID != 0 && st.vrfs.get(ip.VRFID) == nil {
		errs.add("vrf", notFoundID(ip.VRFID))
	}
	if ip.TenantID != 0 && st.tenants.get(ip.TenantID) == nil {
		errs.add("tenant", notFoundID(ip.TenantID))
	}
	for _, slug := range ip.Tags {
		if st.tagBySlug(slug) == nil {
			errs.add("tags", fmt.Sprintf("Related object not found using the provided attributes: {'slug': '%s'}", slug))
		}
	}
	return errs
}

func (t *tx) createIP(ip IPAddress) (*IPAddress, fieldErrors) {
	st := t.s.st
	ip = ip.clone()
	ip.ID = st.ips.nextID()
	if errs := st.validateIP(&ip); !errs.empty() {
		return nil, errs
	}
	now := t.s.now()
	ip.Created, ip.LastUpdated = now, now
	row := &ip
	st.ips.insert(row)
	st.invalidate()
	t.record("ipam.ipaddress", ip.ID, actionCreate, ip.Address, nil, st.ipSnapshot(row, false), t.s.eventCtx().ipAddress(row, renderMode{}))
	return row, fieldErrors{}
}

// updateIP edits an address. As in NetBox, the device whose primary IP it
// is does not change: no device event, no device last_updated bump.
func (t *tx) updateIP(id int, fn func(*IPAddress)) (*IPAddress, fieldErrors, bool) {
	st := t.s.st
	cur := st.ips.get(id)
	if cur == nil {
		return nil, fieldErrors{}, false
	}
	next := cur.clone()
	fn(&next)
	next.ID, next.Created = cur.ID, cur.Created
	if errs := st.validateIP(&next); !errs.empty() {
		return nil, errs, true
	}
	if next.InterfaceID != cur.InterfaceID {
		// Moving an address away from a device that uses it as primary
		// would break the device; NetBox refuses that too.
		for _, d := range st.devices.rows {
			if d.PrimaryIP4ID == id || d.PrimaryIP6ID == id || d.OOBIPID == id {
				if nd := st.deviceOfIP(&next); nd == nil || nd.ID != d.ID {
					var errs fieldErrors
					errs.add("interface", "Cannot reassign IP address while it is designated as the primary IP for the parent object")
					return nil, errs, true
				}
			}
		}
	}
	pre := st.ipSnapshot(cur, true)
	next.LastUpdated = t.s.now()
	*cur = next
	st.invalidate()
	t.record("ipam.ipaddress", id, actionUpdate, cur.Address, pre, st.ipSnapshot(cur, false), t.s.eventCtx().ipAddress(cur, renderMode{}))
	return cur, fieldErrors{}, true
}

// deleteIP removes an address; a device or VM using it as primary (or
// OOB) is saved with the field cleared (ipam/signals.py clear_primary_ip),
// which bumps its last_updated and fires its update.
func (t *tx) deleteIP(id int) bool {
	st := t.s.st
	ip := st.ips.get(id)
	if ip == nil {
		return false
	}
	for _, did := range append([]int(nil), st.devices.ids...) {
		d := st.devices.rows[did]
		if d.PrimaryIP4ID == id || d.PrimaryIP6ID == id || d.OOBIPID == id {
			t.updateDevice(did, func(d *Device) {
				if d.PrimaryIP4ID == id {
					d.PrimaryIP4ID = 0
				}
				if d.PrimaryIP6ID == id {
					d.PrimaryIP6ID = 0
				}
				if d.OOBIPID == id {
					d.OOBIPID = 0
				}
			})
		}
	}
	for _, vmID := range append([]int(nil), st.vms.ids...) {
		if vm := st.vms.rows[vmID]; vm.PrimaryIP4ID == id || vm.PrimaryIP6ID == id {
			t.updateVM(vmID, func(vm *VirtualMachine) {
				if vm.PrimaryIP4ID == id {
					vm.PrimaryIP4ID = 0
				}
				if vm.PrimaryIP6ID == id {
					vm.PrimaryIP6ID = 0
				}
			})
		}
	}
	data := t.s.eventCtx().ipAddress(ip, renderMode{})
	pre := st.ipSnapshot(ip, true)
	st.ips.remove(id)
	st.invalidate()
	t.record("ipam.ipaddress", id, actionDelete, ip.Address, pre, nil, data)
	return true
}

// --- sites ------------------------------------------------------------------

func (t *tx) updateSite(id int, fn func(*Site)) (*Site, fieldErrors, bool) {
	st := t.s.st
	cur := st.sites.get(id)
	if cur == nil {
		return nil, fieldErrors{}, false
	}
	next := *cur
	fn(&next)
	next.ID, next.Created = cur.ID, cur.Created
	var errs fieldErrors
	if strings.TrimSpace(next.Name) == "" {
		errs.add("name", "This field may not be blank.")
	}
	if strings.TrimSpace(next.Slug) == "" {
		errs.add("slug", "This field may not be blank.")
	}
	for _, other := range st.sites.rows {
		if other.ID == id {
			continue
		}
		if strings.EqualFold(other.Name, next.Name) {
			errs.add("name", "Site with this name already exists.")
		}
		if other.Slug == next.Slug {
			errs.add("slug", "Site with this slug already exists.")
		}
	}
	if _, ok := siteStatuses[next.Status]; !ok {
		errs.add("status", fmt.Sprintf("%q is not a valid choice.", next.Status))
	}
	if next.RegionID != 0 && st.regions.get(next.RegionID) == nil {
		errs.add("region", notFoundID(next.RegionID))
	}
	if !errs.empty() {
		return nil, errs, true
	}
	pre := st.siteSnapshot(cur, true)
	next.LastUpdated = t.s.now()
	*cur = next
	st.invalidate()
	t.record("dcim.site", id, actionUpdate, cur.Name, pre, st.siteSnapshot(cur, false), t.s.eventCtx().site(cur, renderMode{}))
	return cur, fieldErrors{}, true
}
