package netboxsim

import (
	"fmt"
	"slices"
)

// field is one writable field of a setup model: its JSON name and how a
// request value is checked and written onto a row. A table of fields is a
// model's writable serializer.
type field[T any] struct {
	name string
	set  func(c fieldCtx, row *T, v any)
}

// fieldCtx is what a field's setter may need besides the value.
type fieldCtx struct {
	errs     *fieldErrors
	st       *store
	name     string
	creating bool
}

// applyFields writes the body's values for the listed fields onto a row,
// in table order; keys not in the table are ignored, as DRF ignores them.
func applyFields[T any](fields ...field[T]) func(st *store, row *T, b body, creating bool) fieldErrors {
	return func(st *store, row *T, b body, creating bool) fieldErrors {
		var errs fieldErrors
		for _, f := range fields {
			if v, ok := b[f.name]; ok {
				f.set(fieldCtx{errs: &errs, st: st, name: f.name, creating: creating}, row, v)
			}
		}
		return errs
	}
}

// textField is a CharField or TextField: maxLen 0 for none, blank when ""
// is allowed.
func textField[T any](name string, maxLen int, blank bool, ptr func(*T) *string) field[T] {
	return field[T]{name, func(c fieldCtx, row *T, v any) {
		if s, ok := strField(c.errs, c.name, v, maxLen, blank); ok {
			*ptr(row) = s
		}
	}}
}

func boolField[T any](name string, ptr func(*T) *bool) field[T] {
	return field[T]{name, func(c fieldCtx, row *T, v any) {
		if b, ok := boolValue(c.errs, c.name, v); ok {
			*ptr(row) = b
		}
	}}
}

func intFieldOf[T any](name string, ptr func(*T) *int) field[T] {
	return field[T]{name, func(c fieldCtx, row *T, v any) {
		if n, ok := intField(c.errs, c.name, v); ok {
			*ptr(row) = n
		}
	}}
}

// plainChoiceField is a model choice DRF renders as its bare value.
func plainChoiceField[T any](name string, valid []string, ptr func(*T) *string) field[T] {
	return field[T]{name, func(c fieldCtx, row *T, v any) {
		s, _ := v.(string)
		if !slices.Contains(valid, s) {
			c.errs.add(c.name, fmt.Sprintf("%q is not a valid choice.", fmt.Sprint(v)))
			return
		}
		*ptr(row) = s
	}}
}

// choiceFieldOf is NetBox's ChoiceField ({"value", "label"} on output).
func choiceFieldOf[T any](name string, valid map[string]string, ptr func(*T) *string) field[T] {
	return field[T]{name, func(c fieldCtx, row *T, v any) {
		if s, ok := choiceValue(c.errs, c.name, v, valid, false); ok {
			*ptr(row) = s
		}
	}}
}

// objectTypesField is a ContentTypeField(many=True).
func objectTypesField[T any](ptr func(*T) *[]string) field[T] {
	return field[T]{"object_types", func(c fieldCtx, row *T, v any) {
		if list, ok := contentTypeList(c.errs, c.name, v); ok {
			*ptr(row) = list
		}
	}}
}

func tagsField[T any](ptr func(*T) *[]string) field[T] {
	return field[T]{"tags", func(c fieldCtx, row *T, v any) {
		if tags, ok := tagSlugs(c.errs, c.st, v); ok {
			*ptr(row) = tags
		}
	}}
}
