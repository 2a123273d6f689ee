package netbox

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
)

// Permissions wugsync may need, by NetBox's names.
const (
	PermViewDevice         = "dcim.view_device"
	PermChangeDevice       = "dcim.change_device"
	PermViewVirtualMachine = "virtualization.view_virtualmachine"
	// PermChangeVirtualMachine lets write-back set a VM's custom field.
	PermChangeVirtualMachine = "virtualization.change_virtualmachine"
	PermAddJournalEntry      = "extras.add_journalentry"
	PermViewCustomField      = "extras.view_customfield"
	PermAddCustomField       = "extras.add_customfield"
	PermChangeCustomField    = "extras.change_customfield"
	PermViewCustomLink       = "extras.view_customlink"
	PermAddCustomLink        = "extras.add_customlink"
	PermChangeCustomLink     = "extras.change_customlink"
	PermViewWebhook          = "extras.view_webhook"
	PermAddWebhook           = "extras.add_webhook"
	PermChangeWebhook        = "extras.change_webhook"
	PermViewEventRule        = "extras.view_eventrule"
	PermAddEventRule         = "extras.add_eventrule"
	PermChangeEventRule      = "extras.change_eventrule"
)

// Access is what a probe learned about one permission.
type Access string

const (
	// AccessGranted means NetBox accepted the probe.
	AccessGranted Access = "granted"
	// AccessDenied means NetBox answered 403 "You do not have permission":
	// the user lacks the permission, or (for a write) the token is not
	// write-enabled.
	AccessDenied Access = "denied"
	// AccessUnknown means the probe failed for another reason (a proxy
	// refusing the method, a 5xx); Detail says which.
	AccessUnknown Access = "unknown"
)

// PermissionCheck is one permission and what the probe found.
type PermissionCheck struct {
	// Permission is NetBox's name, e.g. "dcim.change_device".
	Permission string
	// Purpose says what wugsync needs it for.
	Purpose string
	Access  Access
	// Detail explains a denial or an unknown outcome.
	Detail string
}

// PermissionReport is the outcome of ProbePermissions, in probe order.
type PermissionReport struct {
	Checks []PermissionCheck
}

// Missing returns the checks that were denied.
func (r PermissionReport) Missing() []PermissionCheck {
	var out []PermissionCheck
	for _, c := range r.Checks {
		if c.Access == AccessDenied {
			out = append(out, c)
		}
	}
	return out
}

// Access returns what the probe found for permission; AccessUnknown when it
// was not probed.
func (r PermissionReport) Access(permission string) Access {
	for _, c := range r.Checks {
		if c.Permission == permission {
			return c.Access
		}
	}
	return AccessUnknown
}

// probe is how one permission is tested.
type probe struct {
	purpose string
	method  string
	path    string
}

// probes maps each known permission to its probe. Views are a one-object
// brief listing. Writes are an empty bulk request: NetBox checks the token's
// write flag and the model permission before it looks at the body
// (TokenPermissions.has_permission), then updates or creates zero objects —
// no change, no change-log entry, no webhook. No probe can see object-level
// constraints (a permission limited to some sites): a bulk update skips
// objects outside them (UpdateCustomFields reports them as Missing), a
// create outside them gets 403.
var probes = map[string]probe{
	PermViewDevice:           {"read devices", http.MethodGet, devicesPath},
	PermChangeDevice:         {"write the WUG device id into devices' custom field", http.MethodPatch, devicesPath},
	PermViewVirtualMachine:   {"read virtual machines", http.MethodGet, vmsPath},
	PermChangeVirtualMachine: {"write the WUG device id into virtual machines' custom field", http.MethodPatch, vmsPath},
	PermAddJournalEntry:      {"add journal entries", http.MethodPost, journalEntriesPath},
	PermViewCustomField:      {"find the custom field (setup)", http.MethodGet, customFieldKind.path},
	PermAddCustomField:       {"create the custom field (setup)", http.MethodPost, customFieldKind.path},
	PermChangeCustomField:    {"add object types to the custom field (setup)", http.MethodPatch, customFieldKind.path},
	PermViewCustomLink:       {"find the custom link (setup)", http.MethodGet, customLinkKind.path},
	PermAddCustomLink:        {"create the custom link (setup)", http.MethodPost, customLinkKind.path},
	PermChangeCustomLink:     {"update the custom link (setup)", http.MethodPatch, customLinkKind.path},
	PermViewWebhook:          {"find the webhook (setup)", http.MethodGet, webhookKind.path},
	PermAddWebhook:           {"create the webhook (setup)", http.MethodPost, webhookKind.path},
	PermChangeWebhook:        {"update the webhook (setup)", http.MethodPatch, webhookKind.path},
	PermViewEventRule:        {"find the event rule (setup)", http.MethodGet, eventRuleKind.path},
	PermAddEventRule:         {"create the event rule (setup)", http.MethodPost, eventRuleKind.path},
	PermChangeEventRule:      {"update the event rule (setup)", http.MethodPatch, eventRuleKind.path},
}

// Permission sets for ProbePermissions.
var (
	// ExportPermissions are what an export needs: reading devices and VMs.
	ExportPermissions = []string{PermViewDevice, PermViewVirtualMachine}
	// WritebackPermissions are what write-back and the journal need.
	WritebackPermissions = []string{PermChangeDevice, PermChangeVirtualMachine, PermAddJournalEntry}
	// SetupPermissions are what netbox-setup needs.
	SetupPermissions = []string{
		PermViewCustomField, PermAddCustomField, PermChangeCustomField,
		PermViewCustomLink, PermAddCustomLink, PermChangeCustomLink,
		PermViewWebhook, PermAddWebhook, PermChangeWebhook,
		PermViewEventRule, PermAddEventRule, PermChangeEventRule,
	}
)

// ProbePermissions tests, one request each, whether the token has each of
// permissions (NetBox names such as PermChangeDevice; ExportPermissions,
// WritebackPermissions and SetupPermissions are the usual sets), without
// changing anything in NetBox: see probes for how a write right is tested
// with an empty bulk request. A token NetBox refuses outright (invalid,
// expired) fails the whole probe with ErrAuth; an unknown permission name
// is an ErrConfig.
func (c *Client) ProbePermissions(ctx context.Context, permissions ...string) (PermissionReport, error) {
	var report PermissionReport
	for _, perm := range permissions {
		p, ok := probes[perm]
		if !ok {
			return report, fmt.Errorf("netbox: no probe for permission %q: %w", perm, ErrConfig)
		}
		app, codename, _ := strings.Cut(perm, ".")
		_, model, _ := strings.Cut(codename, "_")
		cl := call{method: p.method, path: p.path, objectType: app + "." + model, idempotent: true}
		switch p.method {
		case http.MethodGet:
			cl.query = url.Values{"limit": {"1"}, "brief": {"1"}}
		default:
			cl.body = []any{}
		}
		check := PermissionCheck{Permission: perm, Purpose: p.purpose}
		_, err := c.do(ctx, cl)
		switch {
		case err == nil:
			check.Access = AccessGranted
		case errors.Is(err, ErrPermission):
			check.Access = AccessDenied
			check.Detail = err.Error()
		case errors.Is(err, ErrAuth):
			return report, fmt.Errorf("probe %s: %w", perm, err)
		case ctx.Err() != nil:
			return report, fmt.Errorf("probe %s: %w", perm, ctx.Err())
		default:
			check.Access = AccessUnknown
			check.Detail = err.Error()
		}
		report.Checks = append(report.Checks, check)
	}
	return report, nil
}
