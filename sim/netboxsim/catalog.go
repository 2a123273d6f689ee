package netboxsim

// The catalog the generator draws from: real-world-looking sites, device
// models and operating systems, so generated inventories read like a real
// network's NetBox.

type cityDef struct {
	code, city, region, tz, address string
	lat, lon                        float64
}

var regionDefs = []struct{ name, slug string }{
	{"North America", "north-america"},
	{"Europe", "europe"},
	{"Asia Pacific", "asia-pacific"},
}

// citiesByRegion is indexed like regionDefs.
var citiesByRegion = [][]cityDef{
	{
		{"nyc", "New York", "north-america", "America/New_York", "111 8th Ave, New York, NY 10011", 40.7411, -74.0032},
		{"chi", "Chicago", "north-america", "America/Chicago", "350 E Cermak Rd, Chicago, IL 60616", 41.8533, -87.6184},
		{"dal", "Dallas", "north-america", "America/Chicago", "1950 N Stemmons Fwy, Dallas, TX 75207", 32.8003, -96.8195},
		{"sjc", "San Jose", "north-america", "America/Los_Angeles", "11 Great Oaks Blvd, San Jose, CA 95119", 37.2416, -121.7831},
		{"sea", "Seattle", "north-america", "America/Los_Angeles", "2001 6th Ave, Seattle, WA 98121", 47.6145, -122.3394},
		{"atl", "Atlanta", "north-america", "America/New_York", "56 Marietta St NW, Atlanta, GA 30303", 33.7555, -84.3915},
		{"tor", "Toronto", "north-america", "America/Toronto", "151 Front St W, Toronto, ON M5J 2N1", 43.6447, -79.3843},
	},
	{
		{"fra", "Frankfurt", "europe", "Europe/Berlin", "Kruppstraße 121, 60388 Frankfurt am Main", 50.1213, 8.7357},
		{"lon", "London", "europe", "Europe/London", "Sovereign House, 227 Marsh Wall, London E14 9SD", 51.4999, -0.0126},
		{"ams", "Amsterdam", "europe", "Europe/Amsterdam", "Science Park 610, 1098 XH Amsterdam", 52.3560, 4.9550},
		{"par", "Paris", "europe", "Europe/Paris", "114 Rue Ambroise Croizat, 93200 Saint-Denis", 48.9233, 2.3553},
		{"zrh", "Zürich", "europe", "Europe/Zurich", "Josefstrasse 225, 8005 Zürich", 47.3894, 8.5176},
		{"mad", "Madrid", "europe", "Europe/Madrid", "Calle de Yécora 4, 28022 Madrid", 40.4343, -3.6137},
		{"sto", "Stockholm", "europe", "Europe/Stockholm", "Esbogatan 11, 164 74 Kista", 59.4069, 17.9468},
	},
	{
		{"sin", "Singapore", "asia-pacific", "Asia/Singapore", "20 Ayer Rajah Crescent, Singapore 139964", 1.2966, 103.7872},
		{"tyo", "Tokyo", "asia-pacific", "Asia/Tokyo", "1-9-20 Edagawa, Koto-ku, Tokyo", 35.6503, 139.8108},
		{"syd", "Sydney", "asia-pacific", "Australia/Sydney", "639 Gardeners Rd, Mascot NSW 2020", -33.9222, 151.1870},
		{"hkg", "Hong Kong", "asia-pacific", "Asia/Hong_Kong", "17 Dai Fu St, Tai Po Industrial Estate", 22.4563, 114.1762},
		{"bom", "Mumbai", "asia-pacific", "Asia/Kolkata", "Reliable Tech Park, Airoli, Navi Mumbai 400708", 19.1590, 72.9986},
	},
}

type modelDef struct {
	manufacturer string
	model        string
	platform     string // platform slug, "" for none
	mgmtIface    string
	serial       func(g *generator) string
	uHeight      float64
}

type roleDef struct {
	slug, name, color, code string
	models                  []modelDef
	// weight is the share of a site's devices beyond the fixed ones.
	weight float64
	// fixed devices every site gets (when it has room).
	fixed  int
	racked bool
	// dualStack is the share of devices with an IPv6 primary too.
	dualStack float64
	profile   string
}

var manufacturerDefs = []struct{ name, slug string }{
	{"Cisco", "cisco"}, {"Juniper", "juniper"}, {"Arista", "arista"}, {"Aruba", "aruba"},
	{"Palo Alto Networks", "palo-alto"}, {"Fortinet", "fortinet"}, {"Dell", "dell"},
	{"HPE", "hpe"}, {"APC", "apc"}, {"Opengear", "opengear"}, {"F5", "f5"},
}

var platformDefs = []struct{ name, slug, manufacturer string }{
	{"Cisco IOS-XE", "cisco-ios-xe", "cisco"},
	{"Cisco NX-OS", "cisco-nx-os", "cisco"},
	{"Juniper Junos", "juniper-junos", "juniper"},
	{"Arista EOS", "arista-eos", "arista"},
	{"ArubaOS-CX", "arubaos-cx", "aruba"},
	{"ArubaOS", "arubaos", "aruba"},
	{"PAN-OS", "pan-os", "palo-alto"},
	{"FortiOS", "fortios", "fortinet"},
	{"VMware ESXi", "vmware-esxi", ""},
	{"Ubuntu Linux", "ubuntu-linux", ""},
	{"Windows Server", "windows-server", ""},
	{"F5 TMOS", "f5-tmos", "f5"},
}

func serialCisco(g *generator) string { return "FOC" + g.digits(4) + "X" + g.alnum(3) }
func serialJuniper(g *generator) string {
	return g.pick([]string{"WS", "JN", "CV"}) + g.digits(10)
}
func serialArista(g *generator) string   { return "JPE" + g.digits(8) }
func serialAruba(g *generator) string    { return "CN" + g.alnum(8) }
func serialPalo(g *generator) string     { return "0132010" + g.digits(5) }
func serialForti(g *generator) string    { return "FG6H0E" + g.digits(10) }
func serialDell(g *generator) string     { return g.alnum(7) }
func serialHPE(g *generator) string      { return "CZJ" + g.digits(3) + g.alnum(4) }
func serialAPC(g *generator) string      { return "5A" + g.digits(4) + "E" + g.digits(5) }
func serialOpengear(g *generator) string { return "14816" + g.digits(7) }
func serialF5(g *generator) string       { return "f5-" + g.lower(4) + "-" + g.lower(4) }

var roleDefs = []roleDef{
	{slug: "core-switch", name: "Core Switch", color: "2196f3", code: "core-sw", fixed: 2, racked: true, dualStack: 0.7, profile: "core",
		models: []modelDef{
			{"Cisco", "C9500-48Y4C", "cisco-ios-xe", "Vlan100", serialCisco, 1},
			{"Arista", "DCS-7280SR3-48YC8", "arista-eos", "Management1", serialArista, 1},
		}},
	{slug: "router", name: "Router", color: "9c27b0", code: "edge-rtr", fixed: 2, racked: true, dualStack: 0.7, profile: "core",
		models: []modelDef{
			{"Juniper", "MX204", "juniper-junos", "fxp0", serialJuniper, 1},
			{"Cisco", "ASR1001-X", "cisco-ios-xe", "GigabitEthernet0", serialCisco, 1},
		}},
	{slug: "firewall", name: "Firewall", color: "f44336", code: "fw", fixed: 2, racked: true, dualStack: 0.5, profile: "core",
		models: []modelDef{
			{"Palo Alto Networks", "PA-3220", "pan-os", "mgmt", serialPalo, 2},
			{"Fortinet", "FortiGate-600E", "fortios", "mgmt", serialForti, 1},
		}},
	{slug: "console-server", name: "Console Server", color: "607d8b", code: "con", fixed: 1, racked: true, profile: "minimal",
		models: []modelDef{{"Opengear", "CM8148", "", "eth0", serialOpengear, 1}}},
	{slug: "distribution-switch", name: "Distribution Switch", color: "03a9f4", code: "dist-sw", weight: 0.08, racked: true, dualStack: 0.2, profile: "standard",
		models: []modelDef{
			{"Cisco", "C9500-24Y4C", "cisco-ios-xe", "Vlan100", serialCisco, 1},
			{"Arista", "DCS-7050SX3-48YC8", "arista-eos", "Management1", serialArista, 1},
		}},
	{slug: "access-switch", name: "Access Switch", color: "4caf50", code: "acc-sw", weight: 0.36, racked: true, dualStack: 0.05, profile: "standard",
		models: []modelDef{
			{"Cisco", "C9300-48P", "cisco-ios-xe", "Vlan100", serialCisco, 1},
			{"Juniper", "EX4300-48P", "juniper-junos", "me0", serialJuniper, 1},
			{"Aruba", "6300M 48G", "arubaos-cx", "mgmt", serialAruba, 1},
		}},
	{slug: "wireless-ap", name: "Access Point", color: "ff9800", code: "ap", weight: 0.26, profile: "minimal",
		models: []modelDef{
			{"Aruba", "AP-515", "arubaos", "eth0", serialAruba, 0},
			{"Cisco", "C9120AXI-B", "cisco-ios-xe", "GigabitEthernet0", serialCisco, 0},
		}},
	{slug: "server", name: "Server", color: "795548", code: "esx", weight: 0.18, racked: true, dualStack: 0.1, profile: "standard",
		models: []modelDef{
			{"Dell", "PowerEdge R750", "vmware-esxi", "vmk0", serialDell, 2},
			{"HPE", "ProLiant DL380 Gen10", "ubuntu-linux", "eno1", serialHPE, 2},
		}},
	{slug: "pdu", name: "PDU", color: "9e9e9e", code: "pdu", weight: 0.09, racked: true, profile: "minimal",
		models: []modelDef{{"APC", "AP8941", "", "eth0", serialAPC, 0}}},
	{slug: "load-balancer", name: "Load Balancer", color: "00bcd4", code: "lb", weight: 0.03, racked: true, dualStack: 0.5, profile: "core",
		models: []modelDef{{"F5", "BIG-IP i4800", "f5-tmos", "mgmt", serialF5, 1}}},
}

var tenantDefs = []struct{ name, slug string }{
	{"Acme Corp", "acme"}, {"Globex Retail", "globex"}, {"Initech Labs", "initech"},
	{"Umbrella Health", "umbrella"}, {"Stark Logistics", "stark"},
}

var tagDefs = []struct{ name, slug, color string }{
	{"monitored", "monitored", "4caf50"},
	{"critical", "critical", "f44336"},
	{"pci-dss", "pci-dss", "9c27b0"},
	{"maintenance", "maintenance", "ff9800"},
	{"lab", "lab", "607d8b"},
	{"no-monitoring", "no-monitoring", "9e9e9e"},
}

// customFieldDefs are the generated custom fields. wug_device_id is the
// text field wugsync's write-back fills (empty until then); the rest are
// device fields real inventories carry, monitoring_profile on VMs too.
var customFieldDefs = []CustomField{
	{ID: 1, Name: "wug_device_id", Type: "text", Label: "WUG device ID", ObjectTypes: []string{"dcim.device", "virtualization.virtualmachine"}},
	{ID: 2, Name: "monitoring_profile", Type: "select", ObjectTypes: []string{"dcim.device", "virtualization.virtualmachine"}},
	{ID: 3, Name: "snmp_enabled", Type: "boolean", ObjectTypes: []string{"dcim.device"}},
	{ID: 4, Name: "support_contract_end", Type: "date", ObjectTypes: []string{"dcim.device"}},
	{ID: 5, Name: "service_tags", Type: "multiselect", ObjectTypes: []string{"dcim.device"}},
	{ID: 6, Name: "owner_team", Type: "text", ObjectTypes: []string{"dcim.device"}},
	{ID: 7, Name: "extra_data", Type: "json", ObjectTypes: []string{"dcim.device"}},
}

// nonASCIIWords are location words real networks put in device names.
var nonASCIIWords = []string{"büro", "küche", "étage2", "sala-reunión", "会議室", "straße", "café", "øst", "łódź", "são-paulo"}
