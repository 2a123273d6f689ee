package netbox

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"iter"
	"maps"
	"net/url"
	"slices"
	"strconv"
	"strings"
)

// page is NetBox's list envelope. Count is a pointer because 4.6 cursor
// mode sends null.
type page[T any] struct {
	Count    *int    `json:"count"`
	Next     *string `json:"next"`
	Previous *string `json:"previous"`
	Results  []T     `json:"results"`
}

// list streams every object matching query from a NetBox list endpoint,
// holding at most one page in memory. idOf extracts the primary key that
// keyset paging advances on.
func list[T any](ctx context.Context, c *Client, path string, query url.Values, idOf func(T) int64) iter.Seq2[T, error] {
	return func(yield func(T, error) bool) {
		var zero T
		var err error
		if c.s.paging == PagingOffset {
			err = listOffset(ctx, c, path, query, yield)
		} else {
			err = listKeyset(ctx, c, path, query, idOf, yield)
		}
		if err != nil && !errors.Is(err, errStopped) {
			yield(zero, err)
		}
	}
}

// errStopped means the consumer broke out of the range loop.
var errStopped = errors.New("iteration stopped by consumer")

// listKeyset pages with ordering=id&id__gte=<last+1>. A page is the last one
// when NetBox says there is no next page or returns nothing; the page size
// alone is not trusted, because an admin may lower MAX_PAGE_SIZE below ours.
func listKeyset[T any](ctx context.Context, c *Client, path string, query url.Values, idOf func(T) int64, yield func(T, error) bool) error {
	return listKeysetRange(ctx, c, path, query, idOf, 0, 0, yield)
}

// listKeysetRange is listKeyset over the ids from cursor (0: the first)
// up to, not including, below (0: no bound).
func listKeysetRange[T any](ctx context.Context, c *Client, path string, query url.Values, idOf func(T) int64, cursor, below int64, yield func(T, error) bool) error {
	for pageNo := 1; ; pageNo++ {
		q := cloneValues(query)
		q.Set("ordering", "id")
		q.Set("limit", strconv.Itoa(c.s.pageSize))
		if cursor > 0 {
			q.Set("id__gte", strconv.FormatInt(cursor, 10))
		}
		if below > 0 {
			q.Set("id__lt", strconv.FormatInt(below, 10))
		}
		var p page[T]
		if _, err := c.getJSON(ctx, path, q, &p); err != nil {
			return fmt.Errorf("list %s page %d (id >= %d): %w", path, pageNo, cursor, listError(c, err, q))
		}
		last := cursor - 1
		for _, item := range p.Results {
			id := idOf(item)
			if id <= last {
				return fmt.Errorf("list %s page %d: id %d after %d: netbox ignored ordering=id, cannot page safely", path, pageNo, id, last)
			}
			last = id
			if !yield(item, nil) {
				return errStopped
			}
		}
		if p.Next == nil || len(p.Results) == 0 {
			return nil
		}
		cursor = last + 1
	}
}

// listOffset follows NetBox's "next" links, taking only their query string:
// behind a reverse proxy the host and scheme of "next" are often wrong.
func listOffset[T any](ctx context.Context, c *Client, path string, query url.Values, yield func(T, error) bool) error {
	q := cloneValues(query)
	q.Set("ordering", "id")
	q.Set("limit", strconv.Itoa(c.s.pageSize))
	lastOffset := -1
	for pageNo := 1; ; pageNo++ {
		var p page[T]
		if _, err := c.getJSON(ctx, path, q, &p); err != nil {
			return fmt.Errorf("list %s page %d (offset %s): %w", path, pageNo, q.Get("offset"), listError(c, err, q))
		}
		for _, item := range p.Results {
			if !yield(item, nil) {
				return errStopped
			}
		}
		if p.Next == nil || *p.Next == "" || len(p.Results) == 0 {
			return nil
		}
		next, err := url.Parse(*p.Next)
		if err != nil {
			return fmt.Errorf("list %s page %d: parse next link %q: %w", path, pageNo, *p.Next, err)
		}
		q = next.Query()
		offset, err := strconv.Atoi(q.Get("offset"))
		if err != nil || offset <= lastOffset {
			return fmt.Errorf("list %s page %d: next link %q does not advance the offset", path, pageNo, *p.Next)
		}
		lastOffset = offset
	}
}

// listError turns a 400 answer to a list call into FilterErrors naming the
// parameter and the value NetBox rejected.
func listError(c *Client, err error, q url.Values) error {
	var bad *badStatus
	if !errors.As(err, &bad) || bad.apiErr.StatusCode != 400 {
		return err
	}
	var fields map[string]json.RawMessage
	if json.Unmarshal(bad.body, &fields) != nil || len(fields) == 0 {
		return bad.apiErr
	}
	keys := slices.Sorted(maps.Keys(fields))
	var errs []error
	for _, k := range keys {
		if k == "detail" {
			continue
		}
		msg := messageText(fields[k])
		errs = append(errs, &FilterError{
			Server:  c.s.server,
			Filter:  k,
			Value:   rejectedValue(q[k], msg),
			Message: msg,
		})
	}
	if len(errs) == 0 {
		return bad.apiErr
	}
	return errors.Join(errs...)
}

// messageText flattens DRF's ["msg", ...] (or a bare string) into one line.
func messageText(raw json.RawMessage) string {
	var list []string
	if json.Unmarshal(raw, &list) == nil {
		return strings.Join(list, " ")
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	return string(raw)
}

// rejectedValue picks, among the values sent for a parameter, the one the
// message names; NetBox says "nosuch is not one of the available choices".
func rejectedValue(sent []string, msg string) string {
	if len(sent) == 1 {
		return sent[0]
	}
	for _, v := range sent {
		if v != "" && (strings.Contains(msg, " "+v+" ") || strings.Contains(msg, "“"+v+"”")) {
			return v
		}
	}
	return strings.Join(sent, ",")
}

func cloneValues(v url.Values) url.Values {
	out := make(url.Values, len(v)+3)
	for k, vals := range v {
		out[k] = append([]string(nil), vals...)
	}
	return out
}
