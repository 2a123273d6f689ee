package wugsim

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
)

// Real WUG servers (ASP.NET) read request bodies leniently: keys in any case (encoding/json
// already does that for structs), booleans and numbers as strings, ids as numbers or strings,
// unknown fields ignored. These types give the simulator the same tolerance.

// lString accepts a JSON string, number or boolean.
type lString string

func (l *lString) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	switch {
	case bytes.Equal(b, []byte("null")):
		*l = ""
	case len(b) > 0 && b[0] == '"':
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*l = lString(s)
	case bytes.Equal(b, []byte("true")), bytes.Equal(b, []byte("false")):
		*l = lString(b)
	default:
		var n json.Number
		if err := json.Unmarshal(b, &n); err != nil {
			return fmt.Errorf("want a string or a number, got %.40s", b)
		}
		*l = lString(n.String())
	}
	return nil
}

// lBool accepts true/false and their string forms ("true", "True", "1"…).
type lBool struct {
	set bool
	val bool
}

func (l *lBool) UnmarshalJSON(b []byte) error {
	var s lString
	if err := s.UnmarshalJSON(b); err != nil {
		return fmt.Errorf("want a boolean: %w", err)
	}
	if bytes.Equal(bytes.TrimSpace(b), []byte("null")) {
		*l = lBool{}
		return nil
	}
	switch strings.ToLower(strings.TrimSpace(string(s))) {
	case "true", "1", "yes":
		*l = lBool{set: true, val: true}
	case "false", "0", "no", "":
		*l = lBool{set: true, val: false}
	default:
		return fmt.Errorf("want a boolean, got %q", string(s))
	}
	return nil
}

// or returns the value, or def when the field was absent.
func (l lBool) or(def bool) bool {
	if !l.set {
		return def
	}
	return l.val
}

// lInt accepts an integer as a number or a numeric string; empty is absent.
type lInt struct {
	set bool
	val int64
}

func (l *lInt) UnmarshalJSON(b []byte) error {
	var s lString
	if err := s.UnmarshalJSON(b); err != nil {
		return fmt.Errorf("want an integer: %w", err)
	}
	text := strings.TrimSpace(string(s))
	if text == "" {
		*l = lInt{}
		return nil
	}
	if n, err := strconv.ParseInt(text, 10, 64); err == nil {
		*l = lInt{set: true, val: n}
		return nil
	}
	f, err := strconv.ParseFloat(text, 64)
	if err != nil || f != math.Trunc(f) || math.Abs(f) > 1<<53 {
		return fmt.Errorf("want an integer, got %q", text)
	}
	*l = lInt{set: true, val: int64(f)}
	return nil
}

// lStrings accepts a list whose elements are strings or numbers (device id lists arrive both
// ways from real clients), or a single value.
type lStrings []string

func (l *lStrings) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if bytes.Equal(b, []byte("null")) {
		*l = nil
		return nil
	}
	if len(b) > 0 && b[0] != '[' {
		var one lString
		if err := one.UnmarshalJSON(b); err != nil {
			return err
		}
		*l = lStrings{string(one)}
		return nil
	}
	var items []lString
	if err := json.Unmarshal(b, &items); err != nil {
		return err
	}
	out := make(lStrings, len(items))
	for i, s := range items {
		out[i] = string(s)
	}
	*l = out
	return nil
}
