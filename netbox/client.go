package netbox

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/sirupsen/logrus"
)

// maxBodyBytes bounds what one answer may hold. A 1000-device page is a few
// megabytes; anything far larger is a misbehaving proxy, not NetBox.
const maxBodyBytes = 256 << 20

// maxRetryDelay caps both the exponential backoff and Retry-After.
const maxRetryDelay = 30 * time.Second

// Client reads from one NetBox server. It is safe for concurrent use.
type Client struct {
	s settings
}

// New validates cfg and returns a Client. Configuration mistakes (bad URL,
// token with spaces, unknown scheme, unusable CA PEM) are reported here,
// wrapped in ErrConfig, rather than on the first request.
func New(cfg Config) (*Client, error) {
	s, err := cfg.settings()
	if err != nil {
		return nil, err
	}
	return &Client{s: s}, nil
}

// Server is the normalised base URL of the NetBox this client reads, for
// logs and error messages.
func (c *Client) Server() string { return c.s.server }

// response is what one successful exchange leaves behind besides the body.
type response struct {
	header http.Header
}

// getJSON GETs path (relative to the base URL, e.g. "api/dcim/devices/")
// with query, retrying transient failures, and decodes the JSON body into out.
func (c *Client) getJSON(ctx context.Context, path string, query url.Values, out any) (response, error) {
	u := c.s.base.JoinPath(path)
	if strings.HasSuffix(path, "/") && !strings.HasSuffix(u.Path, "/") {
		u.Path += "/" // JoinPath drops it; NetBox redirects without it.
	}
	u.RawQuery = query.Encode()
	var lastErr error
	for attempt := 0; ; attempt++ {
		resp, retryAfter, err := c.attempt(ctx, u, path, out)
		if err == nil {
			return resp, nil
		}
		lastErr = err
		if !retryable(err) || attempt >= c.s.maxRetries {
			break
		}
		if ctx.Err() != nil {
			break
		}
		delay := c.backoff(attempt, retryAfter)
		c.s.log.WithFields(logrus.Fields{
			"netbox":  c.s.server,
			"path":    "/" + path,
			"attempt": attempt + 1,
			"delay":   delay.String(),
		}).WithError(err).Warn("netbox request failed, retrying")
		if err := sleepCtx(ctx, delay); err != nil {
			return response{}, fmt.Errorf("GET /%s: %w (after: %v)", path, err, lastErr)
		}
	}
	if ctx.Err() != nil && !errors.Is(lastErr, ctx.Err()) {
		return response{}, fmt.Errorf("GET /%s: %w (after: %v)", path, ctx.Err(), lastErr)
	}
	return response{}, lastErr
}

// transientError marks a failure worth retrying: network errors, attempt
// timeouts, 5xx and 429.
type transientError struct{ err error }

func (e *transientError) Error() string { return e.err.Error() }
func (e *transientError) Unwrap() error { return e.err }

func retryable(err error) bool {
	var t *transientError
	return errors.As(err, &t)
}

// attempt performs one HTTP exchange under its own timeout. It returns the
// server's Retry-After hint for 429/503 answers.
func (c *Client) attempt(ctx context.Context, u *url.URL, path string, out any) (response, time.Duration, error) {
	ctx, cancel := context.WithTimeout(ctx, c.s.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return response{}, 0, fmt.Errorf("build request GET /%s: %w", path, err)
	}
	if c.s.authHeader != "" {
		req.Header.Set("Authorization", c.s.authHeader)
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", c.s.userAgent)

	httpResp, err := c.s.httpClient.Do(req)
	if err != nil {
		return response{}, 0, c.transportError(ctx, path, err)
	}
	defer httpResp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(httpResp.Body, maxBodyBytes+1))
	if err != nil {
		return response{}, 0, c.transportError(ctx, path, fmt.Errorf("read body: %w", err))
	}
	if len(body) > maxBodyBytes {
		return response{}, 0, fmt.Errorf("netbox %s: GET /%s: answer larger than %d bytes", c.s.server, path, maxBodyBytes)
	}
	if v := httpResp.Header.Get("API-Version"); v != "" {
		c.s.log.WithFields(logrus.Fields{"netbox": c.s.server, "api_version": v}).Trace("netbox answered")
	}
	if httpResp.StatusCode < 200 || httpResp.StatusCode > 299 {
		apiErr := &APIError{
			Server:     c.s.server,
			Method:     http.MethodGet,
			Path:       "/" + path,
			StatusCode: httpResp.StatusCode,
			Detail:     errorDetail(body),
			RequestID:  httpResp.Header.Get("X-Request-ID"),
		}
		if httpResp.StatusCode == http.StatusTooManyRequests || httpResp.StatusCode >= 500 {
			return response{}, parseRetryAfter(httpResp.Header.Get("Retry-After"), time.Now()), &transientError{apiErr}
		}
		return response{}, 0, &badStatus{apiErr: apiErr, body: body}
	}
	if err := json.Unmarshal(body, out); err != nil {
		return response{}, 0, fmt.Errorf("netbox %s: GET /%s: decode answer: %w", c.s.server, path, err)
	}
	return response{header: httpResp.Header}, 0, nil
}

// badStatus is a non-retryable error status; callers that know the request
// (list calls) turn a 400 body into FilterErrors.
type badStatus struct {
	apiErr *APIError
	body   []byte
}

func (e *badStatus) Error() string { return e.apiErr.Error() }
func (e *badStatus) Unwrap() error { return e.apiErr }

func (c *Client) transportError(ctx context.Context, path string, err error) error {
	wrapped := fmt.Errorf("netbox %s: GET /%s: %w", c.s.server, path, err)
	if ctx.Err() != nil && errors.Is(err, context.DeadlineExceeded) {
		// The per-attempt deadline fired (or the caller's); the loop checks
		// the caller's context before retrying.
		return &transientError{fmt.Errorf("netbox %s: GET /%s: timed out after %s (%w): %w", c.s.server, path, c.s.timeout, ErrServer, err)}
	}
	if errors.Is(err, context.Canceled) {
		return wrapped
	}
	return &transientError{wrapped}
}

// backoff is exponential with jitter, or the server's Retry-After when that
// is longer, both capped at maxRetryDelay.
func (c *Client) backoff(attempt int, retryAfter time.Duration) time.Duration {
	d := c.s.retryBackoff << min(attempt, 16)
	if d <= 0 || d > maxRetryDelay {
		d = maxRetryDelay
	}
	d = d/2 + rand.N(d/2+1)
	if retryAfter > d {
		d = min(retryAfter, maxRetryDelay)
	}
	return d
}

// parseRetryAfter reads delta-seconds or an HTTP date.
func parseRetryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if secs, err := strconv.Atoi(v); err == nil && secs > 0 {
		return time.Duration(secs) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil && t.After(now) {
		return t.Sub(now)
	}
	return 0
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// errorDetail extracts NetBox's {"detail": "..."} or {"error": "..."}
// message, or a short excerpt of a non-JSON body.
func errorDetail(body []byte) string {
	var v struct {
		Detail string `json:"detail"`
		Error  string `json:"error"`
	}
	if json.Unmarshal(body, &v) == nil {
		if v.Detail != "" {
			return v.Detail
		}
		if v.Error != "" {
			return v.Error
		}
	}
	s := strings.TrimSpace(string(body))
	if len(s) > 200 {
		s = s[:200] + "…"
	}
	return s
}
