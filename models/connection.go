package models

import (
	"fmt"
	"strings"
	"time"
)

// Connection defaults (DESIGN.md §4). They live in Go rather than in GORM
// default tags because GORM skips zero values that carry a default, which
// would silently turn an explicit false into true.
const (
	DefaultWUGPort               = 9644
	DefaultExportIntervalMinutes = 180
	DefaultGroupTemplate         = "{site}"
	DefaultRateLimitPerSecond    = 10
	DefaultMaxConcurrentRequests = 4
	DefaultBatchSize             = 100
	// MaxBatchSize is the largest device array WUG accepts in one bulk call
	// (the reference client caps every bulk array at 499).
	MaxBatchSize = 499
)

// CustomStatusPrefix marks a status filter value that NetBox's built-in
// choices do not have (one an admin added with FIELD_CHOICES):
// "custom:retired" selects the status "retired". Without it the API accepts
// only the built-in values, so a typo does not silently select nothing.
const CustomStatusPrefix = "custom:"

// DeviceFilters selects which NetBox devices a connection exports. Sites,
// roles, tags, platforms and tenants take NetBox ids (JSON numbers) and
// slugs (JSON strings), as the seed plugin documented; statuses hold status
// values, custom ones with CustomStatusPrefix. An empty list does not
// filter. export.NetBoxQuery turns them into NetBox's query.
type DeviceFilters struct {
	Sites     FilterValues `json:"sites,omitempty" doc:"NetBox site ids (numbers) and slugs (strings)"`
	Roles     FilterValues `json:"roles,omitempty" doc:"NetBox device role ids (numbers) and slugs (strings)"`
	Tags      FilterValues `json:"tags,omitempty" doc:"NetBox tag ids (numbers, NetBox 4.3 or later) and slugs (strings); a device must carry every one"`
	Statuses  []string     `json:"statuses,omitempty" doc:"NetBox statuses: offline, active, planned, staged, failed, inventory, decommissioning, paused (VMs); custom:<value> for one your NetBox adds"`
	Platforms FilterValues `json:"platforms,omitempty" doc:"NetBox platform ids (numbers) and slugs (strings)"`
	Tenants   FilterValues `json:"tenants,omitempty" doc:"NetBox tenant ids (numbers) and slugs (strings)"`
}

// EffectiveStatuses is the status selection as NetBox spells it (custom
// statuses without CustomStatusPrefix), defaulting to "active" as
// DESIGN.md §6 says.
func (f DeviceFilters) EffectiveStatuses() []string {
	if len(f.Statuses) == 0 {
		return []string{"active"}
	}
	out := make([]string, len(f.Statuses))
	for i, s := range f.Statuses {
		out[i] = strings.TrimPrefix(s, CustomStatusPrefix)
	}
	return out
}

// Merge narrows f by a run's own filters: a list given for the run replaces
// the connection's list for that field.
func (f DeviceFilters) Merge(run DeviceFilters) DeviceFilters {
	return DeviceFilters{
		Sites:     pick(f.Sites, run.Sites),
		Roles:     pick(f.Roles, run.Roles),
		Tags:      pick(f.Tags, run.Tags),
		Statuses:  pick(f.Statuses, run.Statuses),
		Platforms: pick(f.Platforms, run.Platforms),
		Tenants:   pick(f.Tenants, run.Tenants),
	}
}

// pick is the run's list when it has one, else the connection's.
func pick[L ~[]string](conn, run L) L {
	if len(run) > 0 {
		return run
	}
	return conn
}

// RoleRule maps NetBox roles to a WUG role: the first rule whose phrases
// match the role's slug or name (whole words, any case) wins.
type RoleRule struct {
	// Match lists words or phrases ("access point" matches the slug
	// "access-point" and the name "Access Point").
	Match []string `json:"match"`
	// PrimaryRole is the WUG role; WUG turns an unknown one into "Device".
	PrimaryRole string `json:"primary_role"`
	// DeviceType is the WUG device type (icon and category).
	DeviceType string `json:"device_type"`
}

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
	CreatedAt             time.Time          `gorm:"column:created_at" json:"created_at"`
	UpdatedAt             time.Time          `gorm:"column:updated_at" json:"updated_at"`

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
	}
	return nil
}

// FieldError names the field of a model that failed validation.
type FieldError struct {
	Field   string
	Problem string
}

func (e FieldError) Error() string { return e.Field + ": " + e.Problem }
