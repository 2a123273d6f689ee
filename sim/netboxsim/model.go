package netboxsim

import (
	"maps"
	"slices"
	"time"
)

// The inventory types below are the simulator's database rows. Related
// objects are referenced by id, with 0 meaning NULL, as NetBox's foreign keys
// are; tags are referenced by slug. The REST and webhook renderings are
// built from them per version profile.

// Region is a dcim.region. ParentID 0 is a top-level region.
type Region struct {
	ID          int
	Name        string
	Slug        string
	ParentID    int
	Description string
	Created     time.Time
	LastUpdated time.Time
}

// Site is a dcim.site.
type Site struct {
	ID              int
	Name            string
	Slug            string
	Status          string
	RegionID        int
	TenantID        int
	Facility        string
	TimeZone        string
	Description     string
	PhysicalAddress string
	Latitude        *float64
	Longitude       *float64
	Created         time.Time
	LastUpdated     time.Time
}

// Role is a dcim.devicerole (also used by VMs when VMRole is set).
type Role struct {
	ID          int
	Name        string
	Slug        string
	Color       string
	VMRole      bool
	Description string
	// LastUpdated is when the row last changed; zero is the generation
	// time (genEpoch).
	LastUpdated time.Time
}

// Manufacturer is a dcim.manufacturer.
type Manufacturer struct {
	ID   int
	Name string
	Slug string
	// LastUpdated is when the row last changed; zero is the generation
	// time (genEpoch).
	LastUpdated time.Time
}

// DeviceType is a dcim.devicetype.
type DeviceType struct {
	ID             int
	ManufacturerID int
	Model          string
	Slug           string
	UHeight        float64
	// LastUpdated is when the row last changed; zero is the generation
	// time (genEpoch).
	LastUpdated time.Time
}

// Platform is a dcim.platform (an operating system).
type Platform struct {
	ID             int
	Name           string
	Slug           string
	ManufacturerID int
	// LastUpdated is when the row last changed; zero is the generation
	// time (genEpoch).
	LastUpdated time.Time
}

// Tenant is a tenancy.tenant.
type Tenant struct {
	ID   int
	Name string
	Slug string
	// LastUpdated is when the row last changed; zero is the generation
	// time (genEpoch).
	LastUpdated time.Time
}

// Tag is an extras.tag.
type Tag struct {
	ID    int
	Name  string
	Slug  string
	Color string
	// LastUpdated is when the row last changed; zero is the generation
	// time (genEpoch).
	LastUpdated time.Time
}

// Location is a dcim.location inside a site.
type Location struct {
	ID     int
	SiteID int
	Name   string
	Slug   string
	// LastUpdated is when the row last changed; zero is the generation
	// time (genEpoch).
	LastUpdated time.Time
}

// Rack is a dcim.rack.
type Rack struct {
	ID         int
	SiteID     int
	LocationID int
	Name       string
	FacilityID string
	// LastUpdated is when the row last changed; zero is the generation
	// time (genEpoch).
	LastUpdated time.Time
}

// Cluster is a virtualization.cluster.
type Cluster struct {
	ID     int
	Name   string
	SiteID int
	// LastUpdated is when the row last changed; zero is the generation
	// time (genEpoch).
	LastUpdated time.Time
}

// VRF is an ipam.vrf.
type VRF struct {
	ID   int
	Name string
	RD   string
}

// Interface is a dcim.interface (DeviceID set) or a
// virtualization.vminterface (VirtualMachineID set). IP addresses are
// assigned to interfaces, never to devices directly.
type Interface struct {
	ID               int
	DeviceID         int
	VirtualMachineID int
	Name             string
}

// IPAddress is an ipam.ipaddress. Address is CIDR text ("10.0.0.1/24").
type IPAddress struct {
	ID          int
	Address     string
	VRFID       int
	TenantID    int
	Status      string
	Role        string
	InterfaceID int
	DNSName     string
	Description string
	Tags        []string
	Created     time.Time
	LastUpdated time.Time
}

// Device is a dcim.device.
type Device struct {
	ID           int
	Name         *string
	DeviceTypeID int
	RoleID       int
	TenantID     int
	PlatformID   int
	Serial       string
	AssetTag     *string
	SiteID       int
	LocationID   int
	RackID       int
	Position     *float64
	Face         string
	Status       string
	Airflow      string
	PrimaryIP4ID int
	PrimaryIP6ID int
	OOBIPID      int
	ClusterID    int
	Description  string
	Comments     string
	Tags         []string
	// CustomFields holds values by custom field name; fields left out render
	// as null, as NetBox renders every defined field.
	CustomFields  map[string]any
	ConfigContext map[string]any
	Created       time.Time
	LastUpdated   time.Time
}

// VirtualMachine is a virtualization.virtualmachine.
type VirtualMachine struct {
	ID           int
	Name         string
	Status       string
	SiteID       int
	ClusterID    int
	RoleID       int
	TenantID     int
	PlatformID   int
	PrimaryIP4ID int
	PrimaryIP6ID int
	VCPUs        float64
	MemoryMB     int
	DiskGB       int
	Serial       string
	Description  string
	Comments     string
	Tags         []string
	CustomFields map[string]any
	Created      time.Time
	LastUpdated  time.Time
}

// CustomField is an extras.customfield: every object of its object types
// renders it, null when unset.
type CustomField struct {
	// ID is assigned when zero.
	ID   int
	Name string
	// Type is NetBox's field type: text, longtext, integer, decimal,
	// boolean, date, datetime, url, json, select, multiselect.
	Type string
	// ObjectTypes are the types that carry the field ("dcim.device",
	// "virtualization.virtualmachine"). Empty means both, for hand-built
	// inventories.
	ObjectTypes []string
	Label       string
	GroupName   string
	Description string
	Required    bool
	// Default is given to objects that lack a value when the field is
	// created or gains an object type.
	Default any
	// Weight orders fields (with GroupName and Name); 0 means NetBox's 100.
	Weight          int
	ValidationRegex string
	Created         time.Time
	LastUpdated     time.Time
}

// CustomLink is an extras.customlink.
type CustomLink struct {
	ID          int
	Name        string
	ObjectTypes []string
	Enabled     bool
	LinkText    string
	LinkURL     string
	Weight      int
	GroupName   string
	ButtonClass string
	NewWindow   bool
	Created     time.Time
	LastUpdated time.Time
}

// JournalEntry is an extras.journalentry on a device or VM.
type JournalEntry struct {
	ID int
	// ObjectType and ObjectID are the assigned object, e.g. "dcim.device", 42.
	ObjectType string
	ObjectID   int
	// Kind is info, success, warning or danger.
	Kind        string
	Comments    string
	CreatedBy   string
	Tags        []string
	Created     time.Time
	LastUpdated time.Time
}

// Webhook is an extras.webhook: where an event rule sends its events.
type Webhook struct {
	ID                int
	Name              string
	Description       string
	PayloadURL        string
	HTTPMethod        string
	HTTPContentType   string
	AdditionalHeaders string
	BodyTemplate      string
	Secret            string
	SSLVerification   bool
	CAFilePath        *string
	Created           time.Time
	LastUpdated       time.Time
}

// EventRule is an extras.eventrule. An enabled rule whose action is a
// webhook makes the simulator deliver matching events to that webhook, as
// NetBox's RQ worker would. Conditions are stored but not evaluated: every
// event of the rule's object and event types matches.
type EventRule struct {
	ID          int
	Name        string
	Description string
	ObjectTypes []string
	Enabled     bool
	// EventTypes are object_created, object_updated, object_deleted (and
	// the job events, which the simulator never raises).
	EventTypes []string
	Conditions any
	// ActionType is webhook, script or notification; ActionObjectType and
	// ActionObjectID name the webhook ("extras.webhook", its id).
	ActionType       string
	ActionObjectType string
	ActionObjectID   int
	Created          time.Time
	LastUpdated      time.Time
}

// Inventory is the whole simulated database. GenerateInventory builds a
// realistic one; tests may also build or edit one by hand and pass it in
// Options.Inventory.
type Inventory struct {
	Regions         []Region
	Sites           []Site
	Roles           []Role
	Manufacturers   []Manufacturer
	DeviceTypes     []DeviceType
	Platforms       []Platform
	Tenants         []Tenant
	Tags            []Tag
	Locations       []Location
	Racks           []Rack
	Clusters        []Cluster
	VRFs            []VRF
	CustomFields    []CustomField
	CustomLinks     []CustomLink
	JournalEntries  []JournalEntry
	Webhooks        []Webhook
	EventRules      []EventRule
	Interfaces      []Interface
	IPAddresses     []IPAddress
	Devices         []Device
	VirtualMachines []VirtualMachine
}

// clone deep-copies the mutable parts of a device so callers cannot change
// the simulator's state behind its lock.
func (d Device) clone() Device {
	if d.Name != nil {
		n := *d.Name
		d.Name = &n
	}
	if d.AssetTag != nil {
		a := *d.AssetTag
		d.AssetTag = &a
	}
	if d.Position != nil {
		p := *d.Position
		d.Position = &p
	}
	d.Tags = slices.Clone(d.Tags)
	d.CustomFields = maps.Clone(d.CustomFields)
	d.ConfigContext = maps.Clone(d.ConfigContext)
	return d
}

func (ip IPAddress) clone() IPAddress {
	ip.Tags = slices.Clone(ip.Tags)
	return ip
}

func (vm VirtualMachine) clone() VirtualMachine {
	vm.Tags = slices.Clone(vm.Tags)
	vm.CustomFields = maps.Clone(vm.CustomFields)
	return vm
}

func (cf CustomField) clone() CustomField {
	cf.ObjectTypes = slices.Clone(cf.ObjectTypes)
	return cf
}

func (l CustomLink) clone() CustomLink {
	l.ObjectTypes = slices.Clone(l.ObjectTypes)
	return l
}

func (j JournalEntry) clone() JournalEntry {
	j.Tags = slices.Clone(j.Tags)
	return j
}

func (w Webhook) clone() Webhook {
	if w.CAFilePath != nil {
		p := *w.CAFilePath
		w.CAFilePath = &p
	}
	return w
}

func (r EventRule) clone() EventRule {
	r.ObjectTypes = slices.Clone(r.ObjectTypes)
	r.EventTypes = slices.Clone(r.EventTypes)
	return r
}

// StrPtr returns a pointer to s, for Device.Name and Device.AssetTag.
func StrPtr(s string) *string { return &s }

// updatedAt is when a row of a simple model last changed: the generated
// rows carry the generation time (genEpoch).
func updatedAt(t time.Time) time.Time {
	if t.IsZero() {
		return genEpoch
	}
	return t
}

// stamped is a simple model whose rows say when they last changed, for
// last_updated and its lookups.
type stamped interface{ lastUpdated() time.Time }

func (r *Role) lastUpdated() time.Time         { return updatedAt(r.LastUpdated) }
func (r *Manufacturer) lastUpdated() time.Time { return updatedAt(r.LastUpdated) }
func (r *DeviceType) lastUpdated() time.Time   { return updatedAt(r.LastUpdated) }
func (r *Platform) lastUpdated() time.Time     { return updatedAt(r.LastUpdated) }
func (r *Tenant) lastUpdated() time.Time       { return updatedAt(r.LastUpdated) }
func (r *Tag) lastUpdated() time.Time          { return updatedAt(r.LastUpdated) }
func (r *Location) lastUpdated() time.Time     { return updatedAt(r.LastUpdated) }
func (r *Rack) lastUpdated() time.Time         { return updatedAt(r.LastUpdated) }
func (r *Cluster) lastUpdated() time.Time      { return updatedAt(r.LastUpdated) }
func (r *Site) lastUpdated() time.Time         { return updatedAt(r.LastUpdated) }
func (r *Region) lastUpdated() time.Time       { return updatedAt(r.LastUpdated) }
