package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"reflect"
	"sort"
	"strings"
	"unicode"

	"github.com/wugsync/wugsync/models"
)

// MaxBodyBytes bounds every request body (1 MiB): no route needs more, and
// an unbounded body is a free way to exhaust memory.
const MaxBodyBytes = 1 << 20

// readBody reads the whole (already size-limited) body, turning an
// oversized one into 413.
func readBody(r *http.Request) ([]byte, error) {
	if r.Body == nil {
		return nil, nil
	}
	data, err := io.ReadAll(r.Body)
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return nil, &Error{Status: http.StatusRequestEntityTooLarge, Code: CodePayloadTooLarge,
				Message: fmt.Sprintf("request body is larger than %d bytes", MaxBodyBytes)}
		}
		return nil, badRequest("", "could not read the request body: "+err.Error())
	}
	return data, nil
}

// decodeJSON reads a JSON object into out strictly: unknown fields, wrong
// types and trailing data are errors naming the field. An empty body is
// accepted only when optional is true (out keeps its zero value).
func decodeJSON(r *http.Request, out any, optional bool) error {
	data, err := readBody(r)
	if err != nil {
		return err
	}
	return decodeStrict(data, out, optional)
}

// decodeStrict is decodeJSON on bytes, separate so fuzz tests reach it.
func decodeStrict(data []byte, out any, optional bool) error {
	if len(bytes.TrimSpace(data)) == 0 {
		if optional {
			return nil
		}
		return badRequest("", "a JSON body is required")
	}
	if trimmed := bytes.TrimSpace(data); trimmed[0] != '{' {
		return badRequest("", "the body must be a JSON object")
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(out); err != nil {
		return jsonProblem(err, data, reflect.TypeOf(out))
	}
	if dec.More() {
		return badRequest("", "the body has data after the JSON object")
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return badRequest("", "the body has data after the JSON object")
	}
	return checkBodyText(data, reflect.TypeOf(out))
}

// decodeNoFields reads the body of a route that takes no parameters
// (…/retry, …/sync): nothing, or a JSON object without fields. Anything
// else is a 400, so a client that thinks it is sending options hears that
// they are not read.
func decodeNoFields(r *http.Request) error {
	var none struct{}
	return decodeJSON(r, &none, true)
}

// textMultiline is the `text` struct tag of a string field that may hold
// line breaks (a PEM certificate). Every other string may hold no control
// character (Unicode category Cc) at all: NUL breaks PostgreSQL, and line
// breaks and escapes forge log lines and WUG names. No input has a
// free-text note, the one place a tab would belong.
const textMultiline = "multiline"

// controlAllowed reports whether rule lets a string hold control rune r.
func controlAllowed(rule string, r rune) bool {
	return rule == textMultiline && (r == '\n' || r == '\r')
}

// controlProblem describes the first control character of s that rule
// does not allow, or returns "".
func controlProblem(s, rule string) string {
	pos := 0
	for _, r := range s {
		if unicode.IsControl(r) && !controlAllowed(rule, r) {
			return fmt.Sprintf("contains the control character U+%04X at character %d; control characters are not allowed", r, pos)
		}
		pos++
	}
	return ""
}

// checkBodyText refuses, with a 422 naming the field, any string in a
// decoded body (values, and keys of free-form objects) that holds a
// control character its field does not allow. Every JSON body passes here,
// so no route can forget it.
func checkBodyText(data []byte, into reflect.Type) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return badRequest("", "malformed JSON: "+strings.TrimPrefix(err.Error(), "json: "))
	}
	return checkText(v, into, "", "")
}

func checkText(v any, t reflect.Type, path, rule string) error {
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch val := v.(type) {
	case string:
		if p := controlProblem(val, rule); p != "" {
			return unprocessable(fieldPath(path), p)
		}
	case []any:
		var elem reflect.Type
		if t != nil && (t.Kind() == reflect.Slice || t.Kind() == reflect.Array) {
			elem = t.Elem()
		}
		for i, item := range val {
			if err := checkText(item, elem, fmt.Sprintf("%s[%d]", path, i), rule); err != nil {
				return err
			}
		}
	case map[string]any:
		keys := make([]string, 0, len(val))
		for k := range val {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		var fields map[string]reflect.StructField
		if t != nil && t.Kind() == reflect.Struct {
			fields = jsonFields(t)
		}
		for _, k := range keys {
			child := joinPath(path, k)
			if p := controlProblem(k, ""); p != "" {
				return unprocessable(fieldPath(path), "has a key that "+p)
			}
			var ft reflect.Type
			childRule := ""
			switch {
			case fields != nil:
				if f, ok := lookupFold(fields, k); ok {
					ft, childRule = f.Type, f.Tag.Get("text")
				}
			case t != nil && t.Kind() == reflect.Map:
				ft = t.Elem()
			}
			if err := checkText(val[k], ft, child, childRule); err != nil {
				return err
			}
		}
	}
	return nil
}

func joinPath(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// fieldPath names the body itself when the problem is at its top level.
func fieldPath(path string) string {
	if path == "" {
		return "body"
	}
	return path
}

// jsonProblem turns a decoding error into a 400 naming the field at fault.
func jsonProblem(err error, data []byte, into reflect.Type) *Error {
	var typeErr *json.UnmarshalTypeError
	var syntaxErr *json.SyntaxError
	switch {
	case errors.As(err, &typeErr):
		field := typeErr.Field
		if field == "" {
			return badRequest("", fmt.Sprintf("a JSON %s cannot be used here", typeErr.Value))
		}
		return badRequest(field, fmt.Sprintf("must be %s, got a JSON %s", describeType(typeErr.Type), typeErr.Value))
	case errors.As(err, &syntaxErr):
		return badRequest("", fmt.Sprintf("malformed JSON at byte %d: %v", syntaxErr.Offset, syntaxErr))
	case errors.Is(err, io.ErrUnexpectedEOF):
		return badRequest("", "malformed JSON: the body ends too early")
	}
	msg := err.Error()
	if name, ok := strings.CutPrefix(msg, "json: unknown field "); ok {
		// The decoder names the key but not where it sits; find its path.
		if p := unknownFieldPath(data, into, ""); p != "" {
			name = p
		}
		return badRequest(strings.Trim(name, `"`), "is not a known field")
	}
	var apiErr *Error
	if errors.As(err, &apiErr) {
		return apiErr
	}
	var filterErr *models.FilterValueError
	if errors.As(err, &filterErr) {
		field := filterValuesPath(data, into, "")
		if filterErr.Index < 0 {
			return badRequest(field, filterErr.Message)
		}
		return unprocessable(field+fmt.Sprintf("[%d]", filterErr.Index), filterErr.Message)
	}
	return badRequest("", "malformed JSON: "+strings.TrimPrefix(msg, "json: "))
}

// filterValuesPath finds the first models.FilterValues in data that does
// not decode, as a path such as "device_filters.sites": its decoder cannot
// know the field it sits in.
func filterValuesPath(data []byte, t reflect.Type, prefix string) string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t == reflect.TypeFor[models.FilterValues]() {
		var f models.FilterValues
		if json.Unmarshal(data, &f) != nil {
			return strings.TrimSuffix(prefix, ".")
		}
		return ""
	}
	if t.Kind() != reflect.Struct {
		return ""
	}
	obj, keys, ok := objectKeys(data)
	if !ok {
		return ""
	}
	fields := jsonFields(t)
	for _, k := range keys {
		if f, ok := lookupFold(fields, k); ok {
			if p := filterValuesPath(obj[k], f.Type, prefix+k+"."); p != "" {
				return p
			}
		}
	}
	return ""
}

// objectKeys decodes data as a JSON object and returns its members with
// their keys sorted, so that the path walkers name the same key every time.
func objectKeys(data []byte) (map[string]json.RawMessage, []string, bool) {
	var obj map[string]json.RawMessage
	if json.Unmarshal(data, &obj) != nil || obj == nil {
		return nil, nil, false
	}
	keys := make([]string, 0, len(obj))
	for k := range obj {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return obj, keys, true
}

// describeType names Go types the way a JSON client thinks of them.
func describeType(t reflect.Type) string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.Slice, reflect.Array:
		return "an array"
	case reflect.Map, reflect.Struct:
		return "an object"
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "a non-negative integer"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return "an integer"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.Bool:
		return "true or false"
	case reflect.String:
		return "a string"
	}
	return t.String()
}

// unknownFieldPath finds the first key in data that type t has no field
// for, as a path such as "device_filters.regions".
func unknownFieldPath(data []byte, t reflect.Type, prefix string) string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.Struct:
		obj, keys, ok := objectKeys(data)
		if !ok {
			return ""
		}
		fields := jsonFields(t)
		for _, k := range keys {
			f, ok := lookupFold(fields, k)
			if !ok {
				return prefix + k
			}
			if p := unknownFieldPath(obj[k], f.Type, prefix+k+"."); p != "" {
				return p
			}
		}
	case reflect.Slice, reflect.Array:
		var items []json.RawMessage
		if json.Unmarshal(data, &items) != nil {
			return ""
		}
		for i, item := range items {
			if p := unknownFieldPath(item, t.Elem(), fmt.Sprintf("%s[%d].", strings.TrimSuffix(prefix, "."), i)); p != "" {
				return p
			}
		}
	}
	return ""
}

// jsonFields maps the JSON names of t's fields to the fields, following
// embedded structs as encoding/json does.
func jsonFields(t reflect.Type) map[string]reflect.StructField {
	out := map[string]reflect.StructField{}
	for i := range t.NumField() {
		f := t.Field(i)
		tag := f.Tag.Get("json")
		name, _, _ := strings.Cut(tag, ",")
		switch {
		case tag == "-":
		case f.Anonymous && name == "" && f.Type.Kind() == reflect.Struct:
			for k, v := range jsonFields(f.Type) {
				if _, dup := out[k]; !dup {
					out[k] = v
				}
			}
		case f.IsExported():
			if name == "" {
				name = f.Name
			}
			out[name] = f
		}
	}
	return out
}

// lookupFold matches a key the way encoding/json does: exactly, else
// ignoring case.
func lookupFold(fields map[string]reflect.StructField, key string) (reflect.StructField, bool) {
	if f, ok := fields[key]; ok {
		return f, true
	}
	for name, f := range fields {
		if strings.EqualFold(name, key) {
			return f, true
		}
	}
	return reflect.StructField{}, false
}
