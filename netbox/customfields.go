package netbox

import (
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
)

// Custom field types wugsync uses (CustomFieldTypeChoices has more).
const (
	CustomFieldText    = "text"
	CustomFieldInteger = "integer"
)

// CustomField is an extras.customfield: a field NetBox adds to the objects of
// its object types.
type CustomField struct {
	ID      int64  `json:"id"`
	URL     string `json:"url"`
	Display string `json:"display"`
	// Name is the key in objects' custom_fields, e.g. "wug_device_id".
	Name  string `json:"name"`
	Label string `json:"label"`
	// Type is the field type's value, e.g. "text" or "integer".
	Type string `json:"-"`
	// ObjectTypes are the object types that carry the field, e.g.
	// "dcim.device".
	ObjectTypes []string `json:"-"`
	GroupName   string   `json:"group_name"`
	Description string   `json:"description"`
	Required    bool     `json:"required"`
	Unique      bool     `json:"unique"`
	// Default is the value new objects get (any JSON value, nil for none).
	Default any `json:"default"`
	Weight  int `json:"weight"`
}

// UnmarshalJSON reads type as a choice and object_types (or the pre-4.0
// content_types).
func (cf *CustomField) UnmarshalJSON(b []byte) error {
	type plain CustomField
	var w struct {
		plain
		objectTypesField
		Type choiceOrString `json:"type"`
	}
	if err := json.Unmarshal(b, &w); err != nil {
		return fmt.Errorf("decode custom field: %w", err)
	}
	*cf = CustomField(w.plain)
	cf.Type = string(w.Type)
	cf.ObjectTypes = w.objectTypesField.list()
	return nil
}

// customFieldNameRE is NetBox's rule for custom field names.
var customFieldNameRE = regexp.MustCompile(`^[a-z0-9_]+$`)

// CheckCustomFieldName applies NetBox's rules for a custom field name
// (lower-case letters, digits and underscores, no double underscore, at most
// 50 characters), so a bad netbox_custom_field is refused when it is saved,
// not on the first write-back.
func CheckCustomFieldName(name string) error {
	switch {
	case name == "":
		return fmt.Errorf("custom field name is empty: %w", ErrConfig)
	case len(name) > 50:
		return fmt.Errorf("custom field name %q is longer than 50 characters: %w", name, ErrConfig)
	case !customFieldNameRE.MatchString(strings.ToLower(name)):
		return fmt.Errorf("custom field name %q: only letters, digits and underscores are allowed: %w", name, ErrConfig)
	case strings.Contains(name, "__"):
		return fmt.Errorf("custom field name %q: double underscores are not allowed: %w", name, ErrConfig)
	}
	return nil
}

// CustomFieldByName returns the custom field with this exact name; found is
// false when there is none.
func (c *Client) CustomFieldByName(ctx context.Context, name string) (cf CustomField, found bool, err error) {
	return findConfig(ctx, c, customFieldKind, name, func(cf CustomField) int64 { return cf.ID }, func(cf CustomField) string { return cf.Name })
}

// CreateCustomField creates spec (Name, Type and ObjectTypes required; Label,
// Description, GroupName, Required, Default and Weight when set). Needs
// extras.add_customfield.
func (c *Client) CreateCustomField(ctx context.Context, spec CustomField) (CustomField, error) {
	if err := CheckCustomFieldName(spec.Name); err != nil {
		return CustomField{}, err
	}
	if spec.Type == "" || len(spec.ObjectTypes) == 0 {
		return CustomField{}, fmt.Errorf("create custom field %q: type and object types are required: %w", spec.Name, ErrConfig)
	}
	body := map[string]any{"name": spec.Name, "type": spec.Type, "object_types": spec.ObjectTypes}
	setIf(body, "label", spec.Label, spec.Label != "")
	setIf(body, "description", spec.Description, spec.Description != "")
	setIf(body, "group_name", spec.GroupName, spec.GroupName != "")
	setIf(body, "required", spec.Required, spec.Required)
	setIf(body, "unique", spec.Unique, spec.Unique)
	setIf(body, "default", spec.Default, spec.Default != nil)
	setIf(body, "weight", spec.Weight, spec.Weight != 0)
	return createConfig[CustomField](ctx, c, customFieldKind, body)
}

// SetCustomFieldObjectTypes replaces the object types of custom field id
// (NetBox replaces the whole list on update). Needs
// extras.change_customfield.
func (c *Client) SetCustomFieldObjectTypes(ctx context.Context, id int64, objectTypes []string) (CustomField, error) {
	if len(objectTypes) == 0 {
		return CustomField{}, fmt.Errorf("update custom field %d: no object types: %w", id, ErrConfig)
	}
	return patchConfig[CustomField](ctx, c, customFieldKind, id, map[string]any{"object_types": objectTypes})
}

// EnsureCustomField makes sure a custom field named spec.Name of spec.Type
// exists on at least spec.ObjectTypes: it creates it, or adds the missing
// object types to an existing one (keeping those it has), or finds it
// complete. An existing field of another type is an error (ErrConfig):
// NetBox cannot change a field's type, and values of the wrong type would be
// refused on every write.
func (c *Client) EnsureCustomField(ctx context.Context, spec CustomField) (CustomField, EnsureResult, error) {
	if err := CheckCustomFieldName(spec.Name); err != nil {
		return CustomField{}, EnsureResult{Kind: customFieldKind.objectType, Name: spec.Name}, err
	}
	return ensure(customFieldKind, spec.Name, ensureSteps[CustomField]{
		find:   func() (CustomField, bool, error) { return c.CustomFieldByName(ctx, spec.Name) },
		create: func() (CustomField, error) { return c.CreateCustomField(ctx, spec) },
		idOf:   func(cf CustomField) int64 { return cf.ID },
		diff: func(cur CustomField) ([]string, func() (CustomField, error), error) {
			if cur.Type != spec.Type {
				return nil, nil, fmt.Errorf("netbox %s: custom field %q exists with type %q, not %q; NetBox cannot change a field's type: delete the field or choose another name: %w",
					c.s.server, spec.Name, cur.Type, spec.Type, ErrConfig)
			}
			missing := missingFrom(cur.ObjectTypes, spec.ObjectTypes)
			if len(missing) == 0 {
				return nil, nil, nil
			}
			return []string{"object_types: added " + strings.Join(missing, ", ")}, func() (CustomField, error) {
				return c.SetCustomFieldObjectTypes(ctx, cur.ID, union(cur.ObjectTypes, spec.ObjectTypes))
			}, nil
		},
	})
}

func setIf(m map[string]any, key string, v any, ok bool) {
	if ok {
		m[key] = v
	}
}
