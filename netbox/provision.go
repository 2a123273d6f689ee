package netbox

import (
	"context"
	"fmt"
	"net/url"
	"strings"
)

// DefaultCustomFieldName is the custom field that holds the WUG device id
// when a connection names no other.
const DefaultCustomFieldName = "wug_device_id"

// WebhookPath is where wugsync receives NetBox webhooks; a setup
// webhook URL that does not end with it gets it appended.
const WebhookPath = "/api/v1/webhooks/netbox"

// Names of the setup objects shared by every connection: there is one
// webhook receiver per wugsync, so one webhook and one event rule.
const (
	SetupWebhookName   = "wugsync"
	SetupEventRuleName = "wugsync: devices, virtual machines and IP addresses"
	// setupLinkPrefix starts each connection's custom link name.
	setupLinkPrefix = "WhatsUp Gold: "
	// maxLinkName is NetBox's limit on a custom link's name.
	maxLinkName = 100
)

// SetupObjectTypes are the object types that get the custom field and
// the custom link.
var SetupObjectTypes = []string{ObjectTypeDevice, ObjectTypeVirtualMachine}

// SetupEventObjectTypes are the event rule's object types: devices and
// VMs, and IP addresses, because editing an object's primary IP fires no
// event on the object itself (the webhook receiver handles all three).
var SetupEventObjectTypes = []string{ObjectTypeDevice, ObjectTypeVirtualMachine, ObjectTypeIPAddress}

// SetupSpec is what Setup makes exist in NetBox for one connection.
type SetupSpec struct {
	// Connection names the custom link ("WhatsUp Gold: <name>").
	Connection string
	// CustomField is the custom field's name (DefaultCustomFieldName when
	// empty).
	CustomField string
	// LinkURL is the custom link's Jinja2 URL template, e.g.
	// "https://wug/NmConsole/#v2/device/{{ object.cf.wug_device_id }}".
	LinkURL string
	// WebhookURL, when set, also sets up the webhook and the event rule;
	// it is completed with WebhookPath by NormalizeWebhookURL.
	WebhookURL string
	// WebhookSecret signs the webhook (WUGSYNC_WEBHOOK_SECRET); required
	// with WebhookURL. Never logged or returned.
	WebhookSecret string
}

// SetupResult is what Setup did, one entry per object, in order: custom
// field, custom link, then webhook and event rule when asked for.
type SetupResult struct {
	Objects []EnsureResult
}

// LinkURLTemplate turns a console URL with placeholder (e.g. "{id}") into
// a NetBox Jinja2 template reading the custom field field, so each object's
// link opens its own WUG device. The value is URL-encoded by Jinja's
// urlencode filter, as the console URL would have it.
func LinkURLTemplate(consoleURL, placeholder, field string) string {
	return strings.ReplaceAll(consoleURL, placeholder, "{{ object.cf."+field+" | urlencode }}")
}

// NormalizeWebhookURL checks that raw is an absolute http(s) URL and
// appends WebhookPath unless it already ends with it, so the URL at which
// NetBox reaches wugsync (e.g. "https://wugsync.example.com") is enough.
func NormalizeWebhookURL(raw string) (string, error) {
	raw = strings.TrimSpace(raw)
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", fmt.Errorf("%q is not an http or https URL (e.g. https://wugsync.example.com)", raw)
	}
	if u.User != nil || u.RawQuery != "" || u.Fragment != "" {
		return "", fmt.Errorf("%q: give the URL without credentials, query or fragment", raw)
	}
	if !strings.HasSuffix(strings.TrimRight(u.Path, "/"), WebhookPath) {
		u.Path = strings.TrimRight(u.Path, "/") + WebhookPath
	}
	return u.String(), nil
}

// setupPermissions are the rights Setup needs for spec.
func setupPermissions(spec SetupSpec) []string {
	perms := []string{
		PermViewCustomField, PermAddCustomField, PermChangeCustomField,
		PermViewCustomLink, PermAddCustomLink, PermChangeCustomLink,
	}
	if spec.WebhookURL != "" {
		perms = append(perms, PermViewWebhook, PermAddWebhook, PermChangeWebhook,
			PermViewEventRule, PermAddEventRule, PermChangeEventRule)
	}
	return perms
}

// Setup makes NetBox ready for a connection, idempotently: the text custom
// field on devices and VMs (missing object types added), a custom link
// from the object to its WUG device and, with spec.WebhookURL, the signed
// webhook and the event rule for device and VM creates, updates and
// deletes. It probes the rights first and refuses, naming every missing
// permission (ErrPermission), before it changes anything, so a token short
// of rights does not leave half a setup.
func (c *Client) Setup(ctx context.Context, spec SetupSpec) (SetupResult, error) {
	var out SetupResult
	if spec.CustomField == "" {
		spec.CustomField = DefaultCustomFieldName
	}
	if err := CheckCustomFieldName(spec.CustomField); err != nil {
		return out, err
	}
	if strings.TrimSpace(spec.Connection) == "" || spec.LinkURL == "" {
		return out, fmt.Errorf("netbox setup: connection name and link URL are required: %w", ErrConfig)
	}
	if spec.WebhookURL != "" {
		u, err := NormalizeWebhookURL(spec.WebhookURL)
		if err != nil {
			return out, fmt.Errorf("netbox setup: webhook URL %w: %w", err, ErrConfig)
		}
		spec.WebhookURL = u
		if spec.WebhookSecret == "" {
			return out, fmt.Errorf("netbox setup: a webhook needs a secret (WUGSYNC_WEBHOOK_SECRET): %w", ErrConfig)
		}
	}
	report, err := c.ProbePermissions(ctx, setupPermissions(spec)...)
	if err != nil {
		return out, fmt.Errorf("netbox setup: %w", err)
	}
	if missing := report.Missing(); len(missing) > 0 {
		names := make([]string, len(missing))
		for i, m := range missing {
			names[i] = m.Permission + " (" + m.Purpose + ")"
		}
		return out, fmt.Errorf("netbox %s: setup: the token's user lacks %s; grant them in NetBox (Admin → Permissions) "+
			"and make sure the token is write-enabled: %w", c.s.server, strings.Join(names, ", "), ErrPermission)
	}

	_, res, err := c.EnsureCustomField(ctx, CustomField{
		Name: spec.CustomField, Type: CustomFieldText, Label: "WUG device ID",
		Description: "WhatsUp Gold device id, written by wugsync", ObjectTypes: SetupObjectTypes,
	})
	if err != nil {
		return out, fmt.Errorf("netbox setup: %w", err)
	}
	out.Objects = append(out.Objects, res)

	name := setupLinkPrefix + spec.Connection
	if len(name) > maxLinkName {
		name = name[:maxLinkName]
	}
	_, res, err = c.EnsureCustomLink(ctx, CustomLink{
		Name: name, ObjectTypes: SetupObjectTypes, Enabled: true, NewWindow: true,
		// NetBox hides a link whose text renders empty: no button on
		// objects that are not (yet) in WUG.
		LinkText: "{% if object.cf." + spec.CustomField + " %}WhatsUp Gold{% endif %}",
		LinkURL:  spec.LinkURL,
	})
	if err != nil {
		return out, fmt.Errorf("netbox setup: %w", err)
	}
	out.Objects = append(out.Objects, res)

	if spec.WebhookURL == "" {
		return out, nil
	}
	hook, res, err := c.EnsureWebhook(ctx, Webhook{
		Name: SetupWebhookName, Description: "wugsync: device and virtual machine changes",
		PayloadURL: spec.WebhookURL, Secret: spec.WebhookSecret, SSLVerification: true,
	})
	if err != nil {
		return out, fmt.Errorf("netbox setup: %w", err)
	}
	out.Objects = append(out.Objects, res)
	_, res, err = c.EnsureEventRule(ctx, EventRule{
		Name: SetupEventRuleName, ObjectTypes: SetupEventObjectTypes, Enabled: true,
		EventTypes:     []string{EventTypeObjectCreated, EventTypeObjectUpdated, EventTypeObjectDeleted},
		ActionObjectID: hook.ID,
	})
	if err != nil {
		return out, fmt.Errorf("netbox setup: %w", err)
	}
	out.Objects = append(out.Objects, res)
	return out, nil
}
