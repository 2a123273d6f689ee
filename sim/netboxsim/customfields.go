package netboxsim

import (
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
)

// customFieldTypes are CustomFieldTypeChoices.
var customFieldTypes = map[string]string{
	"text": "Text", "longtext": "Text (long)", "integer": "Integer", "decimal": "Decimal", "boolean": "Boolean (true/false)",
	"date": "Date", "datetime": "Date & time", "url": "URL", "json": "JSON", "select": "Selection",
	"multiselect": "Multiple selection", "object": "Object", "multiobject": "Multiple objects",
}

// contentTypes are the object types the simulator accepts in object_types
// and assigned_object_type fields; NetBox accepts any model with the
// feature, and these are the ones a monitoring sync touches.
var contentTypes = []string{
	"dcim.device", "dcim.site", "dcim.region", "dcim.location", "dcim.rack", "dcim.devicerole", "dcim.platform",
	"dcim.devicetype", "dcim.manufacturer", "dcim.interface", "ipam.ipaddress", "ipam.prefix", "ipam.vrf",
	"tenancy.tenant", "virtualization.virtualmachine", "virtualization.cluster", "virtualization.vminterface",
}

// cfDefs returns the custom fields of an object type in NetBox's order
// (group name, weight, name), from the derived indexes.
func (st *store) cfDefs(objectType string) []*CustomField {
	idx := st.indexes()
	st.idxMu.Lock()
	defer st.idxMu.Unlock()
	if defs, ok := idx.cfDefs[objectType]; ok {
		return defs
	}
	defs := []*CustomField{}
	for _, cf := range st.customFields.all() {
		if slices.Contains(cf.ObjectTypes, objectType) {
			defs = append(defs, cf)
		}
	}
	sort.SliceStable(defs, func(i, j int) bool {
		a, b := defs[i], defs[j]
		return lessGrouped(a.GroupName, a.Weight, a.Name, b.GroupName, b.Weight, b.Name)
	})
	if idx.cfDefs == nil {
		idx.cfDefs = map[string][]*CustomField{}
	}
	idx.cfDefs[objectType] = defs
	return defs
}

// cleanCustomFields is CustomFieldsMixin.clean(): a value for a field the
// object type does not have is refused ("Unknown field name") or, from
// 4.4.10, dropped; each value must suit its field's type; required fields
// must be set. Messages are model-level ("__all__"), and the first one
// ends validation, as NetBox raises it.
func (st *store) cleanCustomFields(errs *fieldErrors, objectType string, values map[string]any) {
	defs := map[string]*CustomField{}
	for _, cf := range st.cfDefs(objectType) {
		defs[cf.Name] = cf
	}
	names := make([]string, 0, len(values))
	for name := range values {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		def, ok := defs[name]
		if !ok {
			if st.dropUnknownCF {
				delete(values, name)
				continue
			}
			errs.add("__all__", fmt.Sprintf("Unknown field name '%s' in custom field data.", name))
			return
		}
		if msg := customFieldValueError(def, values[name]); msg != "" {
			errs.add("__all__", fmt.Sprintf("Invalid value for custom field '%s': %s", name, msg))
			return
		}
	}
	for _, cf := range st.cfDefs(objectType) {
		if _, ok := values[cf.Name]; cf.Required && !ok {
			errs.add("__all__", fmt.Sprintf("Missing required custom field '%s'.", cf.Name))
			return
		}
	}
}

// lessGrouped is the ordering of custom fields and custom links:
// group name, weight, name.
func lessGrouped(groupA string, weightA int, nameA, groupB string, weightB int, nameB string) bool {
	if groupA != groupB {
		return groupA < groupB
	}
	if weightA != weightB {
		return weightA < weightB
	}
	return nameA < nameB
}

// customFieldValueError is CustomField.validate(): Python's type checks,
// so an integer field refuses "812" and 812.0, and a text field 812.
func customFieldValueError(def *CustomField, v any) string {
	if v == nil || v == "" {
		if def.Required {
			return "Required field cannot be empty."
		}
		return ""
	}
	switch def.Type {
	case "text", "longtext", "url":
		s, ok := v.(string)
		if !ok {
			return "Value must be a string."
		}
		if def.ValidationRegex != "" {
			if re, err := regexp.Compile(def.ValidationRegex); err == nil && !re.MatchString(s) {
				return fmt.Sprintf("Value must match regex '%s'", def.ValidationRegex)
			}
		}
	case "integer":
		if _, ok := v.(int); !ok {
			return "Value must be an integer."
		}
	case "decimal":
		switch x := v.(type) {
		case int, float64:
		case string:
			if _, err := strconv.ParseFloat(x, 64); err != nil {
				return "Value must be a decimal."
			}
		default:
			return "Value must be a decimal."
		}
	case "boolean":
		switch x := v.(type) {
		case bool:
		case int:
			if x != 0 && x != 1 {
				return "Value must be true or false."
			}
		default:
			return "Value must be true or false."
		}
	case "date":
		s, ok := v.(string)
		if _, err := time.Parse("2006-01-02", s); !ok || err != nil {
			return "Date values must be in ISO 8601 format (YYYY-MM-DD)."
		}
	case "datetime":
		s, ok := v.(string)
		if _, valid := parseDjangoDateTime(s); !ok || !valid {
			return "Date and time values must be in ISO 8601 format (YYYY-MM-DD HH:MM:SS)."
		}
	case "select":
		if _, ok := v.(string); !ok {
			return fmt.Sprintf("Invalid choice (%v) for choice set.", v)
		}
	case "multiselect":
		if _, ok := v.([]any); !ok {
			return fmt.Sprintf("Invalid choice(s) (%v) for choice set.", v)
		}
	}
	return ""
}

// cfValues renders every field of the object type, null when unset,
// as the REST API and snapshots (custom_field_data) show them.
func (st *store) cfValues(objectType string, values map[string]any) obj {
	defs := st.cfDefs(objectType)
	o := make(obj, 0, len(defs))
	for _, cf := range defs {
		o = append(o, kv{cf.Name, values[cf.Name]})
	}
	return o
}

// customFieldData walks the objects of an object type's custom field maps,
// for populating defaults and removing stale data: NetBox does both with a
// queryset update, which bumps no last_updated and fires no events.
func (st *store) customFieldData(objectType string, fn func(values map[string]any) map[string]any) {
	switch objectType {
	case "dcim.device":
		for _, d := range st.devices.rows {
			d.CustomFields = fn(d.CustomFields)
		}
	case "virtualization.virtualmachine":
		for _, vm := range st.vms.rows {
			vm.CustomFields = fn(vm.CustomFields)
		}
	}
}

// customFieldSaved keeps object data in step with a created or changed
// field: a rename moves the values, an added object type gets the default,
// a removed one loses the values.
func customFieldSaved(st *store, before, after *CustomField) {
	var had []string
	if before != nil {
		had = before.ObjectTypes
		if before.Name != after.Name {
			for _, ot := range before.ObjectTypes {
				st.customFieldData(ot, func(v map[string]any) map[string]any {
					if val, ok := v[before.Name]; ok {
						delete(v, before.Name)
						v[after.Name] = val
					}
					return v
				})
			}
		}
	}
	for _, ot := range after.ObjectTypes {
		if slices.Contains(had, ot) || after.Default == nil {
			continue
		}
		st.customFieldData(ot, func(v map[string]any) map[string]any {
			if _, ok := v[after.Name]; !ok {
				if v == nil {
					v = map[string]any{}
				}
				v[after.Name] = after.Default
			}
			return v
		})
	}
	for _, ot := range had {
		if !slices.Contains(after.ObjectTypes, ot) {
			st.customFieldData(ot, func(v map[string]any) map[string]any { delete(v, after.Name); return v })
		}
	}
	st.invalidate()
}

var customFieldNameRE = regexp.MustCompile(`(?i)^[a-z0-9_]+$`)

// contentTypeList reads a ContentTypeField(many=True).
func contentTypeList(errs *fieldErrors, field string, v any) ([]string, bool) {
	list, ok := v.([]any)
	if !ok {
		errs.add(field, fmt.Sprintf("Expected a list of items but got type %q.", jsonKind(v)))
		return nil, false
	}
	var out []string
	for _, item := range list {
		ct, ok := contentType(errs, field, item)
		if !ok {
			return nil, false
		}
		if !slices.Contains(out, ct) {
			out = append(out, ct)
		}
	}
	if len(out) == 0 {
		errs.add(field, "This list may not be empty.")
		return nil, false
	}
	return out, true
}

// contentType reads one ContentTypeField value.
func contentType(errs *fieldErrors, field string, v any) (string, bool) {
	s, ok := v.(string)
	if !ok || strings.Count(s, ".") != 1 {
		errs.add(field, "Invalid value. Specify a content type as '<app_label>.<model_name>'.")
		return "", false
	}
	if !slices.Contains(contentTypes, s) {
		errs.add(field, fmt.Sprintf("Invalid content type: %s", s))
		return "", false
	}
	return s, true
}

func boolValue(errs *fieldErrors, field string, v any) (bool, bool) {
	switch x := v.(type) {
	case bool:
		return x, true
	case string:
		switch strings.ToLower(x) {
		case "true", "1", "yes", "on":
			return true, true
		case "false", "0", "no", "off":
			return false, true
		}
	case json.Number:
		switch x.String() {
		case "1":
			return true, true
		case "0":
			return false, true
		}
	}
	errs.add(field, "Must be a valid boolean.")
	return false, false
}

// intValue reads a DRF IntegerField value (a number or numeric string).
func intValue(v any) (int, error) {
	switch x := v.(type) {
	case json.Number:
		return strconv.Atoi(x.String())
	case string:
		return strconv.Atoi(strings.TrimSpace(x))
	}
	return 0, fmt.Errorf("not an integer: %v", v)
}

func intField(errs *fieldErrors, field string, v any) (int, bool) {
	n, err := intValue(v)
	if err != nil {
		errs.add(field, "A valid integer is required.")
		return 0, false
	}
	return n, true
}

// strField reads a string field with an optional maximum length.
func strField(errs *fieldErrors, field string, v any, maxLen int, blank bool) (string, bool) {
	s, ok := str(errs, field, v, false)
	if !ok {
		return "", false
	}
	if !blank && strings.TrimSpace(*s) == "" {
		errs.add(field, "This field may not be blank.")
		return "", false
	}
	if maxLen > 0 && len([]rune(*s)) > maxLen {
		errs.add(field, fmt.Sprintf("Ensure this field has no more than %d characters.", maxLen))
		return "", false
	}
	return *s, true
}

var customFieldModel = configModel[CustomField]{
	model: "CustomField", verbose: "custom field", path: "extras/custom-fields/",
	table: func(st *store) *table[CustomField] { return &st.customFields },
	id:    func(r *CustomField) int { return r.ID }, setID: func(r *CustomField, id int) { r.ID = id },
	name:     func(r *CustomField) string { return r.Name },
	stamp:    func(r *CustomField, now time.Time) { stamp(&r.Created, &r.LastUpdated, now) },
	clone:    CustomField.clone,
	newRow:   func(string) CustomField { return CustomField{Type: "text", Weight: 100} },
	required: []string{"object_types", "name"},
	less: func(a, b *CustomField) bool {
		return lessGrouped(a.GroupName, a.Weight, a.Name, b.GroupName, b.Weight, b.Name)
	},
	apply: applyFields(
		field[CustomField]{"name", func(c fieldCtx, cf *CustomField, v any) {
			s, ok := strField(c.errs, c.name, v, 50, false)
			switch {
			case !ok:
			case !customFieldNameRE.MatchString(s):
				c.errs.add(c.name, "Only alphanumeric characters and underscores are allowed.")
			case strings.Contains(s, "__"):
				c.errs.add(c.name, "Double underscores are not permitted in custom field names.")
			default:
				cf.Name = s
			}
		}},
		field[CustomField]{"type", func(c fieldCtx, cf *CustomField, v any) {
			s, ok := v.(string)
			if _, valid := customFieldTypes[s]; !ok || !valid {
				c.errs.add(c.name, fmt.Sprintf("%q is not a valid choice.", fmt.Sprint(v)))
				return
			}
			if !c.creating && s != cf.Type {
				c.errs.add(c.name, "Changing the type of custom fields is not supported.")
				return
			}
			cf.Type = s
		}},
		objectTypesField(func(cf *CustomField) *[]string { return &cf.ObjectTypes }),
		textField("label", 50, true, func(cf *CustomField) *string { return &cf.Label }),
		textField("group_name", 50, true, func(cf *CustomField) *string { return &cf.GroupName }),
		textField("description", 200, true, func(cf *CustomField) *string { return &cf.Description }),
		field[CustomField]{"validation_regex", func(c fieldCtx, cf *CustomField, v any) {
			s, ok := strField(c.errs, c.name, v, 500, true)
			if !ok {
				return
			}
			if _, err := regexp.Compile(s); err != nil {
				c.errs.add(c.name, fmt.Sprintf("Invalid regular expression: %v", err))
				return
			}
			cf.ValidationRegex = s
		}},
		boolField("required", func(cf *CustomField) *bool { return &cf.Required }),
		intFieldOf("weight", func(cf *CustomField) *int { return &cf.Weight }),
		field[CustomField]{"default", func(_ fieldCtx, cf *CustomField, v any) { cf.Default = plainJSON(v) }},
	),
	validate: func(st *store, cf *CustomField) fieldErrors {
		var errs fieldErrors
		if cf.Default != nil {
			if msg := customFieldValueError(cf, cf.Default); msg != "" {
				errs.add("default", fmt.Sprintf("Invalid default value \"%v\": %s", cf.Default, msg))
			}
		}
		return errs
	},
	render: func(rc renderCtx, cf *CustomField, mode renderMode) obj {
		url := rc.api("extras/custom-fields/" + itoa(cf.ID) + "/")
		display := cf.Label
		if display == "" {
			display = strings.ReplaceAll(cf.Name, "_", " ")
			display = strings.ToUpper(display[:1]) + display[1:]
		}
		if mode.brief {
			return obj{{"id", cf.ID}, {"url", url}, {"display", display}, {"name", cf.Name}, {"description", cf.Description}}
		}
		dataType := map[string]string{"integer": "integer", "decimal": "decimal", "boolean": "boolean", "json": "object",
			"object": "object", "multiselect": "array", "multiobject": "array"}[cf.Type]
		if dataType == "" {
			dataType = "string"
		}
		return obj{
			{"id", cf.ID}, {"url", url}, {"display_url", rc.ui("extras/custom-fields/" + itoa(cf.ID) + "/")},
			{"display", display}, {"object_types", stringsAny(cf.ObjectTypes)},
			{"type", choice(cf.Type, customFieldTypes)}, {"related_object_type", nil}, {"data_type", dataType},
			{"name", cf.Name}, {"label", cf.Label}, {"group_name", cf.GroupName}, {"description", cf.Description},
			{"required", cf.Required}, {"unique", false}, {"search_weight", 1000},
			{"filter_logic", obj{{"value", "loose"}, {"label", "Loose"}}},
			{"ui_visible", obj{{"value", "always"}, {"label", "Always"}}},
			{"ui_editable", obj{{"value", "yes"}, {"label", "Yes"}}},
			{"is_cloneable", false}, {"default", cf.Default}, {"related_object_filter", nil}, {"weight", cf.Weight},
			{"validation_minimum", nil}, {"validation_maximum", nil}, {"validation_regex", cf.ValidationRegex},
			{"choice_set", nil}, {"comments", ""},
			{"created", nullTime(cf.Created)}, {"last_updated", nullTime(cf.LastUpdated)},
		}
	},
	filter: func(p *qparser, st *store) func(*CustomField) bool {
		types := p.choices("type", customFieldTypes)
		objTypes := p.values("object_type")
		if len(types) == 0 && len(objTypes) == 0 {
			return nil
		}
		return func(cf *CustomField) bool {
			if len(types) > 0 && !slices.Contains(types, cf.Type) {
				return false
			}
			return len(objTypes) == 0 || anyOf(objTypes, func(t string) bool { return slices.Contains(cf.ObjectTypes, t) })
		}
	},
	saved: customFieldSaved,
	removed: func(st *store, cf *CustomField) {
		for _, ot := range cf.ObjectTypes {
			st.customFieldData(ot, func(v map[string]any) map[string]any { delete(v, cf.Name); return v })
		}
		st.invalidate()
	},
}
