package wug

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/wugsync/wugsync/internal/buildinfo"
)

// maxResponseBytes bounds how much of a response the client reads; a 250-device page is a
// few hundred kilobytes, so anything near this is not a WUG answer.
const maxResponseBytes = 32 << 20

// request is one HTTP exchange with WUG.
type request struct {
	op     string
	method string
	path   string // from the server root, e.g. "/api/v1/devices/12"
	query  url.Values
	body   any        // sent as JSON when not nil
	form   url.Values // sent form-encoded (token route only)
	// atSend, when set, builds the payload again once the rate limiter
	// lets the request go: a template request takes its joiners' templates
	// then (templateRide), since they may join while it waits.
	atSend func() ([]byte, error)
}

// call sends an authenticated request and returns the body of a 2xx answer. On a 401 it
// refreshes the token once and retries once, as WUG's own clients do.
func (c *Client) call(ctx context.Context, req request) ([]byte, error) {
	var payload []byte
	if req.atSend == nil { // else built once the limiter lets it go
		var err error
		if payload, err = encodeBody(req); err != nil {
			return nil, fmt.Errorf("wug %q (%s): %s: encode request: %w", c.name, c.baseURL, req.op, err)
		}
	}
	for attempt := 0; ; attempt++ {
		token, err := c.tokens.token(ctx)
		if err != nil {
			return nil, err
		}
		body, err := c.exchange(ctx, req, payload, token)
		var apiErr *APIError
		if attempt == 0 && errors.As(err, &apiErr) && apiErr.StatusCode == http.StatusUnauthorized {
			c.tokens.invalidate(token)
			continue
		}
		return body, err
	}
}

func encodeBody(req request) ([]byte, error) {
	switch {
	case req.form != nil:
		return []byte(req.form.Encode()), nil
	case req.body != nil:
		return json.Marshal(req.body)
	}
	return nil, nil
}

// exchange sends one HTTP request through the limiter and classifies the answer. token is
// empty for the token route.
func (c *Client) exchange(ctx context.Context, req request, payload []byte, token string) ([]byte, error) {
	if c.limiter != nil {
		release, err := c.limiter.Acquire(ctx, req.op)
		if err != nil {
			return nil, fmt.Errorf("wug %q: %s: rate limiter: %w", c.name, req.op, err)
		}
		defer release()
	}
	if req.atSend != nil {
		var err error
		if payload, err = req.atSend(); err != nil {
			return nil, fmt.Errorf("wug %q (%s): %s: encode request: %w", c.name, c.baseURL, req.op, err)
		}
	}
	if token != "" {
		callSendHook(ctx) // the caller's request, not a token the client fetches for it
	}
	start := time.Now()
	body, err := c.roundTrip(ctx, req, payload, token)
	if c.observe != nil {
		c.observe(req.op, time.Since(start), err)
	}
	return body, err
}

func (c *Client) roundTrip(ctx context.Context, req request, payload []byte, token string) ([]byte, error) {
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()

	target := c.baseURL + req.path
	if len(req.query) > 0 {
		target += "?" + req.query.Encode()
	}
	var reader io.Reader
	if payload != nil {
		reader = bytes.NewReader(payload)
	}
	httpReq, err := http.NewRequestWithContext(ctx, req.method, target, reader)
	if err != nil {
		return nil, fmt.Errorf("wug %q (%s): %s: build request: %w", c.name, c.baseURL, req.op, err)
	}
	httpReq.Header.Set("Accept", "application/json")
	httpReq.Header.Set("User-Agent", buildinfo.UserAgent())
	switch {
	case req.form != nil:
		httpReq.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	case payload != nil:
		httpReq.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		httpReq.Header.Set("Authorization", "Bearer "+token)
	}

	resp, err := c.http.Do(httpReq)
	if err != nil {
		return nil, c.transportError(ctx, req, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxResponseBytes+1))
	if err != nil {
		return nil, c.transportError(ctx, req, fmt.Errorf("read response: %w", err))
	}
	if len(body) > maxResponseBytes {
		return nil, c.newError(req, ErrProtocol, resp.StatusCode, fmt.Sprintf("response larger than %d bytes", maxResponseBytes), nil)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return nil, c.statusError(req, resp, body)
	}
	if len(bytes.TrimSpace(body)) > 0 && !json.Valid(body) {
		return nil, c.newError(req, ErrProtocol, resp.StatusCode, "response is not JSON"+c.snippet(req, body), nil)
	}
	return body, nil
}

// transportError classifies a failure to get an answer. The caller's own cancellation is
// returned as such; anything else (refused connection, TLS failure, our timeout) means the
// server is unavailable for now.
func (c *Client) transportError(ctx context.Context, req request, err error) error {
	if parent := context.Cause(ctx); parent != nil && !errors.Is(parent, context.DeadlineExceeded) {
		return fmt.Errorf("wug %q (%s): %s: %w", c.name, c.baseURL, req.op, err)
	}
	msg := err.Error()
	var urlErr *url.Error
	if errors.As(err, &urlErr) {
		msg = urlErr.Err.Error()
		if urlErr.Timeout() {
			msg = fmt.Sprintf("no answer within %s", c.timeout)
		}
	}
	return c.newError(req, ErrUnavailable, 0, msg, err)
}

// statusError turns a non-2xx answer into an *APIError.
func (c *Client) statusError(req request, resp *http.Response, body []byte) error {
	code, message := parseErrorBody(body)
	fromBody := code != "" || message != ""
	if !fromBody {
		message = strings.TrimPrefix(c.snippet(req, body), ": ")
	}
	if message == "" {
		message = http.StatusText(resp.StatusCode)
	}
	kind := kindForStatus(resp.StatusCode)
	if req.op == OpToken && (resp.StatusCode == http.StatusBadRequest || resp.StatusCode == http.StatusUnauthorized) {
		switch strings.ToLower(code) {
		case "", "invalid_grant", "invalid_client", "unauthorized_client", "access_denied":
			kind = ErrBadCredentials
		}
	}
	e := c.newError(req, kind, resp.StatusCode, message, nil)
	e.Code, e.FromErrorBody = code, fromBody
	if kind == ErrRateLimited {
		e.RetryAfter = parseRetryAfter(resp.Header.Get("Retry-After"), time.Now())
	}
	return e
}

func (c *Client) newError(req request, kind error, status int, message string, cause error) *APIError {
	return &APIError{
		Op:         req.op,
		Server:     c.name,
		BaseURL:    c.baseURL,
		Method:     req.method,
		Path:       req.path,
		StatusCode: status,
		Message:    message,
		kind:       kind,
		cause:      cause,
	}
}

// errorf reports a request the client refused to send: bad input, not a server failure.
func (c *Client) errorf(req request, format string, args ...any) error {
	return fmt.Errorf("wug %q (%s): %s: %w: %s", c.name, c.baseURL, req.op, ErrInvalidInput, fmt.Sprintf(format, args...))
}

// protocolError reports a 2xx answer whose content is not what the API documents.
func (c *Client) protocolError(req request, body []byte, what string, cause error) error {
	msg := what
	if cause != nil {
		msg += ": " + cause.Error()
	}
	return c.newError(req, ErrProtocol, http.StatusOK, msg+c.snippet(req, body), cause)
}

// snippet quotes the start of a body for an error message. Token answers are never quoted:
// they may hold credentials.
func (c *Client) snippet(req request, body []byte) string {
	if req.op == OpToken {
		return ""
	}
	s := strings.Join(strings.Fields(string(body)), " ")
	if s == "" {
		return ""
	}
	const max = 120
	if len(s) > max {
		s = s[:max]
		for !utf8.ValidString(s) {
			s = s[:len(s)-1]
		}
		s += "…"
	}
	return ": " + strconv.Quote(s)
}

// parseErrorBody reads the error shapes WUG uses: {"error":{"status","code","message"}},
// OAuth's {"error":"…","error_description":"…"}, and ASP.NET's {"Message":"…"}.
func parseErrorBody(body []byte) (code, message string) {
	var obj map[string]json.RawMessage
	if json.Unmarshal(body, &obj) != nil {
		return "", ""
	}
	if raw, ok := objectKey(obj, "error"); ok {
		var nested struct {
			Code    flexString `json:"code"`
			Message flexString `json:"message"`
		}
		var flat flexString
		switch {
		case json.Unmarshal(raw, &nested) == nil:
			code, message = string(nested.Code), string(nested.Message)
		case json.Unmarshal(raw, &flat) == nil:
			code = string(flat)
		}
	}
	for _, key := range []string{"error_description", "message", "exceptionMessage"} {
		if message != "" {
			break
		}
		if raw, ok := objectKey(obj, key); ok {
			var s flexString
			if json.Unmarshal(raw, &s) == nil {
				message = string(s)
			}
		}
	}
	return code, message
}

// parseRetryAfter reads a Retry-After header in seconds or as an HTTP date.
func parseRetryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return DefaultRetryAfter
	}
	if secs, err := strconv.ParseFloat(v, 64); err == nil && secs >= 0 {
		return time.Duration(secs * float64(time.Second))
	}
	if at, err := http.ParseTime(v); err == nil {
		if d := at.Sub(now); d > 0 {
			return d
		}
		return 0
	}
	return DefaultRetryAfter
}
