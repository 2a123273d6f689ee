package api

import (
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/wugsync/wugsync/export"
	"github.com/wugsync/wugsync/models"
	"github.com/wugsync/wugsync/netbox"
	"github.com/wugsync/wugsync/wug"
)

// maxPasswordLength bounds the stored WUG password; anything longer is a
// paste accident.
const maxPasswordLength = 1024

// connectionInput is the body of POST and PATCH /api/v1/connections. Every
// field is a pointer so PATCH can tell "not sent" from "set to zero"; a
// JSON null also means "not sent".
type connectionInput struct {
	Name                  *string                    `json:"name"`
	Host                  *string                    `json:"host" doc:"a host name, host:port or http(s) URL; an IP address in WUGSYNC_CONNECTION_DENY is refused"`
	Port                  *int                       `json:"port" doc:"changing it needs password in the same request"`
	Username              *string                    `json:"username"`
	Password              *string                    `json:"password" doc:"write-only; required on create, and with any change of host, port, use_ssl or verify_ssl"`
	UseSSL                *bool                      `json:"use_ssl" doc:"changing it needs password in the same request"`
	VerifySSL             *bool                      `json:"verify_ssl" doc:"changing it needs password in the same request"`
	CACertPEM             *string                    `json:"ca_cert_pem" text:"multiline" doc:"PEM certificates; the only text that may hold line breaks"`
	IsActive              *bool                      `json:"is_active"`
	EnableNetBoxExport    *bool                      `json:"enable_netbox_export"`
	ExportIntervalMinutes *int                       `json:"export_interval_minutes"`
	AutoScanExportedIPs   *bool                      `json:"auto_scan_exported_ips"`
	DeviceFilters         *models.DeviceFilters      `json:"device_filters"`
	GroupTemplate         *string                    `json:"group_template" doc:"levels separated by /, at most 8 below My Network; no empty, . or .. level"`
	RoleRules             *[]models.RoleRule         `json:"role_rules"`
	CreateMissingGroups   *bool                      `json:"create_missing_groups"`
	DecommissionAction    *models.DecommissionAction `json:"decommission_action"`
	RateLimitPerSecond    *int                       `json:"rate_limit_per_second"`
	MaxConcurrentRequests *int                       `json:"max_concurrent_requests"`
	BatchSize             *int                       `json:"batch_size"`
	ExportVirtualMachines *bool                      `json:"export_virtual_machines" doc:"export NetBox virtual machines too, by the same rules as devices; default false"`
	WUGConsoleURL         *string                    `json:"wug_console_url" doc:"http(s) URL of the WUG web console's page for one device, {id} standing for the WUG device id; empty restores the default https://<host>/NmConsole/"`
	NetBoxWriteback       *bool                      `json:"netbox_writeback" doc:"write the WUG device id into the NetBox custom field netbox_custom_field after a create, an adoption or a scan link; a decommission with delete clears it. Default false"`
	NetBoxCustomField     *string                    `json:"netbox_custom_field" doc:"NetBox custom field (type text) for the WUG device id: lower-case letters, digits and single underscores, at most 50 characters; no two connections with netbox_writeback may name the same one (422). Default wug_device_id"`
	NetBoxJournal         *bool                      `json:"netbox_journal" doc:"add a NetBox journal entry when wugsync creates, adopts, scan-links (info) or decommissions (warning) an object's WUG device. Default false"`
}

// apply writes the input onto conn (a new connection with defaults, or the
// stored one for PATCH), normalising the host and checking every value.
// create demands a password; PATCH without one keeps the stored one, unless
// the address changes. A host that is an IP address in deny is refused. The
// returned *Error names the first field at fault; conn may be partly
// changed then and must be discarded.
func (in connectionInput) apply(conn *models.WUGConnection, sealer *models.Sealer, deny wug.DenyList, create bool) error {
	if in.Name != nil {
		conn.Name = strings.TrimSpace(*in.Name)
	}
	before := endpointOf(*conn)
	if err := in.applyAddress(conn); err != nil {
		return err
	}
	if in.Host != nil {
		if err := deny.CheckHost(conn.Host); err != nil {
			return unprocessable("host", err.Error())
		}
	}
	if in.Username != nil {
		conn.Username = strings.TrimSpace(*in.Username)
	}
	setBool(&conn.VerifySSL, in.VerifySSL)
	if !create && in.Password == nil && endpointOf(*conn) != before {
		return unprocessable("password", "is required again when host, port, use_ssl or verify_ssl changes: "+
			"the stored password is only ever sent to the server it was given for")
	}
	setBool(&conn.IsActive, in.IsActive)
	setBool(&conn.EnableNetBoxExport, in.EnableNetBoxExport)
	setBool(&conn.AutoScanExportedIPs, in.AutoScanExportedIPs)
	setBool(&conn.ExportVirtualMachines, in.ExportVirtualMachines)
	setBool(&conn.CreateMissingGroups, in.CreateMissingGroups)
	setInt(&conn.ExportIntervalMinutes, in.ExportIntervalMinutes)
	setInt(&conn.RateLimitPerSecond, in.RateLimitPerSecond)
	setInt(&conn.MaxConcurrentRequests, in.MaxConcurrentRequests)
	setInt(&conn.BatchSize, in.BatchSize)
	if in.DecommissionAction != nil {
		conn.DecommissionAction = *in.DecommissionAction
	}
	if in.CACertPEM != nil {
		pemText := strings.TrimSpace(*in.CACertPEM)
		if err := checkCACertPEM(pemText); err != nil {
			return unprocessable("ca_cert_pem", err.Error())
		}
		conn.CACertPEM = pemText
	}
	if in.DeviceFilters != nil {
		filters, err := cleanFilters(*in.DeviceFilters, "device_filters")
		if err != nil {
			return err
		}
		conn.DeviceFilters = filters
	}
	if in.GroupTemplate != nil {
		conn.GroupTemplate = strings.TrimSpace(*in.GroupTemplate)
		if conn.GroupTemplate != "" {
			if err := export.ValidateGroupTemplate(conn.GroupTemplate); err != nil {
				return unprocessable("group_template", err.Error())
			}
		}
	}
	if in.RoleRules != nil {
		if err := export.ValidateRoleRules(*in.RoleRules); err != nil {
			return unprocessable("role_rules", err.Error())
		}
		conn.RoleRules = *in.RoleRules
	}
	if in.WUGConsoleURL != nil {
		conn.WUGConsoleURL = strings.TrimSpace(*in.WUGConsoleURL)
	}
	setBool(&conn.NetBoxWriteback, in.NetBoxWriteback)
	setBool(&conn.NetBoxJournal, in.NetBoxJournal)
	if in.NetBoxCustomField != nil {
		conn.NetBoxCustomField = strings.TrimSpace(*in.NetBoxCustomField)
		if err := netbox.CheckCustomFieldName(conn.NetBoxCustomField); err != nil {
			return unprocessable("netbox_custom_field", strings.TrimSuffix(err.Error(), ": "+netbox.ErrConfig.Error()))
		}
	}
	if conn.WUGConsoleURL == conn.DefaultConsoleURL() {
		// Stored as "the default", so it follows a later change of host.
		conn.WUGConsoleURL = ""
	}
	if err := conn.Validate(); err != nil {
		if apiErr, ok := fromFieldError(err); ok {
			return apiErr
		}
		return err
	}
	return in.applyPassword(conn, sealer, create)
}

// endpoint is where a connection sends its password, and how safely.
type endpoint struct {
	host      string
	port      int
	useSSL    bool
	verifySSL bool
}

func endpointOf(c models.WUGConnection) endpoint {
	return endpoint{host: c.Host, port: c.Port, useSSL: c.UseSSL, verifySSL: c.VerifySSL}
}

// applyAddress normalises host into host, port and use_ssl. An explicit
// port or use_ssl that contradicts the host's URL is an error rather than
// a silent choice.
func (in connectionInput) applyAddress(conn *models.WUGConnection) error {
	if in.Host != nil {
		spec, err := parseHost(*in.Host)
		if err != nil {
			return unprocessable("host", err.Error())
		}
		conn.Host = spec.Host
		if spec.Port != 0 {
			if in.Port != nil && *in.Port != spec.Port {
				return unprocessable("port", fmt.Sprintf("%d contradicts port %d in host", *in.Port, spec.Port))
			}
			conn.Port = spec.Port
		}
		if spec.UseSSL != nil {
			if in.UseSSL != nil && *in.UseSSL != *spec.UseSSL {
				return unprocessable("use_ssl", fmt.Sprintf("%t contradicts the scheme of host", *in.UseSSL))
			}
			conn.UseSSL = *spec.UseSSL
		}
	}
	setInt(&conn.Port, in.Port)
	setBool(&conn.UseSSL, in.UseSSL)
	return nil
}

func (in connectionInput) applyPassword(conn *models.WUGConnection, sealer *models.Sealer, create bool) error {
	if in.Password == nil {
		if create {
			return unprocessable("password", "is required")
		}
		return nil
	}
	switch {
	case *in.Password == "":
		if create {
			return unprocessable("password", "is required")
		}
		return unprocessable("password", "must not be empty; leave it out to keep the stored password")
	case len(*in.Password) > maxPasswordLength:
		return unprocessable("password", fmt.Sprintf("is longer than %d characters", maxPasswordLength))
	}
	if err := conn.SetPassword(sealer, *in.Password); err != nil {
		return fmt.Errorf("seal password of connection %q: %w", conn.Name, err)
	}
	return nil
}

// cleanFilters trims every value and rejects empty ones, and a list that
// mixes NetBox ids and slugs, naming the list.
func cleanFilters(f models.DeviceFilters, field string) (models.DeviceFilters, error) {
	statuses := (*models.FilterValues)(&f.Statuses)
	lists := []struct {
		name string
		list *models.FilterValues
	}{
		{"sites", &f.Sites}, {"roles", &f.Roles}, {"tags", &f.Tags},
		{"statuses", statuses}, {"platforms", &f.Platforms}, {"tenants", &f.Tenants},
		{"clusters", &f.Clusters}, {"exclude_tags", &f.ExcludeTags},
	}
	for _, l := range lists {
		if len(*l.list) > 1000 {
			return f, unprocessable(field+"."+l.name, "has more than 1000 values")
		}
		cleaned := make(models.FilterValues, 0, len(*l.list))
		for i, v := range *l.list {
			v = strings.TrimSpace(v)
			name := fmt.Sprintf("%s.%s[%d]", field, l.name, i)
			if v == "" {
				return f, unprocessable(name, "is empty")
			}
			if l.name == "statuses" {
				if err := checkStatus(v); err != nil {
					return f, unprocessable(name, err.Error())
				}
			}
			cleaned = append(cleaned, v)
		}
		if len(cleaned) == 0 {
			cleaned = nil
		}
		// NetBox applies site= and site_id= as two filters that must both
		// match; a list of both kinds would select almost nothing. Tags
		// must all match anyway, so they may mix; cluster names become ids
		// before NetBox sees them, and exclude_tags never reach NetBox.
		if l.name != "tags" && l.name != "clusters" && l.name != "exclude_tags" && len(cleaned.IDs()) > 0 && len(cleaned.Slugs()) > 0 {
			return f, unprocessable(field+"."+l.name, "mixes NetBox ids (numbers) and slugs (strings); "+
				"NetBox would require a device to match both, so give ids only or slugs only")
		}
		*l.list = cleaned
	}
	return f, nil
}

// checkStatus accepts NetBox's built-in device and VM statuses, and a
// custom one spelt with models.CustomStatusPrefix.
func checkStatus(v string) error {
	if custom, ok := strings.CutPrefix(v, models.CustomStatusPrefix); ok {
		if strings.TrimSpace(custom) == "" || strings.ContainsAny(custom, " ,") {
			return fmt.Errorf("%q names no custom status value (e.g. %sretired)", v, models.CustomStatusPrefix)
		}
		return nil
	}
	if !netbox.KnownStatus(v) {
		return fmt.Errorf("%q is not a NetBox status (devices: %s; virtual machines also: paused); "+
			"write a status your NetBox adds as %s%s", v, strings.Join(netbox.DeviceStatuses, ", "), models.CustomStatusPrefix, v)
	}
	return nil
}

// checkCACertPEM accepts an empty value (no private CA) or PEM holding at
// least one parseable certificate and nothing else.
func checkCACertPEM(text string) error {
	if text == "" {
		return nil
	}
	rest := []byte(text)
	count := 0
	for {
		var block *pem.Block
		block, rest = pem.Decode(rest)
		if block == nil {
			break
		}
		if block.Type != "CERTIFICATE" {
			return fmt.Errorf("holds a %q block; only CERTIFICATE blocks belong here", block.Type)
		}
		if _, err := x509.ParseCertificate(block.Bytes); err != nil {
			return fmt.Errorf("certificate %d does not parse: %v", count+1, err)
		}
		count++
	}
	if count == 0 || strings.TrimSpace(string(rest)) != "" {
		return errors.New("is not PEM-encoded certificates (-----BEGIN CERTIFICATE-----)")
	}
	return nil
}

func setBool(dst *bool, v *bool) {
	if v != nil {
		*dst = *v
	}
}

func setInt(dst *int, v *int) {
	if v != nil {
		*dst = *v
	}
}

// errWritebackFieldTaken is the 422 of a second write-back connection
// naming the custom field another one writes: each would overwrite the
// other's WUG device ids.
func errWritebackFieldTaken(field, other string) *Error {
	return unprocessable("netbox_custom_field", fmt.Sprintf("%q is already written back by connection %q; "+
		"two connections with netbox_writeback would overwrite each other's WUG device ids: give this one its own custom field", field, other))
}

// errNameTaken is the 409 of a second connection with the same name.
func errNameTaken(name string) *Error {
	return &Error{Status: http.StatusConflict, Code: CodeConflict,
		Message: fmt.Sprintf("a connection named %q already exists", name),
		Fields:  map[string]string{"name": "is already used by another connection"}}
}
