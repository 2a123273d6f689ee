package wug

import (
	"context"
	"fmt"
	"net/url"
	"strconv"
)

// eachPage runs req page by page, following paging.nextPageId with the same parameters, and
// hands fn the body of every page. It stops when nextPageId is empty, and fails rather than
// loop when the server hands back a page id it already gave.
func (c *Client) eachPage(ctx context.Context, req request, fn func(body []byte) error) error {
	base := url.Values{}
	for k, v := range req.query {
		base[k] = append([]string(nil), v...)
	}
	if base.Get("limit") == "" {
		base.Set("limit", strconv.Itoa(MaxPageSize))
	}
	seen := map[string]bool{}
	pageID := ""
	for page := 1; ; page++ {
		q := url.Values{}
		for k, v := range base {
			q[k] = v
		}
		if pageID != "" {
			q.Set("pageId", pageID)
		}
		req.query = q
		body, err := c.call(ctx, req)
		if err != nil {
			if pageID != "" {
				return fmt.Errorf("page %d: %w", page, err)
			}
			return err
		}
		next, err := nextPageID(body)
		if err != nil {
			return c.protocolError(req, body, "decode paging", err)
		}
		if err := fn(body); err != nil {
			return err
		}
		if next == "" {
			return nil
		}
		if seen[next] {
			return c.protocolError(req, nil, "server repeated page id "+strconv.Quote(next), nil)
		}
		seen[next] = true
		pageID = next
	}
}
