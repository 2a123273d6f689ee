package api

import (
	"math"
	"reflect"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3gen"

	"github.com/wugsync/wugsync/models"
)

// enumValues gives the schema of every enum type its allowed values.
var enumValues = map[reflect.Type][]string{
	reflect.TypeFor[models.ExportStatus]():       enumStrings(models.ExportStatuses()),
	reflect.TypeFor[models.ExportReason]():       enumStrings(models.ExportReasons()),
	reflect.TypeFor[models.RunStatus]():          enumStrings(models.RunStatuses()),
	reflect.TypeFor[models.SyncType]():           enumStrings(models.SyncTypes()),
	reflect.TypeFor[models.Trigger]():            enumStrings(models.Triggers()),
	reflect.TypeFor[models.DecommissionAction](): enumStrings(models.DecommissionActions()),
	reflect.TypeFor[models.PlanAction]():         enumStrings(models.PlanActions()),
	reflect.TypeFor[models.ObjectType]():         enumStrings(models.ObjectTypes()),
	reflect.TypeFor[models.Outcome]():            enumStrings(models.Outcomes()),
}

func enumStrings[T ~string](all []T) []string {
	out := make([]string, len(all))
	for i, v := range all {
		out[i] = string(v)
	}
	return out
}

// schemaMode says whether a schema describes a response (every field that
// is always sent is required) or a request body (nothing is required
// unless the operation says so).
type schemaMode int

const (
	forResponse schemaMode = iota
	forRequest
)

// schemaOf derives the JSON schema of a Go value from its type, so the
// document describes exactly what the handlers encode and decode. A
// field's `doc` tag becomes its description. Objects
// are closed (additionalProperties: false): a field added to a type but not
// to the document cannot exist, because there is no separate document.
func schemaOf(v any, mode schemaMode) (*openapi3.SchemaRef, error) {
	closed := false
	return openapi3gen.NewSchemaRefForValue(v, nil, openapi3gen.SchemaCustomizer(
		func(_ string, t reflect.Type, tag reflect.StructTag, schema *openapi3.Schema) error {
			if doc := tag.Get("doc"); doc != "" {
				schema.Description = doc
			}
			if list := tag.Get("enum"); list != "" { // a string field with fixed values
				for _, v := range strings.Split(list, ",") {
					schema.Enum = append(schema.Enum, v)
				}
			}
			if values, ok := enumValues[t]; ok {
				for _, v := range values {
					schema.Enum = append(schema.Enum, v)
				}
			}
			if t == reflect.TypeFor[models.FilterValues]() {
				// Numbers are NetBox ids and strings slugs (models.FilterValues).
				schema.Items = openapi3.NewSchemaRef("", &openapi3.Schema{OneOf: openapi3.SchemaRefs{
					openapi3.NewSchemaRef("", openapi3.NewIntegerSchema().WithMin(1).WithMax(math.MaxInt32)),
					openapi3.NewSchemaRef("", openapi3.NewStringSchema()),
				}})
			}
			if t.Kind() == reflect.Struct && schema.Properties != nil {
				schema.AdditionalProperties = openapi3.AdditionalProperties{Has: &closed}
				if mode == forResponse {
					schema.Required = requiredFields(t)
				}
			}
			return nil
		}))
}

// requiredFields lists the JSON names of t's fields that are always
// encoded (no omitempty), following embedded structs as encoding/json does.
func requiredFields(t reflect.Type) []string {
	var out []string
	seen := map[string]bool{}
	var walk func(reflect.Type)
	walk = func(t reflect.Type) {
		for i := range t.NumField() {
			f := t.Field(i)
			tag := f.Tag.Get("json")
			name, opts, _ := strings.Cut(tag, ",")
			if tag == "-" || !f.IsExported() && !f.Anonymous {
				continue
			}
			if f.Anonymous && name == "" {
				ft := f.Type
				if ft.Kind() == reflect.Pointer {
					ft = ft.Elem()
				}
				if ft.Kind() == reflect.Struct {
					walk(ft)
					continue
				}
			}
			if name == "" {
				name = f.Name
			}
			if strings.Contains(opts, "omitempty") || seen[name] {
				continue
			}
			seen[name] = true
			out = append(out, name)
		}
	}
	walk(t)
	return out
}
