package api

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"
)

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
func queryID(c *gin.Context, name string) (uint64, error) {
	raw, ok := c.GetQuery(name)
	if !ok || strings.TrimSpace(raw) == "" {
		return 0, nil
	}
	n, err := strconv.ParseUint(strings.TrimSpace(raw), 10, 63)
	if err != nil || n == 0 {
		return 0, badRequest(name, fmt.Sprintf("%q is not a positive integer", raw))
	}
	return n, nil
}

// pathID reads a positive integer path parameter. An id that is not a
// number cannot name anything, so it is a 404 like any unknown id.
func pathID(c *gin.Context, name string) (uint64, error) {
	raw := c.Param(name)
	n, err := strconv.ParseUint(raw, 10, 63)
	if err != nil || n == 0 {
		return 0, notFound("%s %q is not a positive integer", name, raw)
	}
	return n, nil
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
