package wugtest

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"

	"github.com/wugsync/wugsync/wug"
)

// Status is the outcome of one case.
type Status string

// Case outcomes. NotApplicable covers a case the profile says the version lacks, a case whose
// behaviour is unknown for the version (then Detail says what a probe saw), and a case the
// server's data cannot exercise (one page of devices cannot show paging).
const (
	StatusOK            Status = "ok"
	StatusFailed        Status = "failed"
	StatusNotApplicable Status = "not_applicable"
)

// Result is the outcome of one case, ready to print: a CLI shows Name and Status, then Detail,
// and Fix when the case failed.
type Result struct {
	// Name identifies the case (e.g. "login", "device_paging").
	Name string `json:"name"`
	// Status is ok, failed or not_applicable.
	Status Status `json:"status"`
	// Detail says what was seen: the numbers on success, the broken promise on failure,
	// why the case does not apply otherwise.
	Detail string `json:"detail,omitempty"`
	// Fix tells a person what to do about a failure.
	Fix string `json:"fix,omitempty"`
}

// notApplicable is returned by a case body that cannot be exercised on this server.
type notApplicable struct{ reason string }

func (n notApplicable) Error() string { return n.reason }

func skip(reason string) error { return notApplicable{reason: reason} }

// fixFor names the fix for failures that have one cause whatever the case: the connection
// settings rather than the client. It returns "" otherwise, and the case's own hint is used.
func fixFor(err error) string {
	var unknownCA x509.UnknownAuthorityError
	var hostErr x509.HostnameError
	var verifyErr *tls.CertificateVerificationError
	switch {
	case errors.As(err, &unknownCA), errors.As(err, &hostErr), errors.As(err, &verifyErr):
		return "WUG's TLS certificate is not trusted: give the connection its CA certificate (or, for a lab server only, turn certificate verification off)"
	case errors.Is(err, wug.ErrBadCredentials):
		return "WUG refused the username or password: check the connection's credentials in WUG (Settings > Users)"
	case errors.Is(err, wug.ErrForbidden):
		return "the WUG user lacks a right this needs: give it API access and the device and group rights"
	case errors.Is(err, wug.ErrUnavailable), errors.Is(err, context.DeadlineExceeded):
		return "WUG did not answer: check the base URL (https://host:9644), the network path and that the WUG API service runs"
	case errors.Is(err, wug.ErrRateLimited):
		return "WUG asked to slow down: run the check again later or lower the connection's rate limit"
	}
	return ""
}
