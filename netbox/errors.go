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
	// client configuration, a filter value NetBox rejected with HTTP 400, or
	// written data NetBox refused (a *ValidationError), such as a custom
	// field it does not know. Retrying cannot help.
	ErrConfig = errors.New("netbox configuration error")
	// ErrPermission means the token is valid but lacks a right the request
	// needs (HTTP 403 "You do not have permission to perform this action."),
	// or is not write-enabled. The *PermissionError names the permission.
	// It also matches ErrAuth.
	ErrPermission = errors.New("netbox permission denied")
	// ErrUnknownCustomField means NetBox has no custom field of that name on
	// the object type written to. The *UnknownCustomFieldError names it. It
	// also matches ErrConfig, so a run fails at once instead of retrying.
	ErrUnknownCustomField = errors.New("netbox custom field not defined")
	// ErrInvalid means NetBox refused written data with HTTP 400; the
	// *ValidationError carries its messages. It also matches ErrConfig.
	ErrInvalid = errors.New("netbox refused the data")
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

// noPermissionDetail is DRF's PermissionDenied message, which NetBox sends
// both for a missing model permission and for a write with a token that is
// not write-enabled (reference §1.2).
const noPermissionDetail = "You do not have permission to perform this action."

// PermissionError is a 403 for a token that NetBox accepted but that may not
// do what was asked. It matches ErrPermission, and ErrAuth through its
// *APIError.
type PermissionError struct {
	// API is NetBox's answer.
	API *APIError
	// Permission is NetBox's name for the missing right, e.g.
	// "dcim.change_device" or "extras.add_journalentry"; empty when the
	// request was not about one object type.
	Permission string
	// Write is set for POST, PUT, PATCH and DELETE, which also need a
	// write-enabled token.
	Write bool
}

// Error names the permission an administrator has to grant.
func (e *PermissionError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "netbox %s: %s %s: HTTP 403: permission denied", e.API.Server, e.API.Method, e.API.Path)
	if e.Permission != "" {
		fmt.Fprintf(&b, ": the token's user needs the %s permission", e.Permission)
	}
	if e.Write {
		b.WriteString(" and the token must be write-enabled")
	}
	return b.String()
}

// Unwrap matches ErrPermission and the *APIError (hence ErrAuth).
func (e *PermissionError) Unwrap() []error { return []error{ErrPermission, e.API} }

// permissionError turns NetBox's 403 for a missing right into a
// *PermissionError; other 403s (bad, expired or missing token) stay
// authentication failures.
func permissionError(apiErr *APIError, cl call) error {
	if apiErr.StatusCode != 403 || apiErr.Detail != noPermissionDetail {
		return nil
	}
	action := ""
	switch cl.method {
	case "GET", "HEAD":
		action = "view"
	case "POST":
		action = "add"
	case "PUT", "PATCH":
		action = "change"
	case "DELETE":
		action = "delete"
	}
	perm := ""
	if app, model, ok := strings.Cut(cl.objectType, "."); ok && action != "" {
		perm = app + "." + action + "_" + model
	}
	return &PermissionError{API: apiErr, Permission: perm, Write: action != "view" && action != ""}
}

// Problem is one message from a 400 answer to a write.
type Problem struct {
	// Item is the position of the object in a bulk request (0-based), or -1
	// when the message is about the whole request or a single object.
	Item int
	// Field is the field NetBox names: "status", "custom_fields",
	// "__all__" or "non_field_errors" for model-level messages, "detail"
	// for a request-level one.
	Field   string
	Message string
}

// ValidationError is NetBox's 400 answer to a write: DRF's {"field":
// ["message"]}, or for a bulk request one such object per item. It matches
// ErrInvalid and ErrConfig: the same data fails the same way again.
type ValidationError struct {
	API      *APIError
	Problems []Problem
}

// Error lists NetBox's messages with the item and field they concern.
func (e *ValidationError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "netbox %s: %s %s: HTTP %d: NetBox refused the data", e.API.Server, e.API.Method, e.API.Path, e.API.StatusCode)
	for i, p := range e.Problems {
		if i == 0 {
			b.WriteString(": ")
		} else {
			b.WriteString("; ")
		}
		if p.Item >= 0 {
			fmt.Fprintf(&b, "item %d: ", p.Item)
		}
		fmt.Fprintf(&b, "%s: %s", p.Field, p.Message)
	}
	return b.String()
}

// Unwrap matches ErrInvalid, ErrConfig and the *APIError.
func (e *ValidationError) Unwrap() []error { return []error{ErrInvalid, ErrConfig, e.API} }

// UnknownCustomFieldError says that NetBox does not know a custom field on an
// object type. NetBox up to 4.4.9 refuses such a write with 400 "Unknown
// field name '…' in custom field data."; from 4.4.10 on it drops the value
// silently and answers 200 (netbox#21049), which the client detects because
// the saved object does not list the field.
type UnknownCustomFieldError struct {
	Server string
	// ObjectType is "dcim.device" or "virtualization.virtualmachine".
	ObjectType string
	// Field is the custom field's name.
	Field string
	// Dropped is set when NetBox answered 200 and dropped the value rather
	// than refusing it.
	Dropped bool
}

// Error names the field and the object type it must be defined on.
func (e *UnknownCustomFieldError) Error() string {
	how := "NetBox refused it"
	if e.Dropped {
		how = "NetBox dropped the value without saving it"
	}
	return fmt.Sprintf("netbox %s: custom field %q is not defined for %s (%s); create it, with type text, on %s",
		e.Server, e.Field, e.ObjectType, how, e.ObjectType)
}

// Unwrap matches ErrUnknownCustomField and ErrConfig.
func (e *UnknownCustomFieldError) Unwrap() []error { return []error{ErrUnknownCustomField, ErrConfig} }
