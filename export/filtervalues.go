package export

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
)

// FilterIDPrefix marks a NetBox id inside FilterValues: "#3" is the object
// with id 3. No NetBox slug can start with it (slugs are letters, digits,
// "-" and "_"), so an id and a slug never read as each other, and a slug
// that is all digits ("42") stays a slug.
const FilterIDPrefix = "#"

// FilterValues is one device filter's list (sites, roles, tags, platforms,
// tenants). In JSON a number is a NetBox id and a string is a slug, as the
// seed plugin documented: {"sites": [1, 2]}, {"sites": ["fra1"]}, or both
// mixed. In Go an id is kept as FilterIDPrefix and its digits, so the type
// stays a []string and code that builds slug lists keeps compiling; use
// IDs and Slugs to read it, and FilterID to write an id.
type FilterValues []string

// FilterID is the FilterValues spelling of the NetBox id n.
func FilterID(n int64) string { return FilterIDPrefix + strconv.FormatInt(n, 10) }

// parseFilterID returns the id v holds, if it is one.
func parseFilterID(v string) (int64, bool) {
	digits, ok := strings.CutPrefix(v, FilterIDPrefix)
	if !ok {
		return 0, false
	}
	n, err := strconv.ParseInt(digits, 10, 64)
	if err != nil || n <= 0 {
		return 0, false
	}
	return n, true
}

// IDs returns the NetBox ids of the list, in order.
func (f FilterValues) IDs() []int64 {
	var out []int64
	for _, v := range f {
		if n, ok := parseFilterID(v); ok {
			out = append(out, n)
		}
	}
	return out
}

// Slugs returns the slugs of the list, in order.
func (f FilterValues) Slugs() []string {
	var out []string
	for _, v := range f {
		if _, ok := parseFilterID(v); !ok {
			out = append(out, v)
		}
	}
	return out
}

// Display renders the list for people, as fmt renders a []string, with an
// id as "id=3": [fra1 id=3].
func (f FilterValues) Display() string {
	parts := make([]string, len(f))
	for i, v := range f {
		if n, ok := parseFilterID(v); ok {
			parts[i] = "id=" + strconv.FormatInt(n, 10)
		} else {
			parts[i] = v
		}
	}
	return "[" + strings.Join(parts, " ") + "]"
}

// MarshalJSON writes ids as numbers and slugs as strings.
func (f FilterValues) MarshalJSON() ([]byte, error) {
	if f == nil {
		return []byte("null"), nil
	}
	var b bytes.Buffer
	b.WriteByte('[')
	for i, v := range f {
		if i > 0 {
			b.WriteByte(',')
		}
		if n, ok := parseFilterID(v); ok {
			b.WriteString(strconv.FormatInt(n, 10))
			continue
		}
		s, err := json.Marshal(v)
		if err != nil {
			return nil, err
		}
		b.Write(s)
	}
	b.WriteByte(']')
	return b.Bytes(), nil
}

// FilterValueError says which element of a filter list is neither a
// positive whole number (an id) nor a slug; Index is -1 when the value is
// not a list at all.
type FilterValueError struct {
	Index   int
	Message string
}

func (e *FilterValueError) Error() string {
	if e.Index < 0 {
		return e.Message
	}
	return fmt.Sprintf("[%d]: %s", e.Index, e.Message)
}

// UnmarshalJSON reads numbers as NetBox ids and strings as slugs. A number
// that is not a positive whole number, a string spelt like an id ("#3"),
// and any other JSON value are refused with a *FilterValueError.
func (f *FilterValues) UnmarshalJSON(data []byte) error {
	var raw []json.RawMessage
	if err := json.Unmarshal(data, &raw); err != nil {
		return &FilterValueError{-1, "must be a list of NetBox ids (numbers) and slugs (strings)"}
	}
	if raw == nil {
		*f = nil
		return nil
	}
	out := make(FilterValues, 0, len(raw))
	for i, r := range raw {
		v, problem := filterValue(r)
		if problem != "" {
			return &FilterValueError{i, problem}
		}
		out = append(out, v)
	}
	*f = out
	return nil
}

// filterValue reads one element of a filter list: a string is a slug, a
// whole number an id (as FilterID spells it). Otherwise it returns the
// problem a person reads.
func filterValue(r json.RawMessage) (v string, problem string) {
	r = bytes.TrimSpace(r)
	dec := json.NewDecoder(bytes.NewReader(r))
	dec.UseNumber() // keeps the number's text: 1.5 and 1e3 are refused, not rounded
	var elem any
	if err := dec.Decode(&elem); err != nil {
		return "", "is not valid JSON" // unreachable: UnmarshalJSON's list decoded
	}
	switch elem := elem.(type) {
	case string:
		if id, ok := strings.CutPrefix(strings.TrimSpace(elem), FilterIDPrefix); ok {
			return "", fmt.Sprintf("%q is not a slug; write a NetBox id as a number, e.g. %s", elem, id)
		}
		return elem, ""
	case json.Number:
		n, err := strconv.ParseInt(elem.String(), 10, 32)
		if err != nil || n <= 0 {
			return "", fmt.Sprintf("%s is not a NetBox id: ids are positive whole numbers", r)
		}
		return FilterID(n), ""
	default:
		return "", fmt.Sprintf("%s is neither a NetBox id (a number) nor a slug (a string)", r)
	}
}
