package netboxsim

import (
	"bytes"
	"fmt"
	"math"
	"sort"
	"strconv"
	"time"
	"unicode/utf8"
)

// kv is one key of an ordered JSON object.
type kv struct {
	k string
	v any
}

// obj is a JSON object that keeps NetBox's field order, which Go maps lose.
type obj []kv

// only keeps the listed keys (NetBox's fields= whitelist), in o's order.
func (o obj) only(keys map[string]bool) obj {
	out := make(obj, 0, len(keys))
	for _, e := range o {
		if keys[e.k] {
			out = append(out, e)
		}
	}
	return out
}

// MarshalJSON lets obj be used with encoding/json too.
func (o obj) MarshalJSON() ([]byte, error) { return encodeREST(o), nil }

// encodeREST renders v as DRF's JSONRenderer does: compact separators and
// raw UTF-8 (UNICODE_JSON).
func encodeREST(v any) []byte {
	var b bytes.Buffer
	e := encoder{buf: &b}
	e.value(v)
	return b.Bytes()
}

// encodePython renders v as Python's json.dumps with default arguments, as
// NetBox renders a webhook body: ", " and ": " separators and non-ASCII
// escaped as \uXXXX (ensure_ascii). The signature covers these exact bytes.
func encodePython(v any) []byte {
	var b bytes.Buffer
	e := encoder{buf: &b, python: true}
	e.value(v)
	return b.Bytes()
}

type encoder struct {
	buf    *bytes.Buffer
	python bool
}

func (e encoder) sep(comma bool) {
	switch {
	case comma && e.python:
		e.buf.WriteString(", ")
	case comma:
		e.buf.WriteByte(',')
	case e.python:
		e.buf.WriteString(": ")
	default:
		e.buf.WriteByte(':')
	}
}

func (e encoder) value(v any) {
	switch x := v.(type) {
	case nil:
		e.buf.WriteString("null")
	case obj:
		e.buf.WriteByte('{')
		for i, kv := range x {
			if i > 0 {
				e.sep(true)
			}
			e.str(kv.k)
			e.sep(false)
			e.value(kv.v)
		}
		e.buf.WriteByte('}')
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		o := make(obj, 0, len(keys))
		for _, k := range keys {
			o = append(o, kv{k, x[k]})
		}
		e.value(o)
	case []any:
		e.buf.WriteByte('[')
		for i, item := range x {
			if i > 0 {
				e.sep(true)
			}
			e.value(item)
		}
		e.buf.WriteByte(']')
	case []obj:
		items := make([]any, len(x))
		for i := range x {
			items[i] = x[i]
		}
		e.value(items)
	case []string:
		items := make([]any, len(x))
		for i := range x {
			items[i] = x[i]
		}
		e.value(items)
	case string:
		e.str(x)
	case *string:
		if x == nil {
			e.buf.WriteString("null")
		} else {
			e.str(*x)
		}
	case bool:
		e.buf.WriteString(strconv.FormatBool(x))
	case int:
		e.buf.WriteString(strconv.Itoa(x))
	case int64:
		e.buf.WriteString(strconv.FormatInt(x, 10))
	case float64:
		e.buf.WriteString(pyFloat(x))
	case *float64:
		if x == nil {
			e.buf.WriteString("null")
		} else {
			e.buf.WriteString(pyFloat(*x))
		}
	case rawJSON:
		e.buf.Write(x)
	case time.Time:
		e.str(drfTime(x))
	default:
		e.str(fmt.Sprint(x))
	}
}

// rawJSON is inserted verbatim.
type rawJSON []byte

// pyFloat renders a float as Python's repr does: always with a fraction or
// exponent ("40.0", not "40").
func pyFloat(f float64) string {
	if math.IsInf(f, 0) || math.IsNaN(f) {
		return "null"
	}
	s := strconv.FormatFloat(f, 'g', -1, 64)
	if math.Abs(f) < 1e16 && (math.Abs(f) >= 1e-4 || f == 0) {
		s = strconv.FormatFloat(f, 'f', -1, 64)
	}
	for _, c := range s {
		if c == '.' || c == 'e' || c == 'n' || c == 'I' {
			return s
		}
	}
	return s + ".0"
}

const hexDigits = "0123456789abcdef"

func (e encoder) str(s string) {
	b := e.buf
	b.WriteByte('"')
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			switch {
			case c == '"':
				b.WriteString(`\"`)
			case c == '\\':
				b.WriteString(`\\`)
			case c == '\n':
				b.WriteString(`\n`)
			case c == '\r':
				b.WriteString(`\r`)
			case c == '\t':
				b.WriteString(`\t`)
			case c == '\b':
				b.WriteString(`\b`)
			case c == '\f':
				b.WriteString(`\f`)
			case c < 0x20 || (c == 0x7f && e.python):
				e.u4(rune(c))
			default:
				b.WriteByte(c)
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			e.u4(0xfffd)
		case e.python && r > 0xffff:
			r -= 0x10000
			e.u4(0xd800 + (r>>10)&0x3ff)
			e.u4(0xdc00 + r&0x3ff)
		case e.python:
			e.u4(r)
		default:
			b.WriteString(s[i : i+size])
		}
		i += size
	}
	b.WriteByte('"')
}

func (e encoder) u4(r rune) {
	e.buf.WriteString(`\u`)
	for shift := 12; shift >= 0; shift -= 4 {
		e.buf.WriteByte(hexDigits[(r>>uint(shift))&0xf])
	}
}

// drfTime renders a datetime as DRF does: Python isoformat in UTC with the
// "+00:00" replaced by "Z", microseconds only when non-zero.
func drfTime(t time.Time) string {
	t = t.UTC()
	if t.Nanosecond()/1000 == 0 {
		return t.Format("2006-01-02T15:04:05Z")
	}
	return t.Format("2006-01-02T15:04:05.000000Z")
}

// djangoTime renders a datetime as Django's serializer (DjangoJSONEncoder)
// does in webhook snapshots and the change log: milliseconds, "Z".
func djangoTime(t time.Time) string {
	t = t.UTC()
	if t.Nanosecond()/1000 == 0 {
		return t.Format("2006-01-02T15:04:05Z")
	}
	return t.Format("2006-01-02T15:04:05.000Z")
}

// pythonISOTime renders time as Python's datetime.isoformat() for an aware
// UTC datetime, as the webhook "timestamp" key carries it.
func pythonISOTime(t time.Time) string {
	t = t.UTC()
	if t.Nanosecond()/1000 == 0 {
		return t.Format("2006-01-02T15:04:05+00:00")
	}
	return t.Format("2006-01-02T15:04:05.000000+00:00")
}
