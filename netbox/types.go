package netbox

import (
	"fmt"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Object types as NetBox names them in event rules, webhooks
// ("object_type") and assigned_object_type.
const (
	ObjectTypeDevice         = "dcim.device"
	ObjectTypeSite           = "dcim.site"
	ObjectTypeIPAddress      = "ipam.ipaddress"
	ObjectTypeInterface      = "dcim.interface"
	ObjectTypeVirtualMachine = "virtualization.virtualmachine"
	ObjectTypeVMInterface    = "virtualization.vminterface"
)

// Choice is a NetBox choice field, rendered by the API as
// {"value": "active", "label": "Active"}. Admins can add choices, so Value is
// an open string rather than an enum.
type Choice struct {
	Value string `json:"value"`
	Label string `json:"label"`
}

// Ref is the brief (nested) form of a related object: a site, role,
// platform, tenant, manufacturer, location, rack, region, VRF or cluster as
// it appears inside another object. Nested counts and _depth, which come and
// go between versions, are deliberately not decoded.
type Ref struct {
	ID      int64  `json:"id"`
	URL     string `json:"url,omitempty"`
	Display string `json:"display,omitempty"`
	Name    string `json:"name"`
	// Slug is empty for models without one (racks, clusters, VRFs).
	Slug        string `json:"slug,omitempty"`
	Description string `json:"description,omitempty"`
}

// DeviceType is the nested device type of a device. Its display is the model.
type DeviceType struct {
	ID           int64  `json:"id"`
	URL          string `json:"url,omitempty"`
	Display      string `json:"display,omitempty"`
	Manufacturer Ref    `json:"manufacturer"`
	Model        string `json:"model"`
	Slug         string `json:"slug"`
	Description  string `json:"description,omitempty"`
}

// IPRef is the nested form of an IP address (primary_ip, primary_ip4,
// primary_ip6, oob_ip). Only id, address and family are relied on; everything
// else is optional because 4.6 added NAT fields and dns_name to this shape.
type IPRef struct {
	ID      int64  `json:"id"`
	URL     string `json:"url,omitempty"`
	Display string `json:"display,omitempty"`
	// Family is 4 or 6.
	Family int `json:"family"`
	// Address is CIDR text as NetBox stores it, e.g. "10.20.0.11/24". Use
	// Host or Addr to get the address without the prefix length.
	Address     string `json:"address"`
	Description string `json:"description,omitempty"`
	// DNSName is set only by versions that nest it (4.6.4+) or when the
	// value came from a full IP address object.
	DNSName string `json:"dns_name,omitempty"`
}

// Addr parses Address and returns the host address without the prefix
// length. It fails for a malformed address rather than guessing.
func (r IPRef) Addr() (netip.Addr, error) { return parseHostAddr(r.Address) }

// Host returns Address without the "/len" suffix, as WUG wants it. It returns
// the text unchanged when there is no suffix.
func (r IPRef) Host() string { return stripPrefixLen(r.Address) }

// Tag is the nested form of a tag.
type Tag struct {
	ID    int64  `json:"id,omitempty"`
	Name  string `json:"name"`
	Slug  string `json:"slug"`
	Color string `json:"color,omitempty"`
}

// Device is a NetBox device (dcim.device) as the list and detail endpoints
// and the webhook data render it, decoded leniently across 4.1 to 4.6.
type Device struct {
	ID int64 `json:"id"`
	// URL is the API URL. It is relative ("/api/dcim/devices/42/") in
	// webhook data and absolute in REST answers.
	URL string `json:"url"`
	// DisplayURL is the web UI URL. When a version omits display_url it is
	// derived from URL.
	DisplayURL string `json:"display_url"`
	// Display is NetBox's str(device): the name, "name (asset tag)", or
	// "<Manufacturer> <Model> (<id>)" for an unnamed device.
	Display string `json:"display"`
	// Name is nil for an unnamed device, which NetBox allows.
	Name       *string    `json:"name"`
	DeviceType DeviceType `json:"device_type"`
	// Role is the device role; decoded from "role" (4.x) or the pre-3.6
	// "device_role".
	Role     Ref     `json:"role"`
	Tenant   *Ref    `json:"tenant"`
	Platform *Ref    `json:"platform"`
	Serial   string  `json:"serial"`
	AssetTag *string `json:"asset_tag"`
	Site     Ref     `json:"site"`
	Location *Ref    `json:"location"`
	Rack     *Ref    `json:"rack"`
	// Position is the rack unit, e.g. 40 or 40.5.
	Position *float64 `json:"position"`
	Status   Choice   `json:"status"`
	// PrimaryIP is NetBox's pick between PrimaryIP6 and PrimaryIP4 (IPv6
	// first unless the server sets PREFER_IPV4).
	PrimaryIP   *IPRef `json:"primary_ip"`
	PrimaryIP4  *IPRef `json:"primary_ip4"`
	PrimaryIP6  *IPRef `json:"primary_ip6"`
	OOBIP       *IPRef `json:"oob_ip"`
	Cluster     *Ref   `json:"cluster"`
	Description string `json:"description"`
	Comments    string `json:"comments"`
	Tags        []Tag  `json:"tags"`
	// CustomFields holds every custom field defined for devices, with nil for
	// unset ones. Values keep their JSON type: string, float64, bool,
	// []any, map[string]any (object fields) or nil.
	CustomFields map[string]any `json:"custom_fields"`
	// Created and LastUpdated are zero when NetBox sends null.
	Created     time.Time `json:"created"`
	LastUpdated time.Time `json:"last_updated"`
}

// DisplayName is the name to show for the device: its name, else NetBox's
// display string, else "device-<id>", so an unnamed device still gets a
// stable, recognisable label.
func (d Device) DisplayName() string {
	if d.Name != nil && strings.TrimSpace(*d.Name) != "" {
		return *d.Name
	}
	if strings.TrimSpace(d.Display) != "" {
		return d.Display
	}
	return "device-" + strconv.FormatInt(d.ID, 10)
}

// HasTag reports whether the device carries the tag with this slug.
func (d Device) HasTag(slug string) bool { return hasTag(d.Tags, slug) }

// TagSlugs returns the device's tag slugs, sorted.
func (d Device) TagSlugs() []string { return tagSlugs(d.Tags) }

func hasTag(tags []Tag, slug string) bool {
	for _, t := range tags {
		if t.Slug == slug {
			return true
		}
	}
	return false
}

// tagSlugs returns the slugs sorted. Tags decoded from a webhook snapshot
// carry only names and are left out.
func tagSlugs(tags []Tag) []string {
	out := make([]string, 0, len(tags))
	for _, t := range tags {
		if t.Slug != "" {
			out = append(out, t.Slug)
		}
	}
	slices.Sort(out)
	return out
}

// AssignedObject is the nested object an IP address is assigned to: an
// interface (with its Device) or a VM interface (with its VirtualMachine).
type AssignedObject struct {
	ID             int64  `json:"id"`
	URL            string `json:"url,omitempty"`
	Display        string `json:"display,omitempty"`
	Name           string `json:"name"`
	Device         *Ref   `json:"device,omitempty"`
	VirtualMachine *Ref   `json:"virtual_machine,omitempty"`
}

// IPAddress is an IPAM IP address (ipam.ipaddress) from
// /api/ipam/ip-addresses/ or webhook data.
type IPAddress struct {
	ID         int64  `json:"id"`
	URL        string `json:"url"`
	DisplayURL string `json:"display_url"`
	Display    string `json:"display"`
	// Family is 4 or 6.
	Family int `json:"family"`
	// Address is CIDR text, e.g. "10.20.0.11/24".
	Address string  `json:"address"`
	VRF     *Ref    `json:"vrf"`
	Tenant  *Ref    `json:"tenant"`
	Status  Choice  `json:"status"`
	Role    *Choice `json:"role"`
	// AssignedObjectType is e.g. "dcim.interface"; empty when unassigned.
	AssignedObjectType string `json:"assigned_object_type"`
	// AssignedObjectID is 0 when unassigned.
	AssignedObjectID int64           `json:"assigned_object_id"`
	AssignedObject   *AssignedObject `json:"assigned_object"`
	DNSName          string          `json:"dns_name"`
	Description      string          `json:"description"`
	Tags             []Tag           `json:"tags"`
	CustomFields     map[string]any  `json:"custom_fields"`
	Created          time.Time       `json:"created"`
	LastUpdated      time.Time       `json:"last_updated"`
}

// Addr parses Address and returns the host address without the prefix length.
func (ip IPAddress) Addr() (netip.Addr, error) { return parseHostAddr(ip.Address) }

// Host returns Address without the "/len" suffix.
func (ip IPAddress) Host() string { return stripPrefixLen(ip.Address) }

// DeviceID returns the id of the device whose interface holds the address,
// and false when the address is unassigned or assigned to something else
// (a VM interface, an FHRP group).
func (ip IPAddress) DeviceID() (int64, bool) {
	if ip.AssignedObject == nil || ip.AssignedObject.Device == nil {
		return 0, false
	}
	return ip.AssignedObject.Device.ID, true
}

// VirtualMachine is a virtualization.virtualmachine. VMs have no
// out-of-band IP and may have no site.
type VirtualMachine struct {
	ID           int64          `json:"id"`
	URL          string         `json:"url"`
	DisplayURL   string         `json:"display_url"`
	Display      string         `json:"display"`
	Name         string         `json:"name"`
	Status       Choice         `json:"status"`
	Site         *Ref           `json:"site"`
	Cluster      *Ref           `json:"cluster"`
	Device       *Ref           `json:"device"`
	Role         *Ref           `json:"role"`
	Tenant       *Ref           `json:"tenant"`
	Platform     *Ref           `json:"platform"`
	Serial       string         `json:"serial"`
	PrimaryIP    *IPRef         `json:"primary_ip"`
	PrimaryIP4   *IPRef         `json:"primary_ip4"`
	PrimaryIP6   *IPRef         `json:"primary_ip6"`
	VCPUs        *float64       `json:"vcpus"`
	Memory       *int           `json:"memory"`
	Disk         *int           `json:"disk"`
	Description  string         `json:"description"`
	Comments     string         `json:"comments"`
	Tags         []Tag          `json:"tags"`
	CustomFields map[string]any `json:"custom_fields"`
	Created      time.Time      `json:"created"`
	LastUpdated  time.Time      `json:"last_updated"`
}

// DisplayName is the VM's name, else NetBox's display string, else
// "vm-<id>".
func (vm VirtualMachine) DisplayName() string {
	if strings.TrimSpace(vm.Name) != "" {
		return vm.Name
	}
	if strings.TrimSpace(vm.Display) != "" {
		return vm.Display
	}
	return "vm-" + strconv.FormatInt(vm.ID, 10)
}

// HasTag reports whether the VM carries the tag with this slug.
func (vm VirtualMachine) HasTag(slug string) bool { return hasTag(vm.Tags, slug) }

// TagSlugs returns the VM's tag slugs, sorted.
func (vm VirtualMachine) TagSlugs() []string { return tagSlugs(vm.Tags) }

// Site is a dcim.site with its region, which the nested site inside a device
// lacks. The exporter lists sites once to build "{region}/{site}" paths.
type Site struct {
	ID          int64  `json:"id"`
	URL         string `json:"url"`
	DisplayURL  string `json:"display_url"`
	Display     string `json:"display"`
	Name        string `json:"name"`
	Slug        string `json:"slug"`
	Status      Choice `json:"status"`
	Region      *Ref   `json:"region"`
	Group       *Ref   `json:"group"`
	Tenant      *Ref   `json:"tenant"`
	Facility    string `json:"facility"`
	TimeZone    string `json:"time_zone"`
	Description string `json:"description"`
	// PhysicalAddress is the street address, useful as a WUG note.
	PhysicalAddress string         `json:"physical_address"`
	Latitude        *float64       `json:"latitude"`
	Longitude       *float64       `json:"longitude"`
	Tags            []Tag          `json:"tags"`
	CustomFields    map[string]any `json:"custom_fields"`
	Created         time.Time      `json:"created"`
	LastUpdated     time.Time      `json:"last_updated"`
}

// Region is a dcim.region. Regions nest; Parent is nil for a top-level one.
type Region struct {
	ID          int64  `json:"id"`
	URL         string `json:"url"`
	Display     string `json:"display"`
	Name        string `json:"name"`
	Slug        string `json:"slug"`
	Parent      *Ref   `json:"parent"`
	Description string `json:"description"`
	// Depth is the region's depth in the tree (0 for top level).
	Depth int `json:"_depth"`
}

// ServerStatus is /api/status/ plus the API-Version response header.
type ServerStatus struct {
	// NetBoxVersion is e.g. "4.4.10".
	NetBoxVersion string `json:"netbox-version"`
	// NetBoxFullVersion is e.g. "4.4.10-Docker-3.4.1" (absent before 4.3).
	NetBoxFullVersion string `json:"netbox-full-version"`
	DjangoVersion     string `json:"django-version"`
	PythonVersion     string `json:"python-version"`
	Hostname          string `json:"hostname"`
	// RQWorkersRunning is the number of background workers; 0 means webhooks
	// are queued but not sent.
	RQWorkersRunning int               `json:"rq-workers-running"`
	InstalledApps    map[string]string `json:"installed_apps"`
	Plugins          map[string]string `json:"plugins"`
	// APIVersion is the API-Version response header, e.g. "4.4".
	APIVersion string `json:"-"`
}

// parseHostAddr parses "10.0.0.1/24", "2001:db8::1/64" or a bare address.
func parseHostAddr(s string) (netip.Addr, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return netip.Addr{}, fmt.Errorf("parse ip address: empty")
	}
	if strings.Contains(s, "/") {
		p, err := netip.ParsePrefix(s)
		if err != nil {
			return netip.Addr{}, fmt.Errorf("parse ip address %q: %w", s, err)
		}
		return p.Addr(), nil
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Addr{}, fmt.Errorf("parse ip address %q: %w", s, err)
	}
	return a, nil
}

func stripPrefixLen(s string) string {
	if i := strings.IndexByte(s, '/'); i >= 0 {
		return s[:i]
	}
	return s
}
