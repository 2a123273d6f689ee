package api

import (
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"
)

// rejectControlQuery refuses, with a 400 naming the parameter, a request
// whose query string holds a control character (Unicode category Cc) in a
// name or a value. The router puts it in front of every route's handler,
// so no route can forget it; render writes the route's error shape.
func rejectControlQuery(render func(*gin.Context, error)) gin.HandlerFunc {
	return func(c *gin.Context) {
		if err := checkQueryText(c); err != nil {
			render(c, err)
			return
		}
		c.Next()
	}
}

func checkQueryText(c *gin.Context) error {
	if c.Request.URL.RawQuery == "" {
		return nil
	}
	query := c.Request.URL.Query()
	names := make([]string, 0, len(query))
	for name := range query {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		if p := controlProblem(name, ""); p != "" {
			return badRequest("query", fmt.Sprintf("a parameter name %s", p))
		}
		for _, v := range query[name] {
			if p := controlProblem(v, ""); p != "" {
				return badRequest(name, p)
			}
		}
	}
	return nil
}

// Paging bounds of every list endpoint.
const (
	DefaultLimit = 50
	MaxLimit     = 500
)

// pageParams is ?limit= and ?offset=.
type pageParams struct {
	Limit  int
	Offset int
}

func parsePage(c *gin.Context) (pageParams, error) {
	p := pageParams{Limit: DefaultLimit}
	var err error
	if p.Limit, err = queryInt(c, "limit", DefaultLimit, 1, MaxLimit); err != nil {
		return p, err
	}
	if p.Offset, err = queryInt(c, "offset", 0, 0, 1<<31-1); err != nil {
		return p, err
	}
	return p, nil
}

// queryInt reads an integer query parameter within [lo, hi].
func queryInt(c *gin.Context, name string, def, lo, hi int) (int, error) {
	raw, ok := c.GetQuery(name)
	if !ok || strings.TrimSpace(raw) == "" {
		return def, nil
	}
	n, err := strconv.Atoi(strings.TrimSpace(raw))
	if err != nil {
		return 0, badRequest(name, fmt.Sprintf("%q is not an integer", raw))
	}
	if n < lo || n > hi {
		return 0, badRequest(name, fmt.Sprintf("%d is not between %d and %d", n, lo, hi))
	}
	return n, nil
}

// queryID reads an optional positive id filter; 0 means absent.
func queryID(c *gin.Context, name string) (uint, error) {
	raw, ok := c.GetQuery(name)
	if !ok || strings.TrimSpace(raw) == "" {
		return 0, nil
	}
	n, err := strconv.ParseUint(strings.TrimSpace(raw), 10, 63)
	if err != nil || n == 0 {
		return 0, badRequest(name, fmt.Sprintf("%q is not a positive integer", raw))
	}
	return uint(n), nil
}

// pathID reads a positive integer path parameter. An id that is not a
// number cannot name anything, so it is a 404 like any unknown id.
func pathID(c *gin.Context, name string) (uint, error) {
	raw := c.Param(name)
	n, err := strconv.ParseUint(raw, 10, 63)
	if err != nil || n == 0 {
		return 0, notFound("%s %q is not a positive integer", name, raw)
	}
	return uint(n), nil
}

// MaxNetBoxID is the largest NetBox object id the API accepts: NetBox's
// ids are 32-bit in practice, and a larger number is a typo that would
// otherwise become a task failing at NetBox.
const MaxNetBoxID = 1<<31 - 1

// pathNetBoxID reads a NetBox device id from the path: like pathID, but
// in NetBox's range.
func pathNetBoxID(c *gin.Context, name string) (int64, error) {
	n, err := pathID(c, name)
	if err != nil {
		return 0, err
	}
	if n > MaxNetBoxID {
		return 0, notFound("%s %d is not a NetBox id (1 to %d)", name, n, MaxNetBoxID)
	}
	return int64(n), nil
}

// queryNetBoxID reads an optional NetBox device id filter; 0 means absent.
func queryNetBoxID(c *gin.Context, name string) (int64, error) {
	n, err := queryID(c, name)
	if err != nil {
		return 0, err
	}
	if n > MaxNetBoxID {
		return 0, badRequest(name, fmt.Sprintf("%d is not a NetBox id (1 to %d)", n, MaxNetBoxID))
	}
	return int64(n), nil
}

// queryEnum reads an optional filter that must be one of valid's values.
func queryEnum[T ~string](c *gin.Context, name string, all []T) (T, error) {
	raw := strings.TrimSpace(c.Query(name))
	if raw == "" {
		return "", nil
	}
	names := make([]string, len(all))
	for i, v := range all {
		if string(v) == raw {
			return v, nil
		}
		names[i] = string(v)
	}
	return "", badRequest(name, fmt.Sprintf("%q is not one of %s", raw, strings.Join(names, ", ")))
}
