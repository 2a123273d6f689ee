package api

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"net"
	"net/http"
	"strings"
	"time"

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
	// Kind classifies a failure: bad_credentials, unreachable, tls,
	// timeout, forbidden, server_error, rate_limited, protocol, secret_key
	// or config.
	Kind  string `json:"kind,omitempty"`
	Error string `json:"error,omitempty"`
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
	res := probeWUG(ctx, conn, s.p.Sealer)
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
// says which step failed and why.
func probeWUG(ctx context.Context, conn models.WUGConnection, sealer *models.Sealer) probeResult {
	password, err := conn.Password(sealer)
	if err != nil {
		return probeResult{Stage: stageLogin, Kind: "secret_key", Error: err.Error()}
	}
	fail := func(stage string, err error) probeResult {
		msg := err.Error()
		if password != "" {
			msg = strings.ReplaceAll(msg, password, "********")
		}
		return probeResult{Stage: stage, Kind: probeErrorKind(err), Error: msg}
	}
	client, err := wug.New(wug.Config{
		Name: conn.Name, BaseURL: conn.BaseURL(), Username: conn.Username, Password: password,
		InsecureSkipVerify: !conn.VerifySSL, CACertPEM: []byte(conn.CACertPEM), Timeout: probeCallTimeout,
	})
	if err != nil {
		res := fail(stageLogin, err)
		res.Kind = "config"
		return res
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
	case errors.Is(err, wug.ErrUnavailable):
		return "unreachable"
	}
	return "unreachable"
}
