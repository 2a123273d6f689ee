package export

import (
	"errors"
	"fmt"
	"net/netip"
	"net/url"
	"strconv"
	"strings"

	"github.com/wugsync/wugsync/netbox"
	"github.com/wugsync/wugsync/wug"
)

// Names of the attributes wugsync sets on every WUG device it manages.
// AttributeNetBoxID also identifies a WUG device as one wugsync exported.
const (
	AttributeNetBoxID         = "NetBox_ID"
	AttributeNetBoxURL        = "NetBox_URL"
	AttributeNetBoxSite       = "NetBox_Site"
	AttributeNetBoxLocation   = "NetBox_Location"
	AttributeNetBoxRack       = "NetBox_Rack"
	AttributeNetBoxRole       = "NetBox_Role"
	AttributeNetBoxDeviceType = "NetBox_DeviceType"
	AttributeNetBoxPlatform   = "NetBox_Platform"
	AttributeNetBoxSerial     = "NetBox_Serial"
	AttributeNetBoxAssetTag   = "NetBox_AssetTag"
	AttributeNetBoxTenant     = "NetBox_Tenant"
	AttributeNetBoxStatus     = "NetBox_Status"
	// AttributeNetBoxObjectType is "device" or "virtualmachine": NetBox_ID
	// alone does not say which, as a device and a VM may share an id.
	AttributeNetBoxObjectType = "NetBox_ObjectType"
	AttributeNetBoxCluster    = "NetBox_Cluster"
	// AttributeNetBoxTags is the object's tag slugs, sorted, joined by ","
	// without spaces, so WUG can filter on a tag with a substring match.
	AttributeNetBoxTags = "NetBox_Tags"
)

// TemplateIDPrefix starts every template id: "nb-<NetBox device id>".
const TemplateIDPrefix = "nb-"

// VMTemplateIDPrefix starts a virtual machine's template id:
// "nb-vm-<NetBox VM id>", never equal to a device's.
const VMTemplateIDPrefix = TemplateIDPrefix + "vm-"

// PingMonitor is the active monitor every exported device gets, so a
// device is watched from the moment it exists even before any scan.
const PingMonitor = "Ping"

// ManagedNoteLine is the note line that tells WUG operators where to edit
// the device.
const ManagedNoteLine = "Managed by wugsync: NetBox is the source of truth for this device; edit it there."

// ErrIncompleteDevice means the device came with related objects known only
// by id (as in webhook snapshots). Mapping it would write wrong names to
// WUG, so the caller must fetch the full device first.
var ErrIncompleteDevice = errors.New("device data is incomplete")

// MapOptions are a connection's mapping settings.
type MapOptions struct {
	// GroupTemplate is the connection's group_template; "" means "{site}".
	GroupTemplate string
	// Site holds what the device's nested site lacks (its region).
	Site SiteInfo
	// RoleRules map roles to WUG roles; none means DefaultRoleRules.
	RoleRules []RoleRule
	// NetBoxURL is NetBox's base URL. When set, the device link is built
	// from it and the device id, so a webhook (whose data carries relative
	// URLs) and a full export produce the same link and no spurious update.
	// When empty the device's own display_url is used.
	NetBoxURL string
}

// Mapped is one NetBox device mapped for WUG: the template to create it
// with, the Fields to store and compare, and the address WUG polls.
type Mapped struct {
	Template wug.DeviceTemplate
	Fields   Fields
	Address  netip.Addr
}

// Map builds the WUG device for a NetBox device (DESIGN.md §6): template
// id "nb-<id>", the device name as display name, one default interface on
// the primary address, role and type from the NetBox role, manufacturer as
// brand, platform as OS, a note linking to NetBox, the Ping monitor, the
// NetBox_* attributes (empty ones omitted) and the group from the template.
// Text is cleaned of control characters and truncated to WUG's limits
// without breaking UTF-8; non-ASCII names are kept as they are.
//
// It fails with primaryIP's errors (ErrNoPrimaryIP, *IPRejection) when
// the device has no address WUG can poll, with *GroupTemplateError for a
// bad template, and with ErrIncompleteDevice for snapshot-only data.
func Map(d netbox.Device, opts MapOptions) (Mapped, error) {
	return MapObject(DeviceObject(d), opts)
}

// MapObject is Map for a device or a virtual machine. A VM's template id
// is "nb-vm-<id>", its link the VM's NetBox page, and its attributes say
// NetBox_ObjectType "virtualmachine" and its cluster.
func MapObject(d Object, opts MapOptions) (Mapped, error) {
	if d.ID <= 0 {
		return Mapped{}, fmt.Errorf("map %s: %w: id %d is not a NetBox id", d.objectType().Noun(), ErrIncompleteDevice, d.ID)
	}
	if err := checkComplete(d); err != nil {
		return Mapped{}, fmt.Errorf("map %s: %w", d.Ref(), err)
	}
	addr, ref, err := primaryIP(d)
	if err != nil {
		return Mapped{}, err
	}
	template := opts.GroupTemplate
	if strings.TrimSpace(template) == "" {
		template = DefaultGroupTemplate
	}
	gt, err := ParseGroupTemplate(template)
	if err != nil {
		return Mapped{}, fmt.Errorf("map %s: %w", d.Ref(), err)
	}
	path, err := gt.objectPath(d, opts.Site)
	if err != nil {
		return Mapped{}, fmt.Errorf("map %s: %w", d.Ref(), err)
	}
	role, deviceType := MapRole(d.Role, opts.RoleRules)
	link := deviceLink(d, opts.NetBoxURL)
	attrs := attributes(d, link)

	f := Fields{
		DisplayName: displayName(d),
		IPAddress:   addr.String(),
		NetworkName: networkName(ref, addr),
		GroupPath:   path,
		PrimaryRole: role,
		DeviceType:  deviceType,
		Brand:       Truncate(cleanText(d.DeviceType.Manufacturer.Name), maxBrandOS),
		OS:          Truncate(cleanText(platformName(d)), maxBrandOS),
		Note:        note(d, link),
		Attributes:  make(map[string]string, len(attrs)),
	}
	for _, a := range attrs {
		f.Attributes[a.Name] = a.Value
	}
	return Mapped{Template: templateFor(d.Ref(), f, attrs), Fields: f, Address: addr}, nil
}

// TemplateID is the WUG template id of a NetBox device.
func TemplateID(deviceID int64) string { return TemplateIDPrefix + strconv.FormatInt(deviceID, 10) }

// ObjectTemplateID is the WUG template id of a NetBox object: "nb-<id>"
// for a device, "nb-vm-<id>" for a virtual machine.
func ObjectTemplateID(r ObjectRef) string {
	if r.Type == ObjectVirtualMachine {
		return VMTemplateIDPrefix + strconv.FormatInt(r.ID, 10)
	}
	return TemplateIDPrefix + strconv.FormatInt(r.ID, 10)
}

// templateFor assembles the creation template from the mapped fields; attrs
// keeps the attributes in their documented order.
func templateFor(ref ObjectRef, f Fields, attrs []wug.NameValue) wug.DeviceTemplate {
	return wug.DeviceTemplate{
		TemplateID:  ObjectTemplateID(ref),
		DisplayName: f.DisplayName,
		DeviceType:  f.DeviceType,
		PrimaryRole: f.PrimaryRole,
		OS:          f.OS,
		Brand:       f.Brand,
		Note:        f.Note,
		Interfaces: []wug.TemplateInterface{{
			Default:              true,
			PollUsingNetworkName: false,
			NetworkAddress:       f.IPAddress,
			NetworkName:          f.NetworkName,
		}},
		Attributes:     attrs,
		ActiveMonitors: []wug.TemplateMonitor{{Name: PingMonitor}},
		Groups:         []wug.GroupRef{WUGGroup(f.GroupPath)},
	}
}

// checkComplete refuses devices whose related objects are bare ids.
func checkComplete(d Object) error {
	refs := []struct {
		what string
		ref  *netbox.Ref
	}{
		{"site", &d.Site}, {"role", &d.Role}, {"tenant", d.Tenant}, {"platform", d.Platform},
		{"location", d.Location}, {"rack", d.Rack}, {"manufacturer", &d.DeviceType.Manufacturer},
		{"cluster", d.Cluster},
	}
	for _, r := range refs {
		if _, err := refName(r.what, r.ref); err != nil {
			return fmt.Errorf("%w: %w", ErrIncompleteDevice, err)
		}
	}
	return nil
}

// displayName is the device name (NetBox's display string for an unnamed
// device), on one line and within WUG's limit.
func displayName(d Object) string {
	name := Truncate(cleanText(d.DisplayName()), wug.MaxDisplayName)
	if name == "" && d.IsVM() {
		return "vm-" + strconv.FormatInt(d.ID, 10)
	}
	if name == "" {
		return "device-" + strconv.FormatInt(d.ID, 10)
	}
	return name
}

// networkName is the DNS name NetBox knows for the address, else the
// address itself, as WUG wants a resolvable name or an IP there.
func networkName(ref *netbox.IPRef, addr netip.Addr) string {
	if ref != nil {
		if name := Truncate(cleanText(ref.DNSName), maxNetworkName); name != "" {
			return name
		}
	}
	return addr.String()
}

// deviceLink is the object's page in the NetBox UI.
func deviceLink(d Object, base string) string {
	if base = strings.TrimSpace(base); base != "" {
		section, kind := "dcim", "devices"
		if d.IsVM() {
			section, kind = "virtualization", "virtual-machines"
		}
		if link, err := url.JoinPath(base, section, kind, strconv.FormatInt(d.ID, 10)); err == nil {
			return link + "/"
		}
	}
	return strings.TrimSpace(d.DisplayURL)
}

// note tells WUG operators where the device comes from and where to change
// it. It holds nothing that changes by itself (no timestamps), so it only
// differs between runs when NetBox changed.
func note(d Object, link string) string {
	lines := []string{ManagedNoteLine}
	if link != "" {
		lines = append(lines, "NetBox: "+link)
	}
	if desc := Truncate(cleanText(d.Description), maxNoteLine); desc != "" {
		lines = append(lines, "Description: "+desc)
	}
	return strings.Join(lines, "\n")
}

// attributes lists the NetBox_* attributes in a fixed order, leaving out
// those without a value.
func attributes(d Object, link string) []wug.NameValue {
	all := []wug.NameValue{
		{Name: AttributeNetBoxID, Value: strconv.FormatInt(d.ID, 10)},
		{Name: AttributeNetBoxURL, Value: link},
		{Name: AttributeNetBoxSite, Value: refLabel(&d.Site)},
		{Name: AttributeNetBoxLocation, Value: refLabel(d.Location)},
		{Name: AttributeNetBoxRack, Value: rackLabel(d)},
		{Name: AttributeNetBoxRole, Value: refLabel(&d.Role)},
		{Name: AttributeNetBoxDeviceType, Value: d.DeviceType.Manufacturer.Name + " " + d.DeviceType.Model},
		{Name: AttributeNetBoxPlatform, Value: platformName(d)},
		{Name: AttributeNetBoxSerial, Value: d.Serial},
		{Name: AttributeNetBoxAssetTag, Value: deref(d.AssetTag)},
		{Name: AttributeNetBoxTenant, Value: refLabel(d.Tenant)},
		{Name: AttributeNetBoxStatus, Value: d.Status.Value},
		{Name: AttributeNetBoxObjectType, Value: string(d.objectType())},
		{Name: AttributeNetBoxCluster, Value: refLabel(d.Cluster)},
		{Name: AttributeNetBoxTags, Value: strings.Join(d.TagSlugs(), ",")},
	}
	out := all[:0]
	for _, a := range all {
		a.Value = Truncate(cleanText(a.Value), maxAttributeValue)
		if a.Value != "" {
			out = append(out, a)
		}
	}
	return out
}

// rackLabel is the rack name plus the unit ("R101 U40"), or "" without a
// rack.
func rackLabel(d Object) string {
	name := refLabel(d.Rack)
	if name == "" || d.Position == nil {
		return name
	}
	return name + " U" + strconv.FormatFloat(*d.Position, 'f', -1, 64)
}

func platformName(d Object) string { return refLabel(d.Platform) }

// refLabel is a related object's name, "" when there is none. Map has
// already refused objects known only by id.
func refLabel(r *netbox.Ref) string {
	name, _ := refName("", r)
	return name
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
