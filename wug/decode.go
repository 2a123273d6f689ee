package wug

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// The flex types decode the variants real WUG servers produce: ids as strings or numbers,
// booleans and numbers as strings. Keys already match in any case because encoding/json
// falls back to a case-insensitive match when decoding into structs.

// flexString accepts a JSON string, number or boolean; null leaves it empty.
type flexString string

func (f *flexString) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	switch {
	case bytes.Equal(b, []byte("null")):
		*f = ""
	case len(b) > 0 && b[0] == '"':
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*f = flexString(s)
	case bytes.Equal(b, []byte("true")), bytes.Equal(b, []byte("false")):
		*f = flexString(b)
	default:
		var n json.Number
		if err := json.Unmarshal(b, &n); err != nil {
			return fmt.Errorf("want a string or number, got %.40s", b)
		}
		*f = flexString(n.String())
	}
	return nil
}

// flexBool accepts true/false, "true"/"True"/"false"/"1"/"0"/"yes"/"no"/"", and 0/1.
type flexBool bool

func (f *flexBool) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	switch string(b) {
	case "null":
		*f = false
		return nil
	case "true":
		*f = true
		return nil
	case "false":
		*f = false
		return nil
	}
	var raw flexString
	if err := raw.UnmarshalJSON(b); err != nil {
		return fmt.Errorf("want a boolean: %w", err)
	}
	v, ok := parseBool(string(raw))
	if !ok {
		return fmt.Errorf("want a boolean, got %q", string(raw))
	}
	*f = flexBool(v)
	return nil
}

func parseBool(s string) (bool, bool) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "true", "1", "yes", "on":
		return true, true
	case "false", "0", "no", "off", "":
		return false, true
	}
	return false, false
}

// flexInt accepts an integer as a JSON number (integral floats too) or a numeric string;
// an empty string or null is zero.
type flexInt int64

func (f *flexInt) UnmarshalJSON(b []byte) error {
	var raw flexString
	if err := raw.UnmarshalJSON(b); err != nil {
		return fmt.Errorf("want an integer: %w", err)
	}
	s := strings.TrimSpace(string(raw))
	if s == "" {
		*f = 0
		return nil
	}
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		*f = flexInt(n)
		return nil
	}
	x, err := strconv.ParseFloat(s, 64)
	if err != nil || x != math.Trunc(x) || math.Abs(x) > math.MaxInt64/2 {
		return fmt.Errorf("want an integer, got %q", s)
	}
	*f = flexInt(x)
	return nil
}

// flexFloat accepts a number or a numeric string; empty or null is zero.
type flexFloat float64

func (f *flexFloat) UnmarshalJSON(b []byte) error {
	var raw flexString
	if err := raw.UnmarshalJSON(b); err != nil {
		return fmt.Errorf("want a number: %w", err)
	}
	s := strings.TrimSpace(string(raw))
	if s == "" {
		*f = 0
		return nil
	}
	x, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return fmt.Errorf("want a number, got %q", s)
	}
	*f = flexFloat(x)
	return nil
}

// flexTime accepts RFC 3339 timestamps with or without a zone (WUG sends UTC without "Z"
// in places) and leaves anything else as the zero time rather than failing a whole page.
type flexTime time.Time

func (f *flexTime) UnmarshalJSON(b []byte) error {
	var raw flexString
	if err := raw.UnmarshalJSON(b); err != nil {
		return nil //nolint:nilerr // a timestamp we cannot read must not fail the call
	}
	s := strings.TrimSpace(string(raw))
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05.999999999", "1/2/2006 3:04:05 PM"} {
		if t, err := time.Parse(layout, s); err == nil {
			*f = flexTime(t.UTC())
			return nil
		}
	}
	*f = flexTime{}
	return nil
}

// flexStrings accepts a list of strings, or a single string, or null; elements may be numbers.
type flexStrings []string

func (f *flexStrings) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if bytes.Equal(b, []byte("null")) {
		*f = nil
		return nil
	}
	if len(b) > 0 && b[0] != '[' {
		var one flexString
		if err := one.UnmarshalJSON(b); err != nil {
			return err
		}
		*f = flexStrings{string(one)}
		return nil
	}
	var list []flexString
	if err := json.Unmarshal(b, &list); err != nil {
		return err
	}
	out := make(flexStrings, len(list))
	for i, s := range list {
		out[i] = string(s)
	}
	*f = out
	return nil
}

// objectKey returns the value of key in a JSON object, matching the key in any case.
func objectKey(obj map[string]json.RawMessage, key string) (json.RawMessage, bool) {
	if v, ok := obj[key]; ok {
		return v, true
	}
	for k, v := range obj {
		if strings.EqualFold(k, key) {
			return v, true
		}
	}
	return nil, false
}

// unwrapData returns the "data" member of a result envelope, or the whole body when the
// server returned the result bare (some operations do, and versions differ).
func unwrapData(body []byte) (json.RawMessage, error) {
	body = bytes.TrimSpace(body)
	if len(body) == 0 {
		return nil, errors.New("empty response body")
	}
	if body[0] != '{' {
		return body, nil
	}
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(body, &obj); err != nil {
		return nil, err
	}
	if data, ok := objectKey(obj, "data"); ok && !isNull(data) {
		return data, nil
	}
	return body, nil
}

// unwrapList returns the list in a result whose data is either a bare array or an object
// holding the array under key (e.g. {"devices": […]}).
func unwrapList(body []byte, key string) (json.RawMessage, error) {
	data, err := unwrapData(body)
	if err != nil {
		return nil, err
	}
	data = bytes.TrimSpace(data)
	if len(data) > 0 && data[0] == '[' {
		return data, nil
	}
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(data, &obj); err != nil {
		return nil, fmt.Errorf("want a list or an object with %q: %w", key, err)
	}
	list, ok := objectKey(obj, key)
	if !ok || isNull(list) {
		// A missing list is an empty page, as servers omit empty arrays.
		return json.RawMessage("[]"), nil
	}
	return list, nil
}

func isNull(raw json.RawMessage) bool {
	return bytes.Equal(bytes.TrimSpace(raw), []byte("null"))
}

// wirePaging is PagingInfo.
type wirePaging struct {
	PageID     flexString `json:"pageId"`
	NextPageID flexString `json:"nextPageId"`
	Size       flexInt    `json:"size"`
}

// nextPageID reads paging.nextPageId from a page; empty means the last page.
func nextPageID(body []byte) (string, error) {
	var env struct {
		Paging *wirePaging `json:"paging"`
	}
	if err := json.Unmarshal(body, &env); err != nil {
		return "", err
	}
	if env.Paging == nil {
		return "", nil
	}
	return strings.TrimSpace(string(env.Paging.NextPageID)), nil
}
