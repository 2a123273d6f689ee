package wugsim

import (
	"net/http"
	"sort"
	"strings"
)

// handlerFunc handles one matched API route. params holds the path wildcards by name.
type handlerFunc func(w http.ResponseWriter, r *http.Request, params map[string]string)

// route is one method and path pattern of the API. Patterns are slash-separated segments; a
// segment in braces is a wildcard, anything else (including "-") is literal.
type route struct {
	method   string
	pattern  string
	segments []string
	handle   handlerFunc
	public   bool // served without a bearer token (the token route)
}

// Name is the route's identity in logs, counters and fault rules, e.g.
// "PATCH /api/v1/devices/-/config/template".
func (rt *route) Name() string { return rt.method + " " + rt.pattern }

// router matches requests like ASP.NET Web API does for this API: the most specific pattern
// that has the request's method wins (literal segments beat wildcards, leftmost first); a
// path that matches only under other methods is 405, and anything else is 404.
type router struct {
	routes []*route
}

func (rr *router) add(method, pattern string, h handlerFunc) *route {
	rt := &route{method: method, pattern: pattern, segments: splitPath(pattern), handle: h}
	rr.routes = append(rr.routes, rt)
	return rt
}

func splitPath(p string) []string {
	return strings.Split(strings.Trim(p, "/"), "/")
}

// match returns the route for r and its wildcards, or the methods allowed on the path when
// only the method is wrong (both nil means no such path).
func (rr *router) match(method, path string) (*route, map[string]string, []string) {
	segs := splitPath(path)
	var best *route
	allowed := map[string]bool{}
	for _, rt := range rr.routes {
		if !segmentsMatch(rt.segments, segs) {
			continue
		}
		if rt.method != method {
			allowed[rt.method] = true
			continue
		}
		if best == nil || moreSpecific(rt.segments, best.segments) {
			best = rt
		}
	}
	if best == nil {
		if len(allowed) == 0 {
			return nil, nil, nil
		}
		methods := make([]string, 0, len(allowed))
		for m := range allowed {
			methods = append(methods, m)
		}
		sort.Strings(methods)
		return nil, nil, methods
	}
	params := map[string]string{}
	for i, s := range best.segments {
		if isWildcard(s) {
			params[s[1:len(s)-1]] = segs[i]
		}
	}
	return best, params, nil
}

func isWildcard(seg string) bool { return strings.HasPrefix(seg, "{") && strings.HasSuffix(seg, "}") }

func segmentsMatch(pattern, segs []string) bool {
	if len(pattern) != len(segs) {
		return false
	}
	for i, p := range pattern {
		if segs[i] == "" {
			return false
		}
		if !isWildcard(p) && !strings.EqualFold(p, segs[i]) {
			return false
		}
	}
	return true
}

// moreSpecific reports whether a beats b: at the first segment where one is literal and the
// other a wildcard, the literal wins.
func moreSpecific(a, b []string) bool {
	for i := range a {
		wa, wb := isWildcard(a[i]), isWildcard(b[i])
		if wa != wb {
			return !wa
		}
	}
	return false
}
