package netboxsim

import (
	"fmt"
	"math"
	"math/rand/v2"
	"net/netip"
	"strings"
	"time"
)

// genEpoch anchors generated timestamps, so an inventory is identical for a
// seed whenever it is generated.
var genEpoch = time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC)

// Shares of the awkward cases. For n ≥ minAwkward each occurs at least once.
const (
	shareNoPrimary = 0.04
	shareV6Only    = 0.02
	shareOffline   = 0.03
	sharePlanned   = 0.03
	shareOther     = 0.01 // staged, failed, decommissioning, inventory each
	shareDupIP     = 0.005
	shareLoopback  = 0.005
	shareLinkLocal = 0.005
	shareNonASCII  = 0.01
	shareNullName  = 0.005
	minAwkward     = 50
)

// GenerateInventory builds a realistic NetBox inventory of n devices from
// seed; the same seed and n always give the same inventory. About 40
// devices per site (500 devices: a dozen sites in three regions), named
// like real networks ("nyc1-core-sw01"), with roles, models, platforms,
// serials, tenants, tags, racks, custom fields and VMs (one per ten
// devices). The awkward cases occur in realistic shares, each at least once
// when n ≥ 50: no primary IP, IPv6 only, offline/planned and the other
// statuses, the same IP on two devices, loopback and link-local primary
// IPs, non-ASCII names, a null name.
func GenerateInventory(seed int64, n int) Inventory {
	n = max(n, 0)
	g := &generator{rng: rand.New(rand.NewPCG(uint64(seed), 0x6e62736d)), n: n}
	g.catalog()
	g.sites()
	g.devices()
	g.virtualMachines()
	return g.inv
}

type generator struct {
	rng *rand.Rand
	n   int
	inv Inventory

	manufacturerBySlug map[string]int
	platformBySlug     map[string]int
	deviceTypeByModel  map[string]int
	roleBySlug         map[string]int
	locationsBySite    map[int][]int
	racksBySite        map[int][]int
	mgmtHost           map[int]int
	assetTags          int
}

// --- random helpers ---------------------------------------------------------

func (g *generator) chance(p float64) bool { return g.rng.Float64() < p }

func (g *generator) pick(list []string) string { return list[g.rng.IntN(len(list))] }

func (g *generator) digits(n int) string {
	var b strings.Builder
	for range n {
		b.WriteByte(byte('0' + g.rng.IntN(10)))
	}
	return b.String()
}

func (g *generator) alnum(n int) string {
	const chars = "ABCDEFGHJKLMNPQRSTUVWXYZ0123456789"
	var b strings.Builder
	for range n {
		b.WriteByte(chars[g.rng.IntN(len(chars))])
	}
	return b.String()
}

func (g *generator) lower(n int) string {
	const chars = "abcdefghijklmnopqrstuvwxyz"
	var b strings.Builder
	for range n {
		b.WriteByte(chars[g.rng.IntN(len(chars))])
	}
	return b.String()
}

// timestamps returns a created time up to three years before the epoch and
// a last_updated between it and the epoch, at microsecond precision.
func (g *generator) timestamps() (time.Time, time.Time) {
	created := genEpoch.Add(-time.Duration(g.rng.Int64N(int64(3 * 365 * 24 * time.Hour)))).Truncate(time.Microsecond)
	updated := created.Add(time.Duration(g.rng.Int64N(int64(genEpoch.Sub(created))))).Truncate(time.Microsecond)
	return created, updated
}

// --- catalog ------------------------------------------------------------------

func (g *generator) catalog() {
	inv := &g.inv
	g.manufacturerBySlug = map[string]int{}
	for i, m := range manufacturerDefs {
		inv.Manufacturers = append(inv.Manufacturers, Manufacturer{ID: i + 1, Name: m.name, Slug: m.slug})
		g.manufacturerBySlug[m.slug] = i + 1
		g.manufacturerBySlug[m.name] = i + 1
	}
	g.platformBySlug = map[string]int{}
	for i, p := range platformDefs {
		inv.Platforms = append(inv.Platforms, Platform{ID: i + 1, Name: p.name, Slug: p.slug, ManufacturerID: g.manufacturerBySlug[p.manufacturer]})
		g.platformBySlug[p.slug] = i + 1
	}
	g.deviceTypeByModel = map[string]int{}
	g.roleBySlug = map[string]int{}
	for i, r := range roleDefs {
		inv.Roles = append(inv.Roles, Role{ID: i + 1, Name: r.name, Slug: r.slug, Color: r.color})
		g.roleBySlug[r.slug] = i + 1
		for _, m := range r.models {
			if _, ok := g.deviceTypeByModel[m.model]; ok {
				continue
			}
			id := len(inv.DeviceTypes) + 1
			inv.DeviceTypes = append(inv.DeviceTypes, DeviceType{
				ID: id, ManufacturerID: g.manufacturerBySlug[m.manufacturer], Model: m.model,
				Slug: slugify(m.model), UHeight: m.uHeight,
			})
			g.deviceTypeByModel[m.model] = id
		}
	}
	vmRole := Role{ID: len(inv.Roles) + 1, Name: "Application Server", Slug: "application-server", Color: "8bc34a", VMRole: true}
	inv.Roles = append(inv.Roles, vmRole)
	g.roleBySlug[vmRole.Slug] = vmRole.ID
	for i, t := range tenantDefs {
		inv.Tenants = append(inv.Tenants, Tenant{ID: i + 1, Name: t.name, Slug: t.slug})
	}
	for i, t := range tagDefs {
		inv.Tags = append(inv.Tags, Tag{ID: i + 1, Name: t.name, Slug: t.slug, Color: t.color})
	}
	inv.VRFs = []VRF{{ID: 1, Name: "lab", RD: "65000:999"}}
	inv.CustomFields = cloneAll(customFieldDefs, CustomField.clone)
	for i, r := range regionDefs {
		created, updated := g.timestamps()
		inv.Regions = append(inv.Regions, Region{ID: i + 1, Name: r.name, Slug: r.slug, Created: created, LastUpdated: updated})
	}
}

// --- sites --------------------------------------------------------------------

// siteCount is about one site per 40 devices, at least three (one per
// region) and at most 60.
func siteCount(n int) int {
	return min(max(n/40, 3), 60)
}

func (g *generator) sites() {
	inv := &g.inv
	g.locationsBySite = map[int][]int{}
	g.racksBySite = map[int][]int{}
	g.mgmtHost = map[int]int{}
	count := siteCount(g.n)
	for i := range count {
		regionIdx := i % len(regionDefs)
		cities := citiesByRegion[regionIdx]
		k := i / len(regionDefs)
		city := cities[k%len(cities)]
		num := 1 + k/len(cities)
		slug := fmt.Sprintf("%s%d", city.code, num)
		created, updated := g.timestamps()
		lat, lon := city.lat, city.lon
		site := Site{
			ID: i + 1, Name: fmt.Sprintf("%s %s", strings.ToUpper(slug), city.city), Slug: slug,
			Status: "active", RegionID: regionIdx + 1, Facility: fmt.Sprintf("%s-DC%d", strings.ToUpper(city.code), num),
			TimeZone: city.tz, PhysicalAddress: city.address, Latitude: &lat, Longitude: &lon,
			Created: created, LastUpdated: updated,
		}
		if g.chance(0.3) {
			site.TenantID = 1 + g.rng.IntN(len(tenantDefs))
		}
		inv.Sites = append(inv.Sites, site)
		for l, locName := range []string{"Hall A", "Hall B"} {
			locID := len(inv.Locations) + 1
			inv.Locations = append(inv.Locations, Location{ID: locID, SiteID: site.ID, Name: locName, Slug: slugify(locName)})
			g.locationsBySite[site.ID] = append(g.locationsBySite[site.ID], locID)
			for r := 1; r <= 3; r++ {
				rackID := len(inv.Racks) + 1
				inv.Racks = append(inv.Racks, Rack{
					ID: rackID, SiteID: site.ID, LocationID: locID,
					Name: fmt.Sprintf("R%d%02d", l+1, r), FacilityID: fmt.Sprintf("%s.%d.%02d", strings.ToUpper(slug), l+1, r),
				})
				g.racksBySite[site.ID] = append(g.racksBySite[site.ID], rackID)
			}
		}
		inv.Clusters = append(inv.Clusters, Cluster{ID: site.ID, Name: strings.ToUpper(slug) + " ESXi Cluster", SiteID: site.ID})
	}
}

// --- devices ------------------------------------------------------------------

// plan is one device before its IPs exist.
type plan struct {
	dev    Device
	role   *roleDef
	model  modelDef
	siteNo int
	// awkward cases
	noPrimary, v6Only, loopback, linkLocal, dupOf bool
	dupSource                                     int
}

func (g *generator) devices() {
	inv := &g.inv
	nSites := len(inv.Sites)
	plans := make([]*plan, 0, g.n)
	for s := range nSites {
		perSite := g.n / nSites
		if s < g.n%nSites {
			perSite++
		}
		plans = append(plans, g.sitePlans(&inv.Sites[s], s, perSite)...)
	}
	g.awkward(plans)
	for _, p := range plans {
		g.addDevice(p, plans)
	}
}

// sitePlans lays out one site: the fixed pairs first, the rest by weight.
func (g *generator) sitePlans(site *Site, siteNo, count int) []*plan {
	var roles []*roleDef
	for i := range roleDefs {
		for range roleDefs[i].fixed {
			if len(roles) < count {
				roles = append(roles, &roleDefs[i])
			}
		}
	}
	var total float64
	for _, r := range roleDefs {
		total += r.weight
	}
	for len(roles) < count {
		x := g.rng.Float64() * total
		for i := range roleDefs {
			x -= roleDefs[i].weight
			if x < 0 && roleDefs[i].weight > 0 {
				roles = append(roles, &roleDefs[i])
				break
			}
		}
	}
	counters := map[string]int{}
	out := make([]*plan, 0, count)
	for _, r := range roles {
		counters[r.slug]++
		num := counters[r.slug]
		model := r.models[g.rng.IntN(len(r.models))]
		name := fmt.Sprintf("%s-%s%02d", site.Slug, r.code, num)
		if r.slug == "wireless-ap" {
			name = fmt.Sprintf("%s-%s%03d", site.Slug, r.code, num)
		}
		if r.slug == "pdu" {
			name = fmt.Sprintf("%s-%s-%c%02d", site.Slug, r.code, 'a'+rune(num%2), (num+1)/2)
		}
		out = append(out, &plan{
			dev:    Device{Name: StrPtr(name), SiteID: site.ID, RoleID: g.roleBySlug[r.slug], Status: "active"},
			role:   r,
			model:  model,
			siteNo: siteNo,
		})
	}
	return out
}

// shareCount is how many devices get an awkward case.
func (g *generator) shareCount(share float64) int {
	c := int(math.Round(share * float64(g.n)))
	if g.n >= minAwkward {
		c = max(c, 1)
	}
	return c
}

// awkward assigns the awkward cases to disjoint random devices.
func (g *generator) awkward(plans []*plan) {
	perm := g.rng.Perm(len(plans))
	next := 0
	take := func(share float64) []*plan {
		c := g.shareCount(share)
		var out []*plan
		for ; c > 0 && next < len(perm); c-- {
			out = append(out, plans[perm[next]])
			next++
		}
		return out
	}
	for _, p := range take(shareNullName) {
		p.dev.Name = nil
	}
	for i, p := range take(shareNonASCII) {
		word := nonASCIIWords[i%len(nonASCIIWords)]
		site := g.inv.Sites[p.siteNo]
		p.dev.Name = StrPtr(fmt.Sprintf("%s-%s-%s-%02d", site.Slug, p.role.code, word, 1+g.rng.IntN(20)))
	}
	for _, p := range take(shareNoPrimary) {
		p.noPrimary = true
	}
	for _, p := range take(shareV6Only) {
		p.v6Only = true
	}
	for _, p := range take(shareLoopback) {
		p.loopback = true
	}
	for _, p := range take(shareLinkLocal) {
		p.linkLocal = true
	}
	pairs := take(2 * shareDupIP)
	for i := 0; i+1 < len(pairs); i += 2 {
		// The copy must come after its source, whose address it reuses.
		src, dup := pairs[i], pairs[i+1]
		if indexOf(plans, src) > indexOf(plans, dup) {
			src, dup = dup, src
		}
		dup.dupOf = true
		dup.dupSource = indexOf(plans, src)
	}
	statuses := []struct {
		status string
		share  float64
	}{
		{"offline", shareOffline}, {"planned", sharePlanned}, {"staged", shareOther},
		{"failed", shareOther}, {"decommissioning", shareOther}, {"inventory", shareOther},
	}
	// Statuses are independent of the IP cases: draw from a fresh order.
	perm = g.rng.Perm(len(plans))
	next = 0
	for _, st := range statuses {
		for _, p := range take(st.share) {
			p.dev.Status = st.status
		}
	}
}

func indexOf(plans []*plan, p *plan) int {
	for i, q := range plans {
		if q == p {
			return i
		}
	}
	return -1
}

// addDevice fills in a planned device and creates its interface and IPs.
func (g *generator) addDevice(p *plan, plans []*plan) {
	inv := &g.inv
	d := &p.dev
	d.ID = len(inv.Devices) + 1
	d.DeviceTypeID = g.deviceTypeByModel[p.model.model]
	d.PlatformID = g.platformBySlug[p.model.platform]
	if p.dev.Status != "planned" && p.dev.Status != "inventory" || g.chance(0.5) {
		d.Serial = p.model.serial(g)
	}
	if g.chance(0.3) {
		g.assetTags++
		d.AssetTag = StrPtr(fmt.Sprintf("AT-%06d", 100000+g.assetTags*7))
	}
	if g.chance(0.6) {
		d.TenantID = 1 + g.rng.IntN(len(tenantDefs))
	}
	locs := g.locationsBySite[d.SiteID]
	d.LocationID = locs[g.rng.IntN(len(locs))]
	if p.role.racked {
		racks := g.racksForLocation(d.SiteID, d.LocationID)
		d.RackID = racks[g.rng.IntN(len(racks))]
		if p.model.uHeight > 0 {
			pos := float64(1 + g.rng.IntN(40))
			d.Position = &pos
			d.Face = "front"
		}
	}
	if p.role.slug == "server" {
		d.ClusterID = d.SiteID
	}
	d.Tags = g.deviceTags(p)
	d.CustomFields = g.customFields(p)
	d.ConfigContext = map[string]any{
		"ntp_servers": []any{fmt.Sprintf("10.%d.0.1", p.siteNo+1), fmt.Sprintf("10.%d.0.2", p.siteNo+1)},
		"syslog_host": "10.0.0.50",
	}
	if g.chance(0.1) {
		d.Description = g.pick([]string{"Row 3, top of rack", "Replaced after RMA", "Uplink to carrier", "Shared with facilities"})
	}
	d.Created, d.LastUpdated = g.timestamps()
	inv.Devices = append(inv.Devices, *d)
	dev := &inv.Devices[len(inv.Devices)-1]

	ifaceID := g.addInterface(dev.ID, 0, p.model.mgmtIface)
	switch {
	case p.noPrimary:
		if g.chance(0.5) {
			// The address exists but nobody marked it primary.
			g.addIP(ifaceID, g.mgmtV4(p.siteNo), "", 0)
		}
	case p.v6Only:
		dev.PrimaryIP6ID = g.addIP(ifaceID, g.mgmtV6(p.siteNo), g.dnsName(dev), 0)
	case p.loopback:
		if g.chance(0.7) {
			dev.PrimaryIP4ID = g.addIP(ifaceID, "127.0.0.1/8", "", 0)
		} else {
			dev.PrimaryIP6ID = g.addIP(ifaceID, "::1/128", "", 0)
		}
	case p.linkLocal:
		if g.chance(0.7) {
			dev.PrimaryIP4ID = g.addIP(ifaceID, fmt.Sprintf("169.254.%d.%d/16", 1+g.rng.IntN(254), 1+g.rng.IntN(254)), "", 0)
		} else {
			dev.PrimaryIP6ID = g.addIP(ifaceID, fmt.Sprintf("fe80::%x/64", 1+g.rng.IntN(0xfffe)), "", 0)
		}
	case p.dupOf && p.dupSource >= 0 && plans[p.dupSource].dev.ID != 0:
		src := inv.Devices[plans[p.dupSource].dev.ID-1]
		addr := ""
		if ip := g.ipByID(src.PrimaryIP4ID); ip != nil {
			addr = ip.Address
		}
		if addr == "" {
			addr = g.mgmtV4(p.siteNo)
		}
		// Same address in another VRF: NetBox allows it, monitoring sees
		// one IP on two devices.
		dev.PrimaryIP4ID = g.addIP(ifaceID, addr, "", 1)
	default:
		dev.PrimaryIP4ID = g.addIP(ifaceID, g.mgmtV4(p.siteNo), g.dnsName(dev), 0)
		if g.chance(p.role.dualStack) {
			dev.PrimaryIP6ID = g.addIP(ifaceID, g.mgmtV6(p.siteNo), g.dnsName(dev), 0)
		}
	}
	if p.role.slug == "server" {
		oob := g.addInterface(dev.ID, 0, "iDRAC")
		dev.OOBIPID = g.addIP(oob, fmt.Sprintf("10.%d.200.%d/24", p.siteNo+1, 10+g.rng.IntN(240)), "", 0)
	}
}

func (g *generator) racksForLocation(siteID, locID int) []int {
	var out []int
	for _, id := range g.racksBySite[siteID] {
		if g.inv.Racks[id-1].LocationID == locID {
			out = append(out, id)
		}
	}
	return out
}

func (g *generator) deviceTags(p *plan) []string {
	var tags []string
	if p.dev.Status == "active" && g.chance(0.9) {
		tags = append(tags, "monitored")
	}
	if p.role.profile == "core" && g.chance(0.8) {
		tags = append(tags, "critical")
	}
	if g.chance(0.1) {
		tags = append(tags, "pci-dss")
	}
	if g.chance(0.02) {
		tags = append(tags, "maintenance")
	}
	if g.chance(0.03) {
		tags = append(tags, "lab")
	}
	if p.role.slug == "pdu" && g.chance(0.5) {
		tags = append(tags, "no-monitoring")
	}
	return tags
}

func (g *generator) customFields(p *plan) map[string]any {
	cf := map[string]any{}
	if g.chance(0.9) {
		cf["monitoring_profile"] = p.role.profile
	}
	if g.chance(0.95) {
		cf["snmp_enabled"] = !g.chance(0.05)
	}
	if g.chance(0.6) {
		cf["support_contract_end"] = fmt.Sprintf("%d-%02d-%02d", 2025+g.rng.IntN(4), 1+g.rng.IntN(12), 1+g.rng.IntN(28))
	}
	if g.chance(0.3) {
		tags := []any{}
		for _, t := range []string{"voice", "guest", "corp", "iot"} {
			if g.chance(0.4) {
				tags = append(tags, t)
			}
		}
		cf["service_tags"] = tags
	}
	if g.chance(0.7) {
		cf["owner_team"] = g.pick([]string{"netops", "sysadmins", "facilities", "secops"})
	}
	if g.chance(0.05) {
		cf["extra_data"] = map[string]any{"vlan": 20 + g.rng.IntN(100), "uplinks": []any{"Te1/1/1", "Te1/1/2"}}
	}
	return cf
}

func (g *generator) dnsName(d *Device) string {
	if d.Name == nil || !isASCII(*d.Name) || !g.chance(0.6) {
		return ""
	}
	return *d.Name + ".mgmt.example.net"
}

func (g *generator) addInterface(deviceID, vmID int, name string) int {
	id := len(g.inv.Interfaces) + 1
	g.inv.Interfaces = append(g.inv.Interfaces, Interface{ID: id, DeviceID: deviceID, VirtualMachineID: vmID, Name: name})
	return id
}

func (g *generator) addIP(ifaceID int, address, dns string, vrfID int) int {
	id := len(g.inv.IPAddresses) + 1
	created, updated := g.timestamps()
	ip := IPAddress{
		ID: id, Address: address, VRFID: vrfID, Status: "active", InterfaceID: ifaceID,
		DNSName: dns, Created: created, LastUpdated: updated,
	}
	if a := hostOf(address); a.IsLoopback() {
		ip.Role = "loopback"
	}
	g.inv.IPAddresses = append(g.inv.IPAddresses, ip)
	return id
}

func (g *generator) ipByID(id int) *IPAddress {
	if id <= 0 || id > len(g.inv.IPAddresses) {
		return nil
	}
	return &g.inv.IPAddresses[id-1]
}

// mgmtV4 hands out the site's next management address in 10.<site>.0.0/16.
func (g *generator) mgmtV4(siteNo int) string {
	k := g.mgmtHost[siteNo]
	g.mgmtHost[siteNo]++
	return fmt.Sprintf("10.%d.%d.%d/24", siteNo+1, k/250, 5+k%250)
}

func (g *generator) mgmtV6(siteNo int) string {
	k := g.mgmtHost[siteNo]
	g.mgmtHost[siteNo]++
	a := netip.MustParseAddr(fmt.Sprintf("2001:db8:%x::%x", siteNo+1, 5+k))
	return netip.PrefixFrom(a, 64).String()
}

// --- virtual machines ---------------------------------------------------------

func (g *generator) virtualMachines() {
	inv := &g.inv
	count := g.n / 10
	apps := []string{"web", "app", "db", "dc", "mon", "proxy"}
	counters := map[string]int{}
	for i := range count {
		site := inv.Sites[i%len(inv.Sites)]
		app := apps[g.rng.IntN(len(apps))]
		key := site.Slug + app
		counters[key]++
		created, updated := g.timestamps()
		vm := VirtualMachine{
			ID: i + 1, Name: fmt.Sprintf("%s-vm-%s%02d", site.Slug, app, counters[key]),
			Status: "active", SiteID: site.ID, ClusterID: site.ID, RoleID: g.roleBySlug["application-server"],
			PlatformID: g.platformBySlug[g.pick([]string{"ubuntu-linux", "windows-server"})],
			VCPUs:      float64(int(2) << g.rng.IntN(3)), MemoryMB: 4096 << g.rng.IntN(3), DiskGB: 40 << g.rng.IntN(3),
			CustomFields: map[string]any{"monitoring_profile": "standard"},
			Created:      created, LastUpdated: updated,
		}
		if g.chance(0.05) {
			vm.Status = "offline"
		}
		if g.chance(0.8) {
			vm.Tags = []string{"monitored"}
		}
		inv.VirtualMachines = append(inv.VirtualMachines, vm)
		ifaceID := g.addInterface(0, vm.ID, "eth0")
		if g.chance(0.95) {
			inv.VirtualMachines[i].PrimaryIP4ID = g.addIP(ifaceID, g.mgmtV4(site.ID-1), "", 0)
		}
	}
}

// --- text helpers ---------------------------------------------------------------

func slugify(s string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(s) {
		switch {
		case r >= 'a' && r <= 'z' || r >= '0' && r <= '9':
			b.WriteRune(r)
			dash = false
		case !dash && b.Len() > 0:
			b.WriteByte('-')
			dash = true
		}
	}
	return strings.TrimSuffix(b.String(), "-")
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}
