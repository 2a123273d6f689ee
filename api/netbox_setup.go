package api

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/wugsync/wugsync/models"
	"github.com/wugsync/wugsync/netbox"
)

// netboxSetupInput is the body of POST /connections/{id}/netbox-setup:
// empty, {} or a webhook URL.
type netboxSetupInput struct {
	WebhookURL string `json:"webhook_url" doc:"the URL at which NetBox reaches wugsync (e.g. https://wugsync.example.com); /api/v1/webhooks/netbox is appended unless it ends with it. Given, the signed webhook and the event rule are set up too"`
}

// NetBoxSetupObject is one NetBox object netbox-setup ensured.
type NetBoxSetupObject struct {
	// Kind is NetBox's object type, e.g. "extras.customfield".
	Kind string `json:"kind" doc:"NetBox object type: extras.customfield, extras.customlink, extras.webhook or extras.eventrule"`
	Name string `json:"name" doc:"the object's name in NetBox"`
	ID   int64  `json:"id" doc:"the object's id in NetBox"`
	// Action is created, updated or found.
	Action string `json:"action" doc:"created, updated (changes says how) or found (already as needed)" enum:"created,updated,found"`
	// Changes says what an update changed; a secret is named, never shown.
	Changes []string `json:"changes" doc:"what an update changed, e.g. object_types: added virtualization.virtualmachine"`
}

// NetBoxSetupResult is the answer of netbox-setup, and what the command
// prints.
type NetBoxSetupResult struct {
	ConnectionID uint   `json:"connection_id" doc:"the connection"`
	CustomField  string `json:"custom_field" doc:"the custom field holding the WUG device id"`
	// Objects are the custom field, the custom link and, with a webhook
	// URL, the webhook and the event rule.
	Objects []NetBoxSetupObject `json:"objects" doc:"one entry per NetBox object, in the order they were ensured"`
}

// NetBoxSetup makes NetBox ready for conn (see netbox.Client.Setup):
// the route and `wugsync netbox-setup` both call it. The connection model
// names its custom field (netbox_custom_field, default wug_device_id).
// The link opens conn's WUG console at the device whose id the field holds.
func NetBoxSetup(ctx context.Context, nb *netbox.Client, conn models.WUGConnection, webhookURL, webhookSecret string) (NetBoxSetupResult, error) {
	field := conn.NetBoxCustomField
	if field == "" {
		field = netbox.DefaultCustomFieldName
	}
	res, err := nb.Setup(ctx, netbox.SetupSpec{
		Connection:  conn.Name,
		CustomField: field,
		LinkURL:     netbox.LinkURLTemplate(conn.ConsoleURL(), models.ConsoleDevicePlaceholder, field),
		WebhookURL:  webhookURL, WebhookSecret: webhookSecret,
	})
	if err != nil {
		return NetBoxSetupResult{}, fmt.Errorf("netbox-setup for connection %q: %w", conn.Name, err)
	}
	out := NetBoxSetupResult{ConnectionID: conn.ID, CustomField: field, Objects: make([]NetBoxSetupObject, 0, len(res.Objects))}
	for _, o := range res.Objects {
		changes := o.Changes
		if changes == nil {
			changes = []string{}
		}
		out.Objects = append(out.Objects, NetBoxSetupObject{Kind: o.Kind, Name: o.Name, ID: o.ID, Action: o.Action, Changes: changes})
	}
	return out, nil
}

// netboxSetup is POST /api/v1/connections/{id}/netbox-setup.
func (s *Server) netboxSetup(c *gin.Context) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	var in netboxSetupInput
	if err := decodeJSON(c.Request, &in, true); err != nil {
		return err
	}
	if in.WebhookURL != "" {
		if _, err := netbox.NormalizeWebhookURL(in.WebhookURL); err != nil {
			return unprocessable("webhook_url", err.Error())
		}
	}
	conn, err := s.q.connection(c.Request.Context(), id)
	if err != nil {
		return err
	}
	if s.p.NetBox == nil {
		return unavailable("NetBox is not configured in the API process: set WUGSYNC_NETBOX_URL and WUGSYNC_NETBOX_TOKEN")
	}
	if in.WebhookURL != "" && s.p.WebhookSecret == "" {
		return unavailable("a webhook needs WUGSYNC_WEBHOOK_SECRET to sign it: set it, then ask again")
	}
	res, err := NetBoxSetup(c.Request.Context(), s.p.NetBox, conn, in.WebhookURL, s.p.WebhookSecret)
	entry := s.requestLog(c).WithField("connection", conn.Name)
	if err != nil {
		entry.WithError(err).Warn("netbox-setup failed")
		return netboxFailure(err)
	}
	for _, o := range res.Objects {
		entry.WithField("kind", o.Kind).WithField("name", o.Name).WithField("action", o.Action).Info("netbox-setup")
	}
	c.JSON(http.StatusOK, res)
	return nil
}

// netboxFailure answers a NetBox refusal: 502, since NetBox (not the
// request) is what has to change, with NetBox's reason (the missing
// permission, the conflicting field); 409 for a setting NetBox cannot
// reconcile, such as a field of another type.
func netboxFailure(err error) error {
	status, code := http.StatusBadGateway, CodeNetBox
	if errors.Is(err, netbox.ErrConfig) && !errors.Is(err, netbox.ErrPermission) {
		status, code = http.StatusConflict, CodeConflict
	}
	return &Error{Status: status, Code: code, Message: err.Error(), Cause: err}
}
