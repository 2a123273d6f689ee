package netbox

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
)

// CustomLink is an extras.customlink: a button on the pages of its object
// types whose URL is a Jinja2 template over the object, e.g.
// "https://wug.example.com/NmConsole/#device/{{ object.cf.wug_device_id }}".
type CustomLink struct {
	ID          int64    `json:"id"`
	URL         string   `json:"url"`
	Display     string   `json:"display"`
	Name        string   `json:"name"`
	ObjectTypes []string `json:"-"`
	Enabled     bool     `json:"enabled"`
	// LinkText is the button's Jinja2 text; NetBox hides the button when it
	// renders empty, e.g. "{% if object.cf.wug_device_id %}WhatsUp Gold{% endif %}".
	LinkText  string `json:"link_text"`
	LinkURL   string `json:"link_url"`
	Weight    int    `json:"weight"`
	GroupName string `json:"group_name"`
	// ButtonClass is the button colour, e.g. "default" or "blue".
	ButtonClass string `json:"button_class"`
	NewWindow   bool   `json:"new_window"`
}

// UnmarshalJSON reads object_types (or content_types) and button_class as
// a string or a choice.
func (l *CustomLink) UnmarshalJSON(b []byte) error {
	type plain CustomLink
	var w struct {
		plain
		objectTypesField
		ButtonClass choiceOrString `json:"button_class"`
	}
	if err := json.Unmarshal(b, &w); err != nil {
		return fmt.Errorf("decode custom link: %w", err)
	}
	*l = CustomLink(w.plain)
	l.ObjectTypes = w.objectTypesField.list()
	l.ButtonClass = string(w.ButtonClass)
	return nil
}

// CustomLinkByName returns the custom link with this exact name.
func (c *Client) CustomLinkByName(ctx context.Context, name string) (l CustomLink, found bool, err error) {
	return findConfig(ctx, c, customLinkKind, name, func(l CustomLink) int64 { return l.ID }, func(l CustomLink) string { return l.Name })
}

func customLinkBody(l CustomLink) map[string]any {
	body := map[string]any{
		"name": l.Name, "object_types": l.ObjectTypes, "enabled": l.Enabled,
		"link_text": l.LinkText, "link_url": l.LinkURL, "new_window": l.NewWindow,
	}
	setIf(body, "weight", l.Weight, l.Weight != 0)
	setIf(body, "group_name", l.GroupName, l.GroupName != "")
	setIf(body, "button_class", l.ButtonClass, l.ButtonClass != "")
	return body
}

func checkCustomLink(l CustomLink) error {
	if strings.TrimSpace(l.Name) == "" || len(l.ObjectTypes) == 0 || l.LinkText == "" || l.LinkURL == "" {
		return fmt.Errorf("custom link %q: name, object types, link text and link URL are required: %w", l.Name, ErrConfig)
	}
	return nil
}

// CreateCustomLink creates spec. Needs extras.add_customlink.
func (c *Client) CreateCustomLink(ctx context.Context, spec CustomLink) (CustomLink, error) {
	if err := checkCustomLink(spec); err != nil {
		return CustomLink{}, err
	}
	return createConfig[CustomLink](ctx, c, customLinkKind, customLinkBody(spec))
}

// UpdateCustomLink overwrites custom link id with spec (name, object types,
// enabled, text, URL, window; weight, group and button class when set).
// Needs extras.change_customlink.
func (c *Client) UpdateCustomLink(ctx context.Context, id int64, spec CustomLink) (CustomLink, error) {
	if err := checkCustomLink(spec); err != nil {
		return CustomLink{}, err
	}
	return patchConfig[CustomLink](ctx, c, customLinkKind, id, customLinkBody(spec))
}

// EnsureCustomLink makes the custom link named spec.Name match spec: created
// when missing; when its text, URL, window, enabled flag differ, or it lacks
// one of spec's object types, updated (keeping object types it has beyond
// spec's); else found.
func (c *Client) EnsureCustomLink(ctx context.Context, spec CustomLink) (CustomLink, EnsureResult, error) {
	if err := checkCustomLink(spec); err != nil {
		return CustomLink{}, EnsureResult{Kind: customLinkKind.objectType, Name: spec.Name}, err
	}
	return ensure(customLinkKind, spec.Name, ensureSteps[CustomLink]{
		find:   func() (CustomLink, bool, error) { return c.CustomLinkByName(ctx, spec.Name) },
		create: func() (CustomLink, error) { return c.CreateCustomLink(ctx, spec) },
		idOf:   func(l CustomLink) int64 { return l.ID },
		diff: func(cur CustomLink) ([]string, func() (CustomLink, error), error) {
			var changes []string
			if missing := missingFrom(cur.ObjectTypes, spec.ObjectTypes); len(missing) > 0 {
				changes = append(changes, "object_types: added "+strings.Join(missing, ", "))
			}
			changes = append(changes, changedNames(
				fieldDiff{"link_text", cur.LinkText != spec.LinkText},
				fieldDiff{"link_url", cur.LinkURL != spec.LinkURL},
				fieldDiff{"new_window", cur.NewWindow != spec.NewWindow},
				fieldDiff{"enabled", cur.Enabled != spec.Enabled},
			)...)
			want := spec
			want.ObjectTypes = union(cur.ObjectTypes, spec.ObjectTypes)
			return changes, func() (CustomLink, error) { return c.UpdateCustomLink(ctx, cur.ID, want) }, nil
		},
	})
}
