package netbox

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
)

// Event types an event rule subscribes to (netbox/core/events.py). The
// webhook body's "event" says "created", "updated" or "deleted" for them.
const (
	EventTypeObjectCreated = "object_created"
	EventTypeObjectUpdated = "object_updated"
	EventTypeObjectDeleted = "object_deleted"
)

// ObjectTypeWebhook is extras.webhook, an event rule's action object type.
const ObjectTypeWebhook = "extras.webhook"

// Webhook is an extras.webhook: where and how NetBox sends an event rule's
// events.
type Webhook struct {
	ID          int64  `json:"id"`
	URL         string `json:"url"`
	Display     string `json:"display"`
	Name        string `json:"name"`
	Description string `json:"description"`
	// PayloadURL receives the events, e.g.
	// "https://wugsync.example.com/api/v1/webhooks/netbox".
	PayloadURL string `json:"payload_url"`
	// HTTPMethod is "POST" unless set otherwise.
	HTTPMethod      string `json:"http_method"`
	HTTPContentType string `json:"http_content_type"`
	// AdditionalHeaders and BodyTemplate are Jinja2 templates; an empty
	// BodyTemplate sends NetBox's default JSON body, which wugsync expects.
	AdditionalHeaders string `json:"additional_headers"`
	BodyTemplate      string `json:"body_template"`
	// Secret keys the X-Hook-Signature HMAC. Never log it.
	Secret          string  `json:"secret"`
	SSLVerification bool    `json:"ssl_verification"`
	CAFilePath      *string `json:"ca_file_path"`
}

// UnmarshalJSON reads http_method as a string or a choice.
func (w *Webhook) UnmarshalJSON(b []byte) error {
	type plain Webhook
	var v struct {
		plain
		HTTPMethod choiceOrString `json:"http_method"`
	}
	if err := json.Unmarshal(b, &v); err != nil {
		return fmt.Errorf("decode webhook: %w", err)
	}
	*w = Webhook(v.plain)
	w.HTTPMethod = string(v.HTTPMethod)
	return nil
}

// EventRule is an extras.eventrule: which events on which object types
// trigger which action (here, a webhook).
type EventRule struct {
	ID          int64    `json:"id"`
	URL         string   `json:"url"`
	Display     string   `json:"display"`
	Name        string   `json:"name"`
	Description string   `json:"description"`
	ObjectTypes []string `json:"-"`
	Enabled     bool     `json:"enabled"`
	// EventTypes are e.g. EventTypeObjectCreated. NetBox 4.0 had booleans
	// (type_create, type_update, type_delete…) instead; they are read into
	// this list.
	EventTypes []string `json:"event_types"`
	// Conditions is NetBox's JSON condition set, or null.
	Conditions json.RawMessage `json:"conditions"`
	// ActionType is "webhook", "script" or "notification".
	ActionType string `json:"-"`
	// ActionObjectType and ActionObjectID name the webhook (or script).
	ActionObjectType string `json:"action_object_type"`
	ActionObjectID   int64  `json:"action_object_id"`
}

// UnmarshalJSON reads object_types (or content_types), action_type as a
// choice, and the 4.0 type_* booleans.
func (r *EventRule) UnmarshalJSON(b []byte) error {
	type plain EventRule
	var v struct {
		plain
		objectTypesField
		ActionType     choiceOrString `json:"action_type"`
		ActionObjectID *int64         `json:"action_object_id"`
		TypeCreate     *bool          `json:"type_create"`
		TypeUpdate     *bool          `json:"type_update"`
		TypeDelete     *bool          `json:"type_delete"`
	}
	if err := json.Unmarshal(b, &v); err != nil {
		return fmt.Errorf("decode event rule: %w", err)
	}
	*r = EventRule(v.plain)
	r.ObjectTypes = v.objectTypesField.list()
	r.ActionType = string(v.ActionType)
	if v.ActionObjectID != nil {
		r.ActionObjectID = *v.ActionObjectID
	}
	if r.EventTypes == nil {
		for _, t := range []struct {
			set  *bool
			name string
		}{{v.TypeCreate, EventTypeObjectCreated}, {v.TypeUpdate, EventTypeObjectUpdated}, {v.TypeDelete, EventTypeObjectDeleted}} {
			if t.set != nil && *t.set {
				r.EventTypes = append(r.EventTypes, t.name)
			}
		}
	}
	return nil
}

// WebhookByName returns the webhook with this exact name.
func (c *Client) WebhookByName(ctx context.Context, name string) (w Webhook, found bool, err error) {
	return findConfig(ctx, c, webhookKind, name, func(w Webhook) int64 { return w.ID }, func(w Webhook) string { return w.Name })
}

func webhookBody(w Webhook) map[string]any {
	method := w.HTTPMethod
	if method == "" {
		method = "POST"
	}
	ctype := w.HTTPContentType
	if ctype == "" {
		ctype = "application/json"
	}
	body := map[string]any{
		"name": w.Name, "payload_url": w.PayloadURL, "http_method": method, "http_content_type": ctype,
		"secret": w.Secret, "ssl_verification": w.SSLVerification, "body_template": w.BodyTemplate,
		"additional_headers": w.AdditionalHeaders,
	}
	setIf(body, "description", w.Description, w.Description != "")
	setIf(body, "ca_file_path", w.CAFilePath, w.CAFilePath != nil)
	return body
}

func checkWebhook(w Webhook) error {
	if strings.TrimSpace(w.Name) == "" || strings.TrimSpace(w.PayloadURL) == "" {
		return fmt.Errorf("webhook %q: name and payload URL are required: %w", w.Name, ErrConfig)
	}
	return nil
}

// CreateWebhook creates spec (HTTPMethod defaults to POST, HTTPContentType
// to application/json). Needs extras.add_webhook.
func (c *Client) CreateWebhook(ctx context.Context, spec Webhook) (Webhook, error) {
	if err := checkWebhook(spec); err != nil {
		return Webhook{}, err
	}
	return createConfig[Webhook](ctx, c, webhookKind, webhookBody(spec))
}

// UpdateWebhook overwrites webhook id with spec. Needs extras.change_webhook.
func (c *Client) UpdateWebhook(ctx context.Context, id int64, spec Webhook) (Webhook, error) {
	if err := checkWebhook(spec); err != nil {
		return Webhook{}, err
	}
	return patchConfig[Webhook](ctx, c, webhookKind, id, webhookBody(spec))
}

// EnsureWebhook makes the webhook named spec.Name send to spec.PayloadURL
// with spec's method, content type, secret, TLS verification, headers and
// body template: created when missing, updated when any differs, else
// found. A changed secret is reported as "secret", never shown.
func (c *Client) EnsureWebhook(ctx context.Context, spec Webhook) (Webhook, EnsureResult, error) {
	if err := checkWebhook(spec); err != nil {
		return Webhook{}, EnsureResult{Kind: webhookKind.objectType, Name: spec.Name}, err
	}
	want := webhookBody(spec)
	return ensure(webhookKind, spec.Name, ensureSteps[Webhook]{
		find:   func() (Webhook, bool, error) { return c.WebhookByName(ctx, spec.Name) },
		create: func() (Webhook, error) { return c.CreateWebhook(ctx, spec) },
		idOf:   func(w Webhook) int64 { return w.ID },
		diff: func(cur Webhook) ([]string, func() (Webhook, error), error) {
			changes := changedNames(
				fieldDiff{"payload_url", cur.PayloadURL != want["payload_url"]},
				fieldDiff{"http_method", cur.HTTPMethod != want["http_method"]},
				fieldDiff{"http_content_type", cur.HTTPContentType != want["http_content_type"]},
				fieldDiff{"secret", cur.Secret != want["secret"]},
				fieldDiff{"ssl_verification", cur.SSLVerification != want["ssl_verification"]},
				fieldDiff{"body_template", cur.BodyTemplate != want["body_template"]},
				fieldDiff{"additional_headers", cur.AdditionalHeaders != want["additional_headers"]},
			)
			return changes, func() (Webhook, error) { return c.UpdateWebhook(ctx, cur.ID, spec) }, nil
		},
	})
}

// EventRuleByName returns the event rule with this exact name.
func (c *Client) EventRuleByName(ctx context.Context, name string) (r EventRule, found bool, err error) {
	return findConfig(ctx, c, eventRuleKind, name, func(r EventRule) int64 { return r.ID }, func(r EventRule) string { return r.Name })
}

func eventRuleBody(r EventRule) map[string]any {
	actionType := r.ActionType
	if actionType == "" {
		actionType = "webhook"
	}
	actionObjectType := r.ActionObjectType
	if actionObjectType == "" {
		actionObjectType = ObjectTypeWebhook
	}
	body := map[string]any{
		"name": r.Name, "object_types": r.ObjectTypes, "event_types": r.EventTypes, "enabled": r.Enabled,
		"action_type": actionType, "action_object_type": actionObjectType, "action_object_id": r.ActionObjectID,
	}
	setIf(body, "description", r.Description, r.Description != "")
	setIf(body, "conditions", r.Conditions, len(r.Conditions) > 0)
	return body
}

func checkEventRule(r EventRule) error {
	if strings.TrimSpace(r.Name) == "" || len(r.ObjectTypes) == 0 || len(r.EventTypes) == 0 || r.ActionObjectID <= 0 {
		return fmt.Errorf("event rule %q: name, object types, event types and the action object are required: %w", r.Name, ErrConfig)
	}
	return nil
}

// CreateEventRule creates spec. ActionType defaults to "webhook" and
// ActionObjectType to extras.webhook; ActionObjectID is the webhook's id.
// NetBox 4.1+ takes event_types; 4.0's type_* booleans are not sent. Needs
// extras.add_eventrule.
func (c *Client) CreateEventRule(ctx context.Context, spec EventRule) (EventRule, error) {
	if err := checkEventRule(spec); err != nil {
		return EventRule{}, err
	}
	return createConfig[EventRule](ctx, c, eventRuleKind, eventRuleBody(spec))
}

// UpdateEventRule overwrites event rule id with spec. Needs
// extras.change_eventrule.
func (c *Client) UpdateEventRule(ctx context.Context, id int64, spec EventRule) (EventRule, error) {
	if err := checkEventRule(spec); err != nil {
		return EventRule{}, err
	}
	return patchConfig[EventRule](ctx, c, eventRuleKind, id, eventRuleBody(spec))
}

// EnsureEventRule makes the event rule named spec.Name send at least
// spec's event types on at least spec's object types to spec's action
// object, enabled: created when missing, updated (keeping object and event
// types it has beyond spec's) when it falls short, else found.
func (c *Client) EnsureEventRule(ctx context.Context, spec EventRule) (EventRule, EnsureResult, error) {
	if err := checkEventRule(spec); err != nil {
		return EventRule{}, EnsureResult{Kind: eventRuleKind.objectType, Name: spec.Name}, err
	}
	spec.Enabled = true
	want := eventRuleBody(spec)
	return ensure(eventRuleKind, spec.Name, ensureSteps[EventRule]{
		find:   func() (EventRule, bool, error) { return c.EventRuleByName(ctx, spec.Name) },
		create: func() (EventRule, error) { return c.CreateEventRule(ctx, spec) },
		idOf:   func(r EventRule) int64 { return r.ID },
		diff: func(cur EventRule) ([]string, func() (EventRule, error), error) {
			var changes []string
			if missing := missingFrom(cur.ObjectTypes, spec.ObjectTypes); len(missing) > 0 {
				changes = append(changes, "object_types: added "+strings.Join(missing, ", "))
			}
			if missing := missingFrom(cur.EventTypes, spec.EventTypes); len(missing) > 0 {
				changes = append(changes, "event_types: added "+strings.Join(missing, ", "))
			}
			changes = append(changes, changedNames(
				fieldDiff{"enabled", !cur.Enabled},
				fieldDiff{"action", cur.ActionType != want["action_type"] || cur.ActionObjectType != want["action_object_type"] ||
					cur.ActionObjectID != spec.ActionObjectID},
			)...)
			next := spec
			next.ObjectTypes = union(cur.ObjectTypes, spec.ObjectTypes)
			next.EventTypes = union(cur.EventTypes, spec.EventTypes)
			return changes, func() (EventRule, error) { return c.UpdateEventRule(ctx, cur.ID, next) }, nil
		},
	})
}
