package wug

import (
	"errors"
	"fmt"
	"time"
)

// Sentinel errors classify every failure of a WUG call. Match them with errors.Is; use
// errors.As with *APIError for the details (status code, Retry-After, server message).
var (
	// ErrBadCredentials means WUG refused the username and password (HTTP 400 invalid_grant on
	// the token route) or still answered 401 after a fresh token. Retrying will not help.
	ErrBadCredentials = errors.New("wug: bad credentials")
	// ErrForbidden means the user is authenticated but not allowed to do this (HTTP 403).
	ErrForbidden = errors.New("wug: forbidden")
	// ErrNotFound means the resource or route does not exist (HTTP 404).
	ErrNotFound = errors.New("wug: not found")
	// ErrRejected means WUG refused the request as invalid (HTTP 400, 405, 409, 422…) or
	// answered 200 with success:false. Retrying the same request will not help.
	ErrRejected = errors.New("wug: request rejected")
	// ErrRateLimited means WUG asked the caller to slow down (HTTP 429 or 503).
	// APIError.RetryAfter says how long to wait.
	ErrRateLimited = errors.New("wug: rate limited")
	// ErrServerError means WUG failed (HTTP 5xx other than 503). A later retry may succeed.
	ErrServerError = errors.New("wug: server error")
	// ErrProtocol means WUG answered something that is not the documented JSON, so the answer
	// cannot be trusted. It usually points at a proxy, a version difference or a bug.
	ErrProtocol = errors.New("wug: protocol error")
	// ErrUnavailable means the server could not be reached or did not answer within the
	// timeout. A later retry may succeed.
	ErrUnavailable = errors.New("wug: unavailable")
	// ErrInvalidInput means the client refused the call's arguments before sending anything
	// (an empty id, an address that is not an IP…). It is a caller bug or bad data; retrying
	// will not help.
	ErrInvalidInput = errors.New("invalid input")
)

// DefaultRetryAfter is the wait reported with ErrRateLimited when WUG sends no usable
// Retry-After header.
const DefaultRetryAfter = 5 * time.Second

// APIError describes one failed WUG call. Its Is method matches exactly one of the sentinel
// errors above; Unwrap exposes the underlying cause (a net.Error, a JSON syntax error…) when
// there is one.
type APIError struct {
	// Op is the operation name (one of the Op* constants).
	Op string
	// Server is the connection name, or the base URL when the connection has no name.
	Server string
	// BaseURL is the server's base URL.
	BaseURL string
	// Method and Path identify the HTTP request that failed.
	Method string
	Path   string
	// StatusCode is the HTTP status; 0 when no answer was received.
	StatusCode int
	// RetryAfter is how long WUG asked to wait; set for ErrRateLimited only.
	RetryAfter time.Duration
	// Code is the server's error code (e.g. "invalid_grant"), when it sent one.
	Code string
	// Message is the server's error message or a description of what was wrong.
	Message string
	// FromErrorBody says that Code and Message were read from a JSON error body in one
	// of the shapes WUG uses, rather than quoted from whatever the server answered.
	FromErrorBody bool

	kind  error
	cause error
}

// Error reads like `wug "lab-wug" (https://h:9644): apply_templates: HTTP 500: message`.
func (e *APIError) Error() string {
	prefix := fmt.Sprintf("wug %q (%s): %s", e.Server, e.BaseURL, e.Op)
	detail := e.Message
	if detail == "" && e.cause != nil {
		detail = e.cause.Error()
	}
	switch {
	case e.StatusCode != 0 && detail != "":
		return fmt.Sprintf("%s: HTTP %d: %s", prefix, e.StatusCode, detail)
	case e.StatusCode != 0:
		return fmt.Sprintf("%s: HTTP %d", prefix, e.StatusCode)
	default:
		return fmt.Sprintf("%s: %s", prefix, detail)
	}
}

// Is reports whether target is the sentinel that classifies this error.
func (e *APIError) Is(target error) bool { return e.kind != nil && target == e.kind }

// Unwrap returns the underlying cause, if any.
func (e *APIError) Unwrap() error { return e.cause }

// Kind returns the sentinel error that classifies this error.
func (e *APIError) Kind() error { return e.kind }

// Temporary reports whether retrying the same call later may succeed. A
// refused address (ErrAddressDenied) is not: only a configuration change
// helps.
func (e *APIError) Temporary() bool {
	if errors.Is(e.cause, ErrAddressDenied) {
		return false
	}
	switch e.kind {
	case ErrRateLimited, ErrServerError, ErrUnavailable:
		return true
	}
	return false
}

// kindForStatus maps an HTTP status that is not a success to its sentinel.
func kindForStatus(status int) error {
	switch {
	case status == 401:
		return ErrBadCredentials
	case status == 403:
		return ErrForbidden
	case status == 404:
		return ErrNotFound
	case status == 429, status == 503:
		return ErrRateLimited
	case status >= 500:
		return ErrServerError
	case status >= 400:
		return ErrRejected
	default:
		// 1xx and 3xx are not part of the API; a redirect to a login page is a classic.
		return ErrProtocol
	}
}
