package netboxsim

import (
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// qparser reads django-filter parameters and collects the 400 messages
// NetBox would answer with (reference §2.2).
type qparser struct {
	q    url.Values
	errs fieldErrors
}

func (p *qparser) values(name string) []string { return p.q[name] }

// ints reads a MultiValueNumberFilter ("Enter a whole number.").
func (p *qparser) ints(name string) []int {
	var out []int
	for _, v := range p.q[name] {
		n, err := strconv.Atoi(strings.TrimSpace(v))
		if err != nil {
			p.errs.add(name, "Enter a whole number.")
			continue
		}
		out = append(out, n)
	}
	return out
}

// modelIDs reads a ModelMultipleChoiceFilter on ids: a non-integer is
// "“abc” is not a valid value.", an unknown id "Select a valid choice…".
func (p *qparser) modelIDs(name string, exists func(int) bool) []int {
	var out []int
	for _, v := range p.q[name] {
		if v == "null" {
			out = append(out, 0)
			continue
		}
		n, err := strconv.Atoi(strings.TrimSpace(v))
		if err != nil {
			p.errs.add(name, fmt.Sprintf("“%s” is not a valid value.", v))
			continue
		}
		if !exists(n) {
			p.errs.add(name, fmt.Sprintf("Select a valid choice. %d is not one of the available choices.", n))
			continue
		}
		out = append(out, n)
	}
	return out
}

// slugs reads a ModelMultipleChoiceFilter on slugs; an unknown slug is a
// 400, never an empty result. "null" selects objects without the relation.
func (p *qparser) slugs(name string, lookup func(string) (int, bool)) []int {
	var out []int
	for _, v := range p.q[name] {
		if v == "null" {
			out = append(out, 0)
			continue
		}
		id, ok := lookup(v)
		if !ok {
			p.errs.add(name, fmt.Sprintf("Select a valid choice. %s is not one of the available choices.", v))
			continue
		}
		out = append(out, id)
	}
	return out
}

// choices reads a MultipleChoiceFilter.
func (p *qparser) choices(name string, valid map[string]string) []string {
	var out []string
	for _, v := range p.q[name] {
		if _, ok := valid[v]; !ok {
			p.errs.add(name, fmt.Sprintf("Select a valid choice. %s is not one of the available choices.", v))
			continue
		}
		out = append(out, v)
	}
	return out
}

// boolean reads a NullBooleanField: anything unrecognised means "unset",
// so the filter is skipped without an error.
func (p *qparser) boolean(name string) *bool {
	v := p.q.Get(name)
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "true", "1":
		t := true
		return &t
	case "false", "0":
		f := false
		return &f
	}
	return nil
}

// times reads a datetime filter ("Enter a valid date/time.").
func (p *qparser) times(name string) []time.Time {
	var out []time.Time
	for _, v := range p.q[name] {
		t, ok := parseDjangoDateTime(v)
		if !ok {
			p.errs.add(name, "Enter a valid date/time.")
			continue
		}
		out = append(out, t)
	}
	return out
}

// parseDjangoDateTime accepts what Django's DateTimeField does: a date, or
// date and time with "T" or space, optional fraction and offset. Naive
// values are UTC (NetBox's default TIME_ZONE).
func parseDjangoDateTime(s string) (time.Time, bool) {
	s = strings.TrimSpace(s)
	layouts := []string{
		"2006-01-02T15:04:05.999999Z07:00",
		"2006-01-02T15:04:05.999999",
		"2006-01-02T15:04Z07:00",
		"2006-01-02T15:04",
		"2006-01-02 15:04:05.999999Z07:00",
		"2006-01-02 15:04:05.999999",
		"2006-01-02 15:04",
		"2006-01-02",
	}
	for _, l := range layouts {
		if t, err := time.Parse(l, s); err == nil {
			return t.UTC(), true
		}
	}
	return time.Time{}, false
}

// numberLookups applies id-style lookups (exact, __n, __gte, __lte, __gt,
// __lt) to value. Several values of one lookup are ORed.
func (p *qparser) numberLookups(field string) func(int) bool {
	exact := p.ints(field)
	not := p.ints(field + "__n")
	gte, lte := p.ints(field+"__gte"), p.ints(field+"__lte")
	gt, lt := p.ints(field+"__gt"), p.ints(field+"__lt")
	if len(exact)+len(not)+len(gte)+len(lte)+len(gt)+len(lt) == 0 {
		return nil
	}
	return func(v int) bool {
		return anyOrEmpty(exact, func(x int) bool { return v == x }) &&
			!anyOf(not, func(x int) bool { return v == x }) &&
			anyOrEmpty(gte, func(x int) bool { return v >= x }) &&
			anyOrEmpty(lte, func(x int) bool { return v <= x }) &&
			anyOrEmpty(gt, func(x int) bool { return v > x }) &&
			anyOrEmpty(lt, func(x int) bool { return v < x })
	}
}

// timeLookups applies datetime lookups to a timestamp field.
func (p *qparser) timeLookups(field string) func(time.Time) bool {
	exact := p.times(field)
	gte, lte := p.times(field+"__gte"), p.times(field+"__lte")
	gt, lt := p.times(field+"__gt"), p.times(field+"__lt")
	if len(exact)+len(gte)+len(lte)+len(gt)+len(lt) == 0 {
		return nil
	}
	return func(v time.Time) bool {
		return anyOrEmpty(exact, func(x time.Time) bool { return v.Equal(x) }) &&
			anyOrEmpty(gte, func(x time.Time) bool { return !v.Before(x) }) &&
			anyOrEmpty(lte, func(x time.Time) bool { return !v.After(x) }) &&
			anyOrEmpty(gt, func(x time.Time) bool { return v.After(x) }) &&
			anyOrEmpty(lt, func(x time.Time) bool { return v.Before(x) })
	}
}

// stringLookups applies the char lookups NetBox generates: exact is
// case-insensitive for names (iexact), __n, __ic, __nic, __isw, __iew,
// __ie, __empty.
func (p *qparser) stringLookups(field string) func(*string) bool {
	exact := p.values(field)
	not := p.values(field + "__n")
	ic, nic := p.values(field+"__ic"), p.values(field+"__nic")
	isw, iew := p.values(field+"__isw"), p.values(field+"__iew")
	ie := p.values(field + "__ie")
	empty := p.boolean(field + "__empty")
	if len(exact)+len(not)+len(ic)+len(nic)+len(isw)+len(iew)+len(ie) == 0 && empty == nil {
		return nil
	}
	return func(v *string) bool {
		s := ""
		if v != nil {
			s = *v
		}
		ls := strings.ToLower(s)
		eq := func(x string) bool { return v != nil && strings.EqualFold(s, x) }
		return anyOrEmpty(exact, eq) &&
			anyOrEmpty(ie, eq) &&
			!anyOf(not, eq) &&
			anyOrEmpty(ic, func(x string) bool { return strings.Contains(ls, strings.ToLower(x)) }) &&
			!anyOf(nic, func(x string) bool { return strings.Contains(ls, strings.ToLower(x)) }) &&
			anyOrEmpty(isw, func(x string) bool { return strings.HasPrefix(ls, strings.ToLower(x)) }) &&
			anyOrEmpty(iew, func(x string) bool { return strings.HasSuffix(ls, strings.ToLower(x)) }) &&
			(empty == nil || *empty == (s == ""))
	}
}

func anyOrEmpty[T any](list []T, f func(T) bool) bool {
	return len(list) == 0 || anyOf(list, f)
}

func anyOf[T any](list []T, f func(T) bool) bool {
	for _, x := range list {
		if f(x) {
			return true
		}
	}
	return false
}

func containsInt(list []int, v int) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

// ordering parses DRF's OrderingFilter parameter: comma-separated fields,
// "-" for descending, unknown fields dropped silently.
func ordering(q url.Values, valid map[string]bool) []string {
	var out []string
	for _, f := range strings.Split(q.Get("ordering"), ",") {
		f = strings.TrimSpace(f)
		if valid[strings.TrimPrefix(f, "-")] {
			out = append(out, f)
		}
	}
	return out
}
