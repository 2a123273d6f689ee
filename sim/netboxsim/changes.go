package netboxsim

import (
	"net/url"
	"sort"
	"strings"
)

// The change log (/api/core/object-changes/) is how a poller notices
// deletions, which listing cannot show (reference §3.4).

var actionLabels = map[string]string{actionCreate: "Created", actionUpdate: "Updated", actionDelete: "Deleted"}

// queryChanges applies ObjectChangeFilterSet; the default ordering is
// newest first.
func (s *Server) queryChanges(q url.Values) ([]int, fieldErrors) {
	st := s.st
	p := &qparser{q: q}
	idf := p.numberLookups("id")
	objIDs := p.ints("changed_object_id")
	actions := p.choices("action", actionLabels)
	after := p.times("time_after")
	before := p.times("time_before")
	types := q["changed_object_type"]
	requestIDs := q["request_id"]
	users := q["user_name"]
	if !p.errs.empty() {
		return nil, p.errs
	}
	var out []int
	for i := range st.changes {
		c := &st.changes[i]
		switch {
		case idf != nil && !idf(c.id):
		case len(objIDs) > 0 && !containsInt(objIDs, c.objectID):
		case len(q["action"]) > 0 && !anyOf(actions, func(a string) bool { return a == c.action }):
		case len(types) > 0 && !anyOf(types, func(t string) bool { return strings.EqualFold(t, c.objectType) }):
		case len(requestIDs) > 0 && !anyOf(requestIDs, func(r string) bool { return r == c.requestID }):
		case len(users) > 0 && !anyOf(users, func(u string) bool { return u == c.username }):
		case len(after) > 0 && c.time.Before(timeOrZero(after)):
		case len(before) > 0 && c.time.After(timeOrZero(before)):
		default:
			out = append(out, c.id)
		}
	}
	order := ordering(q, map[string]bool{"id": true, "time": true})
	sort.SliceStable(out, func(i, j int) bool {
		a, b := out[i], out[j] // ids grow with time
		if len(order) == 0 {
			return a > b
		}
		for _, f := range order {
			if a != b {
				return (a < b) != strings.HasPrefix(f, "-")
			}
		}
		return false
	})
	return out, fieldErrors{}
}

func (rc renderCtx) objectChange(id int, mode renderMode) (obj, bool) {
	if id <= 0 || id > len(rc.st.changes) {
		return nil, false
	}
	c := &rc.st.changes[id-1]
	display := c.objectType + " " + c.repr + " " + strings.ToLower(actionLabels[c.action])
	url := rc.api("core/object-changes/" + itoa(c.id) + "/")
	if mode.brief {
		return obj{{"id", c.id}, {"url", url}, {"display", display}}, true
	}
	return obj{
		{"id", c.id},
		{"url", url},
		{"display_url", rc.ui("core/changelog/" + itoa(c.id) + "/")},
		{"display", display},
		{"time", drfTime(c.time)},
		{"user", obj{{"id", 1}, {"url", rc.api("users/users/1/")}, {"display", c.username}, {"username", c.username}}},
		{"user_name", c.username},
		{"request_id", c.requestID},
		{"action", obj{{"value", c.action}, {"label", actionLabels[c.action]}}},
		{"changed_object_type", c.objectType},
		{"changed_object_id", c.objectID},
		{"changed_object", rc.nestedObject(c.objectType, c.objectID)},
		{"message", ""},
		{"prechange_data", c.pre},
		{"postchange_data", c.post},
	}, true
}
