package wug

import (
	"strings"
	"time"
)

// Well-known group ids.
const (
	// RootGroupID is "My Network", the root of WUG's group tree.
	RootGroupID = "0"
	// AllDevicesGroupID is the pseudo group WhatsUp Gold uses for device searches over every
	// device ("All Devices").
	AllDevicesGroupID = "-1"
	// RootGroupName is the name of the root group; template group paths start with it.
	RootGroupName = "My Network"
)

// MaxPageSize is the largest page the client asks for. Servers cap limit at an "optimal" size
// (250 in current versions), so asking for more only hides a smaller real page size.
const MaxPageSize = 250

// MaxBatchSize is the largest device list sent in one bulk request (delete, maintenance,
// group membership, templates), as the PowerShell client does; larger lists are split.
const MaxBatchSize = 499

// DeviceTemplate describes a device to create with PATCH /devices/-/config/template.
// Each template creates a new device: WUG does not look for an existing one.
type DeviceTemplate struct {
	// TemplateID is the caller's key for this template (e.g. "nb-42"). Results are matched
	// to templates by it, so it must be unique within one ApplyTemplates call.
	TemplateID string
	// DisplayName is the device name shown in WUG (required, at most 150 characters).
	DisplayName string
	// DeviceType is WUG's device type (e.g. "Cisco Switch"); empty lets WUG pick its default.
	DeviceType string
	// PrimaryRole is the WUG role (e.g. "Router", "Switch"); an unknown role becomes "Device".
	PrimaryRole string
	// SubRoles are extra WUG roles; unknown ones are skipped by WUG.
	SubRoles []string
	// OS and Brand are free text shown on the device.
	OS    string
	Brand string
	// Note is the device note.
	Note string
	// SNMPOID is the device's sysObjectID, when known.
	SNMPOID string
	// PollInterval is the polling interval; zero leaves WUG's default. WUG accepts 10 s to 84600 s.
	PollInterval time.Duration
	// ActionPolicy is the name of an action policy to attach.
	ActionPolicy string
	// AutoRefresh sets "keep device details current"; nil leaves WUG's default (true).
	AutoRefresh *bool
	// Credentials are credential names by type (e.g. {"SNMP v2", "public-ro"}).
	Credentials []TemplateCredential
	// Interfaces lists the device's addresses; at least one is required and exactly one
	// should be the default.
	Interfaces []TemplateInterface
	// Attributes are name/value pairs stored on the device; names should be unique.
	Attributes []NameValue
	// CustomLinks are name/URL pairs shown on the device.
	CustomLinks []NameValue
	// ActiveMonitors are matched by name (and class id when it is a GUID), e.g. {Name: "Ping"}.
	ActiveMonitors []TemplateMonitor
	// Groups place the device; each is a group name plus its parents from "My Network".
	// Empty means WUG's default ("Discovered Devices", else "My Network").
	Groups []GroupRef
}

// TemplateCredential names one credential of one type for a DeviceTemplate.
type TemplateCredential struct {
	Type string // e.g. "SNMP v2", "SSH"
	Name string // the credential's name in WUG's credential library
}

// TemplateInterface is one network interface of a DeviceTemplate.
type TemplateInterface struct {
	Default              bool
	PollUsingNetworkName bool
	NetworkAddress       string // an IP address (required)
	NetworkName          string // DNS name or IP; WUG polls it when PollUsingNetworkName is set
}

// TemplateMonitor names an active monitor to attach.
type TemplateMonitor struct {
	ClassID string // leave empty unless it is the monitor class GUID on this server
	Name    string // e.g. "Ping"
}

// NameValue is a generic name/value pair (attributes, custom links, product values).
type NameValue struct {
	Name  string
	Value string
}

// GroupRef names a group in a template: Name is the group itself, Parents the path from
// "My Network" down to its parent (e.g. Name "CH_DC", Parents ["My Network", "DATA_CENTERS"]).
// ID may be used instead of a path, but real servers have been seen to mishandle it.
type GroupRef struct {
	Name    string
	Parents []string
	ID      string
}

// TemplateOption is one of WUG's apply-template options.
type TemplateOption string

// Template options documented by WUG. OptionAll is the default.
const (
	OptionAll     TemplateOption = "all"
	OptionL2      TemplateOption = "l2"
	OptionUpdate  TemplateOption = "update" // refresh new devices after creation (starts a scan)
	OptionRefresh TemplateOption = "refresh"
)

// TemplateResult is the outcome of one template. A template succeeded when WUG returned a
// device id for it; any Errors then are warnings (e.g. a monitor that was not found). It
// failed when it has errors and no device id.
type TemplateResult struct {
	TemplateID string
	DeviceID   string
	Errors     []string
	OK         bool
}

// DeviceOverview is WUG's summary of a device, as returned by searches and GET /devices/{id}.
// Which fields are filled depends on the view the call asked for.
type DeviceOverview struct {
	ID                      string
	Name                    string // the display name
	Description             string
	HostName                string
	NetworkAddress          string
	Role                    string
	Brand                   string
	OS                      string
	Notes                   string
	BestState               string // Up, Down, Maintenance, Unknown
	WorstState              string
	TotalActiveMonitors     int
	TotalActiveMonitorsDown int
}

// InMaintenance reports whether WUG shows the device in maintenance mode.
func (d DeviceOverview) InMaintenance() bool {
	return strings.EqualFold(d.BestState, "Maintenance") || strings.EqualFold(d.WorstState, "Maintenance")
}

// DeviceProperties are the editable properties of a device (GET /devices/{id}/properties).
type DeviceProperties struct {
	ID                 string
	DisplayName        string
	Note               string
	SNMPOID            string
	IsWireless         bool
	CollectWireless    bool
	KeepDetailsCurrent bool
	ActionPolicy       string
}

// DevicePropertiesUpdate changes some properties of a device; nil fields are left alone.
type DevicePropertiesUpdate struct {
	DisplayName        *string
	Note               *string
	SNMPOID            *string
	IsWireless         *bool
	CollectWireless    *bool
	KeepDetailsCurrent *bool
}

// Interface is one network interface of a device.
type Interface struct {
	ID            string
	HostName      string
	Address       string
	Default       bool
	PollUsingName bool
}

// Attribute is one attribute of a device. Names are not guaranteed to be unique.
type Attribute struct {
	ID    string
	Name  string
	Value string
}

// AttributeBatch is one PATCH /devices/{id}/attributes/- request. WUG applies it in this
// order: DeleteAll, DeleteIDs, DeleteNames, Modify, Add.
type AttributeBatch struct {
	DeleteAll   bool
	DeleteIDs   []string
	DeleteNames []string // matched case-insensitively by WUG
	Modify      []Attribute
	Add         []NameValue
}

// Group is a WUG device group.
type Group struct {
	ID          string
	Name        string
	Description string
	ParentID    string // empty for "My Network"
}

// BatchResult is WUG's CountedSuccessResult for bulk operations, summed over every request
// when the client had to split a large list.
type BatchResult struct {
	Successful          int
	Success             bool
	Errors              []string
	ResourcesNotAllowed []string
	ResourcesWithErrors []string
	LimitReached        bool
	MaximumReached      bool
}

// ScanOptions tune a newDevice discovery scan. The zero value scans with every credential,
// as WUG's defaults do.
type ScanOptions struct {
	// ForceAdd adds the device without scanning it.
	ForceAdd bool
	// ForceCreate, with ForceAdd, creates a new device even when one matches.
	ForceCreate bool
	// ForceRole sets the role of found devices.
	ForceRole string
	// Credentials are credential names to try in order; empty means every credential.
	Credentials []string
	// ResolveDNSHostNames resolves host names of found devices.
	ResolveDNSHostNames bool
}

// Scan is the status of a discovery scan (WUG's ActiveScan).
type Scan struct {
	ID              string
	Name            string
	Description     string
	Model           string // newDevice, refresh…
	Type            string
	Phase           string
	Progress        float64
	PhaseProgress   float64
	DevicesFound    int
	DevicesComplete int
	ScanUTC         time.Time
}

// Done reports whether the scan looks finished. WUG does not document a completion flag, so
// this accepts each signal seen in the wild: a terminal phase name, progress at 100, or every
// found device complete.
func (s Scan) Done() bool {
	switch strings.ToLower(s.Phase) {
	case "complete", "completed", "done", "finished", "cancelled", "canceled", "failed":
		return true
	}
	if s.Progress >= 100 {
		return true
	}
	return s.DevicesFound > 0 && s.DevicesComplete >= s.DevicesFound
}

// ProductInfo is WUG's product version information.
type ProductInfo struct {
	// Values are the name/value pairs WUG returned.
	Values []NameValue
	// Version is the value whose name mentions "version" (or the first value).
	Version string
}
