package api

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/wugsync/wugsync/models"
)

// Error codes of the error body (DESIGN.md §7). Clients switch on these,
// not on messages.
const (
	CodeValidationFailed = "validation_failed"
	CodeUnauthorized     = "unauthorized"
	CodeForbidden        = "forbidden"
	CodeNotFound         = "not_found"
	CodeConflict         = "conflict"
	CodePayloadTooLarge  = "payload_too_large"
	CodeUnavailable      = "unavailable"
	CodeMethodNotAllowed = "method_not_allowed"
	CodeInternal         = "internal_error"
	// CodeNetBox is a 502: NetBox refused or failed what the route asked
	// of it; the message says why (e.g. the missing permission).
	CodeNetBox = "netbox_error"
)

// Error is a failure a handler reports to the client: an HTTP status and
// the body {"error": {...}}. Handlers return it; writeError renders it.
type Error struct {
	Status  int
	Code    string
	Message string
	// Fields names the JSON fields at fault and what is wrong with each.
	Fields map[string]string
	// RunID is the active run a 409 on an export trigger points at.
	RunID uint
	// Cause is the error behind it, for errors.Is (e.g.
	// tasks.ErrTooManyWaiters); it is never shown to the client.
	Cause error
}

func (e *Error) Error() string { return fmt.Sprintf("%d %s: %s", e.Status, e.Code, e.Message) }

// Unwrap exposes Cause.
func (e *Error) Unwrap() error { return e.Cause }

// errorBody is the wire form of an Error.
type errorBody struct {
	Error errorDetail `json:"error"`
}

type errorDetail struct {
	Code    string            `json:"code"`
	Message string            `json:"message"`
	Fields  map[string]string `json:"fields,omitempty"`
	RunID   uint              `json:"run_id,omitempty"`
}

func (e *Error) body() errorBody {
	return errorBody{Error: errorDetail{Code: e.Code, Message: e.Message, Fields: e.Fields, RunID: e.RunID}}
}

func fieldError(status int, field, problem string) *Error {
	return &Error{Status: status, Code: CodeValidationFailed, Message: field + ": " + problem,
		Fields: map[string]string{field: problem}}
}

// badRequest is a body or parameter that cannot be read as asked (syntax,
// unknown field, wrong type).
func badRequest(field, problem string) *Error {
	if field == "" {
		return &Error{Status: http.StatusBadRequest, Code: CodeValidationFailed, Message: problem}
	}
	return fieldError(http.StatusBadRequest, field, problem)
}

// unprocessable is a well-formed body whose values are not acceptable.
func unprocessable(field, problem string) *Error {
	return fieldError(http.StatusUnprocessableEntity, field, problem)
}

func notFound(format string, args ...any) *Error {
	return &Error{Status: http.StatusNotFound, Code: CodeNotFound, Message: fmt.Sprintf(format, args...)}
}

func conflict(format string, args ...any) *Error {
	return &Error{Status: http.StatusConflict, Code: CodeConflict, Message: fmt.Sprintf(format, args...)}
}

func unavailable(format string, args ...any) *Error {
	return &Error{Status: http.StatusServiceUnavailable, Code: CodeUnavailable, Message: fmt.Sprintf(format, args...)}
}

func unauthorized(message string) *Error {
	return &Error{Status: http.StatusUnauthorized, Code: CodeUnauthorized, Message: message}
}

func forbidden(message string) *Error {
	return &Error{Status: http.StatusForbidden, Code: CodeForbidden, Message: message}
}

// fromFieldError turns a model validation error into a 422 naming the field.
func fromFieldError(err error) (*Error, bool) {
	var fe models.FieldError
	if errors.As(err, &fe) {
		return unprocessable(fe.Field, fe.Problem), true
	}
	return nil, false
}

// internalError hides the cause from the client (it may name tables or
// hosts) and leaves it to the log.
var internalError = &Error{Status: http.StatusInternalServerError, Code: CodeInternal,
	Message: "internal error; the server log has the details"}

// writeError renders err. An *Error is sent as is; anything else is logged
// with the request's fields and answered 500.
func (s *Server) writeError(c *gin.Context, err error) {
	var apiErr *Error
	if !errors.As(err, &apiErr) {
		s.requestLog(c).WithError(err).Error("request failed")
		apiErr = internalError
	}
	c.AbortWithStatusJSON(apiErr.Status, apiErr.body())
}
