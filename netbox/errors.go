package netbox

import (
	"errors"
	"fmt"
	"strings"
)

// Sentinel errors. Callers test for them with errors.Is; the concrete error
// (an *APIError or a *FilterError) carries the details.
var (
	// ErrAuth means NetBox refused the credentials (HTTP 401 or 403). It is
	// not retried: a wrong or expired token does not heal by waiting.
	ErrAuth = errors.New("netbox authentication failed")
	// ErrNotFound means the object does not exist (HTTP 404). For a detail
	// GET of a device it means the device was deleted or is hidden from the
	// token.
	ErrNotFound = errors.New("netbox object not found")
	// ErrConfig means the request could not succeed as configured: a bad
	// client configuration, or a filter value NetBox rejected with HTTP 400.
	ErrConfig = errors.New("netbox configuration error")
	// ErrServer means NetBox (or a proxy in front of it) kept failing with
	// 5xx or 429 until the retries ran out.
	ErrServer = errors.New("netbox server error")
)

// APIError is a non-2xx answer from NetBox. It unwraps to the sentinel that
// classifies it (ErrAuth, ErrNotFound, ErrConfig or ErrServer) so callers
// branch on errors.Is and log the details from Error.
type APIError struct {
	// Server is the NetBox base URL, so the message says which NetBox failed
	// when several are configured.
	Server string
	// Method and Path identify the request, without the query string.
	Method string
	Path   string
	// StatusCode is the HTTP status NetBox answered with.
	StatusCode int
	// Detail is NetBox's "detail" message (or a short excerpt of a non-JSON
	// body, as proxies send).
	Detail string
	// RequestID is NetBox's X-Request-ID, which matches its change log.
	RequestID string
}

// Error says which server answered what, never including credentials.
func (e *APIError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "netbox %s: %s %s: HTTP %d", e.Server, e.Method, e.Path, e.StatusCode)
	if e.StatusCode == 401 || e.StatusCode == 403 {
		b.WriteString(" (authentication failed)")
	}
	if e.Detail != "" {
		fmt.Fprintf(&b, ": %s", e.Detail)
	}
	return b.String()
}

// Unwrap classifies the status code as one of the package's sentinels.
func (e *APIError) Unwrap() error {
	switch {
	case e.StatusCode == 401 || e.StatusCode == 403:
		return ErrAuth
	case e.StatusCode == 404:
		return ErrNotFound
	case e.StatusCode == 400 || e.StatusCode == 406:
		return ErrConfig
	case e.StatusCode == 429 || e.StatusCode >= 500:
		return ErrServer
	default:
		return nil
	}
}

// FilterError is a filter value that NetBox rejected (HTTP 400), or that the
// client refused before sending, such as a tag slug that does not exist. It
// unwraps to ErrConfig: the connection's filters must be fixed, retrying will
// not help.
type FilterError struct {
	// Server is the NetBox base URL; empty when the client rejected the
	// value before sending it.
	Server string
	// Filter is the query parameter, e.g. "tag" or "site".
	Filter string
	// Value is the rejected value, e.g. "nosuch".
	Value string
	// Message is NetBox's explanation, e.g. "Select a valid choice. nosuch is
	// not one of the available choices."
	Message string
}

// Error names the filter and the value so an operator can fix the connection.
func (e *FilterError) Error() string {
	where := "netbox"
	if e.Server != "" {
		where = "netbox " + e.Server
	}
	msg := fmt.Sprintf("%s: invalid filter %s=%q", where, e.Filter, e.Value)
	if e.Message != "" {
		msg += ": " + e.Message
	}
	return msg
}

// Unwrap makes every FilterError an ErrConfig.
func (e *FilterError) Unwrap() error { return ErrConfig }
