package config

import (
	"errors"
	"strings"
)

// Error is a configuration error naming the variable at fault, so the process
// can stop with one line a person can act on.
type Error struct {
	Variable string
	Problem  string
}

func (e *Error) Error() string { return e.Variable + ": " + e.Problem }

// ErrInvalid is matched by every *Error and Errors, for callers that only
// need to know that configuration, not the environment, is at fault.
var ErrInvalid = errors.New("invalid configuration")

// Is lets errors.Is(err, ErrInvalid) match any configuration error.
func (e *Error) Is(target error) bool { return target == ErrInvalid }

// Errors is every configuration problem found at once, one line each.
type Errors []*Error

// Error is one line per problem.
func (e Errors) Error() string {
	lines := make([]string, len(e))
	for i, p := range e {
		lines[i] = p.Error()
	}
	return strings.Join(lines, "\n")
}

// Is lets errors.Is(err, ErrInvalid) match.
func (e Errors) Is(target error) bool { return target == ErrInvalid }

// Unwrap exposes each problem to errors.As.
func (e Errors) Unwrap() []error {
	out := make([]error, len(e))
	for i, p := range e {
		out[i] = p
	}
	return out
}

// Has reports whether a problem names variable.
func (e Errors) Has(variable string) bool {
	for _, p := range e {
		if p.Variable == variable {
			return true
		}
	}
	return false
}

// orNil returns nil for no problems, so a nil error stays comparable to nil.
func (e Errors) orNil() error {
	if len(e) == 0 {
		return nil
	}
	return e
}

// Problems returns the configuration problems err carries: all of an Errors,
// or a single *Error; nil when err is not a configuration error.
func Problems(err error) Errors {
	var all Errors
	if errors.As(err, &all) {
		return all
	}
	var one *Error
	if errors.As(err, &one) {
		return Errors{one}
	}
	return nil
}
