package netbox

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
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
	status int
}

// call is one API request: the method, the path relative to the base URL
// (e.g. "api/dcim/devices/"), the query, an optional JSON body, and what the
// answer decodes into.
type call struct {
	method string
	path   string
	query  url.Values
	// body is marshalled to JSON when non-nil.
	body any
	// out receives the decoded answer; nil discards it.
	out any
	// objectType names what the call reads or writes ("dcim.device"), so a
	// 403 can say which permission is missing.
	objectType string
	// idempotent calls are retried after any transient failure. Others (a
	// POST that creates) are retried only when NetBox cannot have acted on
	// them: a 429, or a connection that was never made.
	idempotent bool
}

// getJSON GETs path with query, retrying transient failures, and decodes the
// JSON body into out.
func (c *Client) getJSON(ctx context.Context, path string, query url.Values, out any) (response, error) {
	return c.do(ctx, call{method: http.MethodGet, path: path, query: query, out: out, idempotent: true})
}

// do performs cl, retrying what its idempotence allows.
func (c *Client) do(ctx context.Context, cl call) (response, error) {
	u := c.s.base.JoinPath(cl.path)
	if strings.HasSuffix(cl.path, "/") && !strings.HasSuffix(u.Path, "/") {
		u.Path += "/" // JoinPath drops it; NetBox redirects without it.
	}
	u.RawQuery = cl.query.Encode()
	var payload []byte
	if cl.body != nil {
		var err error
		if payload, err = json.Marshal(cl.body); err != nil {
			return response{}, fmt.Errorf("%s /%s: encode body: %w", cl.method, cl.path, err)
		}
	}
	var lastErr error
	for attempt := 0; ; attempt++ {
		resp, retryAfter, err := c.attempt(ctx, u, cl, payload)
		if err == nil {
			noteServerClock(ctx, resp.header)
			return resp, nil
		}
		lastErr = err
		if !c.mayRetry(cl, err) || attempt >= c.s.maxRetries {
			break
		}
		if ctx.Err() != nil {
			break
		}
		delay := c.backoff(attempt, retryAfter)
		c.s.log.WithFields(logrus.Fields{
			"netbox":  c.s.server,
			"method":  cl.method,
			"path":    "/" + cl.path,
			"attempt": attempt + 1,
			"delay":   delay.String(),
		}).WithError(err).Warn("netbox request failed, retrying")
		if err := sleepCtx(ctx, delay); err != nil {
			return response{}, fmt.Errorf("%s /%s: %w (after: %v)", cl.method, cl.path, err, lastErr)
		}
	}
	if ctx.Err() != nil && !errors.Is(lastErr, ctx.Err()) {
		return response{}, fmt.Errorf("%s /%s: %w (after: %v)", cl.method, cl.path, ctx.Err(), lastErr)
	}
	return response{}, lastErr
}

// transientError marks a failure worth retrying: network errors, attempt
// timeouts, 5xx and 429. notSent is set when the request cannot have reached
// NetBox (a refused connection, a 429), so even a create may be repeated.
type transientError struct {
	err     error
	notSent bool
}

func (e *transientError) Error() string { return e.err.Error() }
func (e *transientError) Unwrap() error { return e.err }

// mayRetry applies the call's idempotence to a failure.
func (c *Client) mayRetry(cl call, err error) bool {
	var t *transientError
	if !errors.As(err, &t) {
		return false
	}
	return cl.idempotent || t.notSent
}

// attempt performs one HTTP exchange under its own timeout, after the
// limiter lets it go. It returns the server's Retry-After hint for 429/503
// answers.
func (c *Client) attempt(ctx context.Context, u *url.URL, cl call, payload []byte) (response, time.Duration, error) {
	ctx, cancel := context.WithTimeout(ctx, c.s.timeout)
	defer cancel()
	if c.s.limiter != nil {
		release, err := c.s.limiter.Acquire(ctx, cl.method+" /"+cl.path)
		if err != nil {
			return response{}, 0, fmt.Errorf("netbox %s: %s /%s: rate limiter: %w", c.s.server, cl.method, cl.path, err)
		}
		defer release()
	}
	var rd io.Reader
	if payload != nil {
		rd = bytes.NewReader(payload)
	}
	req, err := http.NewRequestWithContext(ctx, cl.method, u.String(), rd)
	if err != nil {
		return response{}, 0, fmt.Errorf("build request %s /%s: %w", cl.method, cl.path, err)
	}
	if c.s.authHeader != "" {
		req.Header.Set("Authorization", c.s.authHeader)
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", c.s.userAgent)
	if payload != nil {
		req.Header.Set("Content-Type", "application/json")
	}

	httpResp, err := c.s.httpClient.Do(req)
	if err != nil {
		return response{}, 0, c.transportError(ctx, cl, err)
	}
	defer httpResp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(httpResp.Body, maxBodyBytes+1))
	if err != nil {
		return response{}, 0, c.transportError(ctx, cl, fmt.Errorf("read body: %w", err))
	}
	if len(body) > maxBodyBytes {
		return response{}, 0, fmt.Errorf("netbox %s: %s /%s: answer larger than %d bytes", c.s.server, cl.method, cl.path, maxBodyBytes)
	}
	if v := httpResp.Header.Get("API-Version"); v != "" {
		c.s.log.WithFields(logrus.Fields{"netbox": c.s.server, "api_version": v}).Trace("netbox answered")
	}
	if httpResp.StatusCode < 200 || httpResp.StatusCode > 299 {
		apiErr := &APIError{
			Server:     c.s.server,
			Method:     cl.method,
			Path:       "/" + cl.path,
			StatusCode: httpResp.StatusCode,
			Detail:     errorDetail(body),
			RequestID:  httpResp.Header.Get("X-Request-ID"),
		}
		if httpResp.StatusCode == http.StatusTooManyRequests || httpResp.StatusCode >= 500 {
			return response{}, parseRetryAfter(httpResp.Header.Get("Retry-After"), time.Now()),
				&transientError{err: apiErr, notSent: httpResp.StatusCode == http.StatusTooManyRequests}
		}
		if perr := permissionError(apiErr, cl); perr != nil {
			return response{}, 0, perr
		}
		return response{}, 0, &badStatus{apiErr: apiErr, body: body}
	}
	if cl.out != nil && len(bytes.TrimSpace(body)) > 0 {
		if list, ok := cl.out.(listDecoder); ok && list.decodeList(body) {
			return response{header: httpResp.Header, status: httpResp.StatusCode}, 0, nil
		}
		if err := json.Unmarshal(body, cl.out); err != nil {
			return response{}, 0, fmt.Errorf("netbox %s: %s /%s: decode answer: %w", c.s.server, cl.method, cl.path, err)
		}
	}
	return response{header: httpResp.Header, status: httpResp.StatusCode}, 0, nil
}

// badStatus is a non-retryable error status; callers that know the request
// turn a 400 body into FilterErrors (list calls) or a ValidationError
// (writes).
type badStatus struct {
	apiErr *APIError
	body   []byte
}

func (e *badStatus) Error() string { return e.apiErr.Error() }
func (e *badStatus) Unwrap() error { return e.apiErr }

func (c *Client) transportError(ctx context.Context, cl call, err error) error {
	wrapped := fmt.Errorf("netbox %s: %s /%s: %w", c.s.server, cl.method, cl.path, err)
	if ctx.Err() != nil && errors.Is(err, context.DeadlineExceeded) {
		// The per-attempt deadline fired (or the caller's); the loop checks
		// the caller's context before retrying.
		return &transientError{err: fmt.Errorf("netbox %s: %s /%s: timed out after %s (%w): %w", c.s.server, cl.method, cl.path, c.s.timeout, ErrServer, err)}
	}
	if errors.Is(err, context.Canceled) {
		return wrapped
	}
	var opErr *net.OpError
	notSent := errors.As(err, &opErr) && opErr.Op == "dial"
	return &transientError{err: wrapped, notSent: notSent}
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
