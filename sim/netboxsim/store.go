package netboxsim

import (
	"slices"
	"sort"
	"sync"
)

// table holds one model's rows by id, with the ids kept sorted for id
// ordering and keyset paging.
type table[T any] struct {
	rows map[int]*T
	ids  []int
	idOf func(*T) int
	max  int
}

func newTable[T any](rows []T, idOf func(*T) int) table[T] {
	t := table[T]{rows: make(map[int]*T, len(rows)), idOf: idOf}
	for i := range rows {
		row := rows[i]
		t.insert(&row)
	}
	sort.Ints(t.ids)
	return t
}

func (t *table[T]) insert(row *T) {
	id := t.idOf(row)
	if _, dup := t.rows[id]; !dup {
		// ids only grow, so appending keeps the slice sorted except while
		// loading an inventory (sorted once afterwards).
		t.ids = append(t.ids, id)
	}
	t.rows[id] = row
	t.max = max(t.max, id)
}

func (t *table[T]) get(id int) *T {
	if id == 0 {
		return nil
	}
	return t.rows[id]
}

func (t *table[T]) remove(id int) {
	if _, ok := t.rows[id]; !ok {
		return
	}
	delete(t.rows, id)
	if i, found := slices.BinarySearch(t.ids, id); found {
		t.ids = slices.Delete(t.ids, i, i+1)
	}
}

func (t *table[T]) nextID() int { return t.max + 1 }

// all returns the rows in id order.
func (t *table[T]) all() []*T {
	out := make([]*T, 0, len(t.ids))
	for _, id := range t.ids {
		out = append(out, t.rows[id])
	}
	return out
}

// store is the simulator's database; Server guards it with its mutex.
type store struct {
	regions       table[Region]
	sites         table[Site]
	roles         table[Role]
	manufacturers table[Manufacturer]
	deviceTypes   table[DeviceType]
	platforms     table[Platform]
	tenants       table[Tenant]
	tags          table[Tag]
	locations     table[Location]
	racks         table[Rack]
	clusters      table[Cluster]
	vrfs          table[VRF]
	interfaces    table[Interface]
	ips           table[IPAddress]
	devices       table[Device]
	vms           table[VirtualMachine]
	customFields  table[CustomField]
	customLinks   table[CustomLink]
	journal       table[JournalEntry]
	webhooks      table[Webhook]
	eventRules    table[EventRule]
	changes       []objectChange
	// dropUnknownCF is the profile's dropUnknownCustomFields.
	dropUnknownCF bool

	idxMu sync.Mutex
	idx   *indexes
}

func newStore(inv Inventory) *store {
	return &store{
		regions:       newTable(inv.Regions, func(r *Region) int { return r.ID }),
		sites:         newTable(inv.Sites, func(r *Site) int { return r.ID }),
		roles:         newTable(inv.Roles, func(r *Role) int { return r.ID }),
		manufacturers: newTable(inv.Manufacturers, func(r *Manufacturer) int { return r.ID }),
		deviceTypes:   newTable(inv.DeviceTypes, func(r *DeviceType) int { return r.ID }),
		platforms:     newTable(inv.Platforms, func(r *Platform) int { return r.ID }),
		tenants:       newTable(inv.Tenants, func(r *Tenant) int { return r.ID }),
		tags:          newTable(inv.Tags, func(r *Tag) int { return r.ID }),
		locations:     newTable(inv.Locations, func(r *Location) int { return r.ID }),
		racks:         newTable(inv.Racks, func(r *Rack) int { return r.ID }),
		clusters:      newTable(inv.Clusters, func(r *Cluster) int { return r.ID }),
		vrfs:          newTable(inv.VRFs, func(r *VRF) int { return r.ID }),
		interfaces:    newTable(inv.Interfaces, func(r *Interface) int { return r.ID }),
		ips:           newTable(cloneAll(inv.IPAddresses, IPAddress.clone), func(r *IPAddress) int { return r.ID }),
		devices:       newTable(cloneAll(inv.Devices, Device.clone), func(r *Device) int { return r.ID }),
		vms:           newTable(cloneAll(inv.VirtualMachines, VirtualMachine.clone), func(r *VirtualMachine) int { return r.ID }),
		customFields:  newTable(normalizeCustomFields(inv.CustomFields), func(r *CustomField) int { return r.ID }),
		customLinks:   newTable(cloneAll(inv.CustomLinks, CustomLink.clone), func(r *CustomLink) int { return r.ID }),
		journal:       newTable(cloneAll(inv.JournalEntries, JournalEntry.clone), func(r *JournalEntry) int { return r.ID }),
		webhooks:      newTable(cloneAll(inv.Webhooks, Webhook.clone), func(r *Webhook) int { return r.ID }),
		eventRules:    newTable(cloneAll(inv.EventRules, EventRule.clone), func(r *EventRule) int { return r.ID }),
	}
}

// normalizeCustomFields applies the defaults a hand-built inventory may
// leave out: ids, both exportable object types, weight 100.
func normalizeCustomFields(defs []CustomField) []CustomField {
	out := cloneAll(defs, CustomField.clone)
	next := 1
	for _, cf := range out {
		next = max(next, cf.ID+1)
	}
	for i := range out {
		if out[i].ID == 0 {
			out[i].ID = next
			next++
		}
		if len(out[i].ObjectTypes) == 0 {
			out[i].ObjectTypes = []string{"dcim.device", "virtualization.virtualmachine"}
		}
		if out[i].Weight == 0 {
			out[i].Weight = 100
		}
		if out[i].Created.IsZero() {
			out[i].Created, out[i].LastUpdated = genEpoch, genEpoch
		}
	}
	return out
}

func cloneAll[T any](rows []T, clone func(T) T) []T {
	out := make([]T, len(rows))
	for i, r := range rows {
		out[i] = clone(r)
	}
	return out
}

// inventory copies the store out.
func (st *store) inventory() Inventory {
	return Inventory{
		Regions:         derefAll(st.regions.all(), func(r Region) Region { return r }),
		Sites:           derefAll(st.sites.all(), func(r Site) Site { return r }),
		Roles:           derefAll(st.roles.all(), func(r Role) Role { return r }),
		Manufacturers:   derefAll(st.manufacturers.all(), func(r Manufacturer) Manufacturer { return r }),
		DeviceTypes:     derefAll(st.deviceTypes.all(), func(r DeviceType) DeviceType { return r }),
		Platforms:       derefAll(st.platforms.all(), func(r Platform) Platform { return r }),
		Tenants:         derefAll(st.tenants.all(), func(r Tenant) Tenant { return r }),
		Tags:            derefAll(st.tags.all(), func(r Tag) Tag { return r }),
		Locations:       derefAll(st.locations.all(), func(r Location) Location { return r }),
		Racks:           derefAll(st.racks.all(), func(r Rack) Rack { return r }),
		Clusters:        derefAll(st.clusters.all(), func(r Cluster) Cluster { return r }),
		VRFs:            derefAll(st.vrfs.all(), func(r VRF) VRF { return r }),
		CustomFields:    derefAll(st.customFields.all(), CustomField.clone),
		CustomLinks:     derefAll(st.customLinks.all(), CustomLink.clone),
		JournalEntries:  derefAll(st.journal.all(), JournalEntry.clone),
		Webhooks:        derefAll(st.webhooks.all(), Webhook.clone),
		EventRules:      derefAll(st.eventRules.all(), EventRule.clone),
		Interfaces:      derefAll(st.interfaces.all(), func(r Interface) Interface { return r }),
		IPAddresses:     derefAll(st.ips.all(), IPAddress.clone),
		Devices:         derefAll(st.devices.all(), Device.clone),
		VirtualMachines: derefAll(st.vms.all(), VirtualMachine.clone),
	}
}

func derefAll[T any](rows []*T, clone func(T) T) []T {
	out := make([]T, len(rows))
	for i, r := range rows {
		out[i] = clone(*r)
	}
	return out
}

func (st *store) tagBySlug(slug string) *Tag {
	for _, id := range st.tags.ids {
		if t := st.tags.rows[id]; t.Slug == slug {
			return t
		}
	}
	return nil
}

// deviceOfIP returns the device whose interface holds the address, or nil.
func (st *store) deviceOfIP(ip *IPAddress) *Device {
	iface := st.interfaces.get(ip.InterfaceID)
	if iface == nil {
		return nil
	}
	return st.devices.get(iface.DeviceID)
}

// vmOfIP returns the VM whose interface holds the address, or nil.
func (st *store) vmOfIP(ip *IPAddress) *VirtualMachine {
	iface := st.interfaces.get(ip.InterfaceID)
	if iface == nil {
		return nil
	}
	return st.vms.get(iface.VirtualMachineID)
}

// primaryIP is NetBox's Device.primary_ip: IPv6 first unless PREFER_IPV4.
func primaryIP(v4, v6 int) int {
	if v6 != 0 {
		return v6
	}
	return v4
}

// deviceDisplay is str(device) (reference §2.4).
func (st *store) deviceDisplay(d *Device) string {
	if d.Name != nil && *d.Name != "" {
		if d.AssetTag != nil && *d.AssetTag != "" {
			return *d.Name + " (" + *d.AssetTag + ")"
		}
		return *d.Name
	}
	dt := st.deviceTypes.get(d.DeviceTypeID)
	label := "Device"
	if dt != nil {
		label = dt.Model
		if m := st.manufacturers.get(dt.ManufacturerID); m != nil {
			label = m.Name + " " + dt.Model
		}
	}
	return label + " (" + itoa(d.ID) + ")"
}
