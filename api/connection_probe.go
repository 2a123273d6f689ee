package api

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"syscall"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/gin-gonic/gin"

	"github.com/wugsync/wugsync/models"
	"github.com/wugsync/wugsync/wug"
)

// Connection test budget: each WUG exchange and the whole test. A person
// is waiting for the answer.
const (
	probeCallTimeout  = 10 * time.Second
	probeTotalTimeout = 25 * time.Second
)

// Stages of the connection test, in order; a failure names the stage.
const (
	stageLogin       = "login"
	stageVersion     = "version"
	stageDeviceCount = "device_count"
)

// probeResult is the answer of POST /connections/{id}/test. A failure is
// still 200: the test ran, and its result is that WUG said no.
type probeResult struct {
	OK          bool   `json:"ok"`
	Version     string `json:"version,omitempty"`
	DeviceCount *int   `json:"device_count,omitempty"`
	Stage       string `json:"stage,omitempty"`
	// Kind classifies a failure: bad_credentials, unreachable, denied,
	// tls, timeout, forbidden, server_error, rate_limited, protocol,
	// secret_key or config.
	Kind  string `json:"kind,omitempty"`
	Error string `json:"error,omitempty"`
	// NetBoxWriteback is the check of the NetBox token's write rights,
	// present when the connection writes back or journals.
	NetBoxWriteback *netboxWriteCheck `json:"netbox_writeback,omitempty"`
}

// testConnection is POST /api/v1/connections/{id}/test.
func (s *Server) testConnection(c *gin.Context) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	conn, err := s.q.connection(c.Request.Context(), id)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(c.Request.Context(), probeTotalTimeout)
	defer cancel()
	res := probeWUG(ctx, conn, s.p.Sealer, s.deny)
	s.probeNetBoxWrites(ctx, conn, &res)
	entry := s.requestLog(c).WithField("connection", conn.Name)
	if res.OK {
		entry.WithField("version", res.Version).Info("connection test passed")
	} else {
		entry.WithField("stage", res.Stage).WithField("kind", res.Kind).Info("connection test failed")
	}
	c.JSON(http.StatusOK, res)
	return nil
}

// probeWUG logs in, reads the product version and the device count, and
// says which step failed and why. The answer describes failures in WUG's
// terms only (an HTTP status, WUG's own JSON error, a refused or timed-out
// connection, a certificate problem), never the body of whatever answered,
// so the test cannot be used to read other services on the network.
func probeWUG(ctx context.Context, conn models.WUGConnection, sealer *models.Sealer, deny wug.DenyList) probeResult {
	password, err := conn.Password(sealer)
	if err != nil {
		return probeResult{Stage: stageLogin, Kind: "secret_key", Error: err.Error()}
	}
	fail := func(stage string, err error) probeResult {
		msg := probeMessage(err)
		if password != "" {
			msg = strings.ReplaceAll(msg, password, "********")
		}
		return probeResult{Stage: stage, Kind: probeErrorKind(err), Error: msg}
	}
	client, err := wug.New(wug.Config{
		Name: conn.Name, BaseURL: conn.BaseURL(), Username: conn.Username, Password: password,
		InsecureSkipVerify: !conn.VerifySSL, CACertPEM: []byte(conn.CACertPEM), Timeout: probeCallTimeout, Deny: &deny,
	})
	if err != nil {
		return probeResult{Stage: stageLogin, Kind: "config", Error: strings.ReplaceAll(err.Error(), password, "********")}
	}
	info, err := client.ProductVersion(ctx)
	if err != nil {
		stage := stageVersion
		var apiErr *wug.APIError
		if errors.As(err, &apiErr) && apiErr.Op == wug.OpToken {
			stage = stageLogin
		}
		return fail(stage, err)
	}
	count, err := client.DeviceCount(ctx)
	if err != nil {
		return fail(stageDeviceCount, err)
	}
	return probeResult{OK: true, Version: info.Version, DeviceCount: &count}
}

// maxProbeDetail bounds the part of WUG's own error message the test
// repeats.
const maxProbeDetail = 200

// probeMessage says what went wrong from the error's classification. Text
// the target sent is repeated only when it is a JSON error in WUG's shape,
// cleaned of control characters and cut short.
func probeMessage(err error) string {
	var denied *wug.DeniedAddressError
	if errors.As(err, &denied) {
		return denied.Error()
	}
	var apiErr *wug.APIError
	if !errors.As(err, &apiErr) {
		return "the test stopped before WUG answered"
	}
	if apiErr.StatusCode == 0 {
		return transportProblem(err)
	}
	msg := fmt.Sprintf("HTTP %d %s", apiErr.StatusCode, http.StatusText(apiErr.StatusCode))
	switch {
	case apiErr.FromErrorBody:
		detail := apiErr.Message
		if apiErr.Code != "" && apiErr.Message != "" {
			detail = apiErr.Code + ": " + apiErr.Message
		} else if apiErr.Code != "" {
			detail = apiErr.Code
		}
		if detail = cleanDetail(detail); detail != "" {
			msg += ": " + detail
		}
	case errors.Is(err, wug.ErrProtocol):
		msg += ": the answer is not WUG's JSON API (is this the WUG REST API port, 9644?)"
	}
	return msg
}

// transportProblem names a failure to get an answer at all.
func transportProblem(err error) string {
	var dnsErr *net.DNSError
	var unknownCA x509.UnknownAuthorityError
	var hostErr x509.HostnameError
	var invalid x509.CertificateInvalidError
	var recordErr tls.RecordHeaderError
	var netErr net.Error
	switch {
	case errors.As(err, &unknownCA):
		return "TLS certificate verification failed: signed by an unknown authority (set ca_cert_pem)"
	case errors.As(err, &hostErr):
		return "TLS certificate verification failed: the certificate is not valid for this host name"
	case errors.As(err, &invalid):
		return "TLS certificate verification failed: the certificate is expired or not valid"
	case errors.Is(err, http.ErrSchemeMismatch):
		return "the server answered in plain HTTP, not TLS: set use_ssl to false"
	case errors.As(err, &recordErr):
		return "TLS handshake failed: the server did not answer in TLS (is use_ssl right?)"
	case strings.Contains(err.Error(), "malformed HTTP"):
		// net/http has no type for it; its text would quote the answer.
		return "the server's answer is not HTTP (is this the WUG REST API port, 9644?)"
	case errors.As(err, &dnsErr):
		return "the host name does not resolve"
	case errors.Is(err, syscall.ECONNREFUSED):
		return "connection refused"
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &netErr) && netErr.Timeout():
		return fmt.Sprintf("timeout: no answer within %s", probeCallTimeout)
	case errors.Is(err, syscall.ECONNRESET), errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return "the server closed the connection without an HTTP answer"
	case errors.Is(err, syscall.EHOSTUNREACH), errors.Is(err, syscall.ENETUNREACH):
		return "no route to the host"
	}
	var verifyErr *tls.CertificateVerificationError
	if errors.As(err, &verifyErr) {
		return "TLS certificate verification failed"
	}
	return "could not connect"
}

// cleanDetail keeps a short, single-line, printable excerpt.
func cleanDetail(s string) string {
	s = strings.Join(strings.FieldsFunc(s, func(r rune) bool { return unicode.IsControl(r) || unicode.IsSpace(r) }), " ")
	if utf8.RuneCountInString(s) > maxProbeDetail {
		s = string([]rune(s)[:maxProbeDetail]) + "…"
	}
	return s
}

// probeErrorKind tells a person what to fix: the credentials, the network,
// the certificate, or WUG itself.
func probeErrorKind(err error) string {
	var unknownCA x509.UnknownAuthorityError
	var hostErr x509.HostnameError
	var invalid x509.CertificateInvalidError
	var verifyErr *tls.CertificateVerificationError
	var recordErr tls.RecordHeaderError
	var netErr net.Error
	switch {
	case errors.As(err, &unknownCA), errors.As(err, &hostErr), errors.As(err, &invalid),
		errors.As(err, &verifyErr), errors.As(err, &recordErr):
		return "tls"
	case errors.Is(err, wug.ErrBadCredentials):
		return "bad_credentials"
	case errors.Is(err, wug.ErrForbidden):
		return "forbidden"
	case errors.Is(err, wug.ErrRateLimited):
		return "rate_limited"
	case errors.Is(err, wug.ErrServerError):
		return "server_error"
	case errors.Is(err, wug.ErrProtocol), errors.Is(err, wug.ErrNotFound), errors.Is(err, wug.ErrRejected):
		return "protocol"
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &netErr) && netErr.Timeout():
		return "timeout"
	case errors.Is(err, wug.ErrAddressDenied):
		return "denied"
	case errors.Is(err, wug.ErrUnavailable):
		return "unreachable"
	}
	return "unreachable"
}
