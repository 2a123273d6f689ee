package wug

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"time"
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
		body, err := c.callPage(ctx, req, page)
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

// pageAttempts bounds the tries of one page after the first.
const pageAttempts = 3

// pageRetryMax is the longest Retry-After a page waits out in-process;
// a longer throttle is the caller's to handle.
const pageRetryMax = 2 * time.Second

// callPage fetches one page. A page after the first that fails with a
// temporary error (a 5xx, a short 429) is asked for again as it is, up to
// pageAttempts times: reads are idempotent, and a caller retrying the
// whole listing would fetch every earlier page again (under 25% of
// failing calls, a three-page search cost six).
func (c *Client) callPage(ctx context.Context, req request, page int) ([]byte, error) {
	body, err := c.call(ctx, req)
	wait := 100 * time.Millisecond
	for try := 2; err != nil && page > 1 && try <= pageAttempts; try++ {
		var apiErr *APIError
		if !errors.As(err, &apiErr) || !apiErr.Temporary() || apiErr.RetryAfter > pageRetryMax {
			break
		}
		if apiErr.RetryAfter > 0 {
			wait = apiErr.RetryAfter
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, err
		case <-t.C:
		}
		wait *= 2
		body, err = c.call(ctx, req)
	}
	return body, err
}
