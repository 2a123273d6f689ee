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
	return nil
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
	return badRequest("", "malformed JSON: "+strings.TrimPrefix(msg, "json: "))
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
		var obj map[string]json.RawMessage
		if json.Unmarshal(data, &obj) != nil {
			return ""
		}
		keys := make([]string, 0, len(obj))
		for k := range obj {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		fields := jsonFields(t)
		for _, k := range keys {
			ft, ok := lookupFold(fields, k)
			if !ok {
				return prefix + k
			}
			if p := unknownFieldPath(obj[k], ft, prefix+k+"."); p != "" {
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

// jsonFields maps the JSON names of t's fields to their types, following
// embedded structs as encoding/json does.
func jsonFields(t reflect.Type) map[string]reflect.Type {
	out := map[string]reflect.Type{}
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
			out[name] = f.Type
		}
	}
	return out
}

// lookupFold matches a key the way encoding/json does: exactly, else
// ignoring case.
func lookupFold(fields map[string]reflect.Type, key string) (reflect.Type, bool) {
	if t, ok := fields[key]; ok {
		return t, true
	}
	for name, t := range fields {
		if strings.EqualFold(name, key) {
			return t, true
		}
	}
	return nil, false
}
