package models

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"
	"unicode"

	"github.com/wugsync/wugsync/export"
)

// Connection defaults (DESIGN.md §4). They live in Go rather than in GORM
// default tags because GORM skips zero values that carry a default, which
// would silently turn an explicit false into true.
const (
	DefaultWUGPort               = 9644
	DefaultExportIntervalMinutes = 180
	DefaultGroupTemplate         = export.DefaultGroupTemplate
	DefaultRateLimitPerSecond    = 10
	DefaultMaxConcurrentRequests = 4
	DefaultBatchSize             = 100
	// MaxBatchSize is the largest device array WUG accepts in one bulk call
	// (the reference client caps every bulk array at 499).
	MaxBatchSize = 499
	// DefaultNetBoxCustomField is the NetBox custom field write-back fills
	// (netbox.DefaultCustomFieldName).
	DefaultNetBoxCustomField = "wug_device_id"
)

// CustomStatusPrefix marks a custom NetBox status in a status filter
// (export.CustomStatusPrefix).
const CustomStatusPrefix = export.CustomStatusPrefix

// DeviceFilters selects which NetBox devices a connection exports
// (export.DeviceFilters).
type DeviceFilters = export.DeviceFilters

// RoleRule maps NetBox roles to a WUG role (export.RoleRule).
type RoleRule = export.RoleRule

// FilterValues is one filter's list of NetBox ids and slugs
// (export.FilterValues).
type FilterValues = export.FilterValues

// FilterValueError is a filter value that is neither an id nor a slug
// (export.FilterValueError).
type FilterValueError = export.FilterValueError

// WUGConnection is one WhatsUp Gold server and how NetBox devices are
// exported to it.
type WUGConnection struct {
	ID       uint   `gorm:"column:id;primaryKey" json:"id"`
	Name     string `gorm:"column:name" json:"name"`
	Host     string `gorm:"column:host" json:"host"`
	Port     int    `gorm:"column:port" json:"port"`
	Username string `gorm:"column:username" json:"username"`
	// PasswordEncrypted holds the AES-GCM sealed password (see Sealer); the
	// plaintext is never stored and never serialised.
	PasswordEncrypted string `gorm:"column:password_encrypted" json:"-"`
	UseSSL            bool   `gorm:"column:use_ssl" json:"use_ssl"`
	VerifySSL         bool   `gorm:"column:verify_ssl" json:"verify_ssl"`
	// CACertPEM is an optional CA bundle for WUG servers with a private CA,
	// so verification can stay on.
	CACertPEM             string        `gorm:"column:ca_cert_pem" json:"ca_cert_pem,omitempty"`
	IsActive              bool          `gorm:"column:is_active" json:"is_active"`
	EnableNetBoxExport    bool          `gorm:"column:enable_netbox_export" json:"enable_netbox_export"`
	ExportIntervalMinutes int           `gorm:"column:export_interval_minutes" json:"export_interval_minutes"`
	LastExport            *time.Time    `gorm:"column:last_export" json:"last_export"`
	AutoScanExportedIPs   bool          `gorm:"column:auto_scan_exported_ips" json:"auto_scan_exported_ips"`
	DeviceFilters         DeviceFilters `gorm:"column:device_filters;serializer:json" json:"device_filters"`
	GroupTemplate         string        `gorm:"column:group_template" json:"group_template"`
	// RoleRules map NetBox roles to WUG roles and device types; empty uses
	// the built-in rules (export.DefaultRoleRules).
	RoleRules             []RoleRule         `gorm:"column:role_rules;serializer:json" json:"role_rules"`
	CreateMissingGroups   bool               `gorm:"column:create_missing_groups" json:"create_missing_groups"`
	DecommissionAction    DecommissionAction `gorm:"column:decommission_action" json:"decommission_action"`
	RateLimitPerSecond    int                `gorm:"column:rate_limit_per_second" json:"rate_limit_per_second"`
	MaxConcurrentRequests int                `gorm:"column:max_concurrent_requests" json:"max_concurrent_requests"`
	BatchSize             int                `gorm:"column:batch_size" json:"batch_size"`
	// WUGConsoleURL is the WUG web console's page for one device, with
	// ConsoleDevicePlaceholder for the WUG device id. Empty stores "the
	// default" (DefaultConsoleURL), which follows the host; read it with
	// ConsoleURL.
	WUGConsoleURL string `gorm:"column:wug_console_url" json:"wug_console_url" doc:"the WUG web console's page for one device, {id} standing for the WUG device id (e.g. https://wug.example.com/NmConsole/#v2/device/{id}); without {id} links open the console's root. Default (also on an empty value): https://<host>/NmConsole/, following the host"`
	// NetBoxWriteback writes the WUG device id of every object this
	// connection creates, adopts or links into the NetBox custom field
	// NetBoxCustomField, and clears it when a decommission deletes the WUG
	// device (DESIGN.md §10). Off by default: the token then needs no
	// write rights.
	NetBoxWriteback bool `gorm:"column:netbox_writeback" json:"netbox_writeback" doc:"write the WUG device id into the NetBox custom field netbox_custom_field after a create, an adoption or a scan link, and clear it when a decommission deletes the WUG device; needs dcim.change_device (and virtualization.change_virtualmachine) on the NetBox token. Default false"`
	// NetBoxCustomField is the NetBox custom field (type text) holding the
	// WUG device id; two write-back connections may not share one.
	NetBoxCustomField string `gorm:"column:netbox_custom_field" json:"netbox_custom_field" doc:"the NetBox custom field (type text, on dcim.device and virtualization.virtualmachine) that holds the WUG device id; POST /api/v1/connections/{id}/netbox-setup creates it. Two connections with netbox_writeback may not name the same field (422). Default wug_device_id"`
	// NetBoxJournal adds a NetBox journal entry on the object when this
	// connection creates, adopts, links or decommissions its WUG device.
	NetBoxJournal bool `gorm:"column:netbox_journal" json:"netbox_journal" doc:"add a NetBox journal entry on the object when wugsync creates, adopts or scan-links its WUG device (kind info) or decommissions it (kind warning); needs extras.add_journalentry. Default false"`
	// ExportVirtualMachines exports NetBox virtual machines beside devices,
	// by the same rules (DESIGN.md §10). Off by default, so an upgrade
	// changes nothing on WUG until a person opts in.
	ExportVirtualMachines bool      `gorm:"column:export_virtual_machines" json:"export_virtual_machines" doc:"export NetBox virtual machines too, by the same rules as devices (templateId nb-vm-<id>); default false"`
	CreatedAt             time.Time `gorm:"column:created_at" json:"created_at"`
	UpdatedAt             time.Time `gorm:"column:updated_at" json:"updated_at"`

	// pending is a password set before the row had an id (see SetPassword).
	pending *pendingPassword
}

// TableName pins the table name so GORM's naming rules cannot drift from the
// migrations.
func (WUGConnection) TableName() string { return "wug_connections" }

// NewWUGConnection returns a connection with every default of DESIGN.md §4.
func NewWUGConnection() WUGConnection {
	return WUGConnection{
		Port:                  DefaultWUGPort,
		UseSSL:                true,
		VerifySSL:             true,
		IsActive:              true,
		EnableNetBoxExport:    true,
		ExportIntervalMinutes: DefaultExportIntervalMinutes,
		AutoScanExportedIPs:   true,
		GroupTemplate:         DefaultGroupTemplate,
		CreateMissingGroups:   true,
		DecommissionAction:    DecommissionNone,
		RateLimitPerSecond:    DefaultRateLimitPerSecond,
		MaxConcurrentRequests: DefaultMaxConcurrentRequests,
		BatchSize:             DefaultBatchSize,
		NetBoxCustomField:     DefaultNetBoxCustomField,
	}
}

// BaseURL is the scheme, host and port the WUG REST API answers on.
func (c WUGConnection) BaseURL() string {
	scheme := "https"
	if !c.UseSSL {
		scheme = "http"
	}
	host := c.Host
	if strings.Contains(host, ":") && !strings.HasPrefix(host, "[") {
		host = "[" + host + "]" // a bare IPv6 address
	}
	return fmt.Sprintf("%s://%s:%d", scheme, host, c.Port)
}

// ConsoleDevicePlaceholder stands for the WUG device id in WUGConsoleURL.
const ConsoleDevicePlaceholder = "{id}"

// maxConsoleURLLength bounds WUGConsoleURL, like browsers' practical limit.
const maxConsoleURLLength = 2000

// DefaultConsoleURL is the WUG web console's root on the connection's host
// (DESIGN.md §10). It has no device placeholder because the device page's
// address differs between WUG versions; the root works on all of them.
func (c WUGConnection) DefaultConsoleURL() string {
	host := c.Host
	if strings.Contains(host, ":") && !strings.HasPrefix(host, "[") {
		host = "[" + host + "]" // a bare IPv6 address
	}
	return "https://" + host + "/NmConsole/"
}

// ConsoleURL is the console URL in effect: the one set, or the default.
func (c WUGConnection) ConsoleURL() string {
	if c.WUGConsoleURL != "" {
		return c.WUGConsoleURL
	}
	return c.DefaultConsoleURL()
}

// ConsoleDeviceURL is the console page of WUG device id: ConsoleURL with
// ConsoleDevicePlaceholder replaced by the escaped id, or the console URL
// itself when it has no placeholder.
func (c WUGConnection) ConsoleDeviceURL(id string) string {
	return strings.ReplaceAll(c.ConsoleURL(), ConsoleDevicePlaceholder, url.PathEscape(id))
}

// CheckConsoleURL accepts an absolute http or https URL with a host, no
// user info (a password in it would be shown to every reader) and no
// spaces; ConsoleDevicePlaceholder may appear anywhere in it.
func CheckConsoleURL(raw string) error {
	if len(raw) > maxConsoleURLLength {
		return fmt.Errorf("is longer than %d characters", maxConsoleURLLength)
	}
	if strings.ContainsFunc(raw, unicode.IsSpace) {
		return errors.New("contains a space; write it as %20")
	}
	u, err := url.Parse(strings.ReplaceAll(raw, ConsoleDevicePlaceholder, "1"))
	switch {
	case err != nil:
		return fmt.Errorf("%q is not a URL", raw)
	case u.Scheme != "http" && u.Scheme != "https":
		return fmt.Errorf("%q is not an http or https URL (e.g. https://wug.example.com/NmConsole/#v2/device/{id})", raw)
	case u.Host == "" || u.Hostname() == "":
		return fmt.Errorf("%q names no host", raw)
	case u.User != nil:
		return errors.New("must not hold a user name or password")
	}
	return nil
}

// Validate checks every field a person can set, naming the first field that is
// wrong in the JSON spelling the API uses.
func (c WUGConnection) Validate() error {
	switch {
	case strings.TrimSpace(c.Name) == "":
		return FieldError{"name", "is required"}
	case len(c.Name) > 100:
		return FieldError{"name", "is longer than 100 characters"}
	case strings.TrimSpace(c.Host) == "":
		return FieldError{"host", "is required"}
	case c.Port < 1 || c.Port > 65535:
		return FieldError{"port", fmt.Sprintf("%d is not between 1 and 65535", c.Port)}
	case strings.TrimSpace(c.Username) == "":
		return FieldError{"username", "is required"}
	case c.ExportIntervalMinutes < 1 || c.ExportIntervalMinutes > 10080:
		return FieldError{"export_interval_minutes", fmt.Sprintf("%d is not between 1 and 10080 (a week)", c.ExportIntervalMinutes)}
	case !c.DecommissionAction.Valid():
		return FieldError{"decommission_action", enumProblem(c.DecommissionAction, DecommissionActions())}
	case c.RateLimitPerSecond < 1 || c.RateLimitPerSecond > 1000:
		return FieldError{"rate_limit_per_second", fmt.Sprintf("%d is not between 1 and 1000", c.RateLimitPerSecond)}
	case c.MaxConcurrentRequests < 1 || c.MaxConcurrentRequests > 100:
		return FieldError{"max_concurrent_requests", fmt.Sprintf("%d is not between 1 and 100", c.MaxConcurrentRequests)}
	case c.BatchSize < 1 || c.BatchSize > MaxBatchSize:
		return FieldError{"batch_size", fmt.Sprintf("%d is not between 1 and %d", c.BatchSize, MaxBatchSize)}
	case strings.TrimSpace(c.GroupTemplate) == "":
		return FieldError{"group_template", "is required (e.g. {site})"}
	case c.NetBoxCustomField == "":
		return FieldError{"netbox_custom_field", "is required (e.g. " + DefaultNetBoxCustomField + ")"}
	}
	if c.WUGConsoleURL != "" {
		if err := CheckConsoleURL(c.WUGConsoleURL); err != nil {
			return FieldError{"wug_console_url", err.Error()}
		}
	}
	return nil
}

// FieldError names the field of a model that failed validation.
type FieldError struct {
	Field   string
	Problem string
}

func (e FieldError) Error() string { return e.Field + ": " + e.Problem }
