package doctor

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net/http"

	"github.com/wugsync/wugsync/models"
	"github.com/wugsync/wugsync/wug"
	"github.com/wugsync/wugsync/wug/wugtest"
)

// wug runs the read-only part of the WUG contract suite against every
// connection in scope (login, version, device count, listing and paging,
// the group root, search by IP).
func (r *run) wug(ctx context.Context) {
	if r.db == nil {
		r.section("WUG connections").skip("connections", "not checked: "+r.dbErr, "")
		return
	}
	conns := r.scope()
	switch {
	case len(conns) == 0 && r.p.ConnectionID != 0:
		r.section(fmt.Sprintf("WUG connection %d", r.p.ConnectionID)).fail("connection", fmt.Sprintf("no connection has id %d", r.p.ConnectionID),
			"list them with GET /api/v1/connections")
		return
	case len(conns) == 0:
		r.section("WUG connections").skip("connections", "no active connection to check", "create one with POST /api/v1/connections")
		return
	}
	for _, conn := range conns {
		r.wugConnection(ctx, conn)
	}
}

func (r *run) wugConnection(ctx context.Context, conn models.WUGConnection) {
	s := r.section(fmt.Sprintf("WUG connection %q (id %d, %s)", conn.Name, conn.ID, conn.BaseURL()))
	if r.sealer == nil {
		s.fail("password", "not checked: the secret key could not be loaded (see Database)", "")
		return
	}
	password, err := conn.Password(r.sealer)
	if err != nil {
		s.fail("password", err.Error(), "see the secret key check under Database")
		return
	}
	transport, err := wugTransport(conn)
	if err != nil {
		s.fail("TLS settings", err.Error(), fmt.Sprintf("correct ca_cert_pem of the connection (PATCH /api/v1/connections/%d)", conn.ID))
		return
	}
	recorder := &dateRecorder{next: transport, now: r.now}
	cfg := wug.Config{
		Name: conn.Name, BaseURL: conn.BaseURL(), Username: conn.Username, Password: password,
		HTTPClient: &http.Client{
			Transport: recorder,
			// As the client's own: a redirect would send the token elsewhere.
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		},
	}
	for _, res := range wugtest.CheckReadOnly(ctx, cfg, wugtest.Profile{}) {
		switch res.Status {
		case wugtest.StatusOK:
			s.pass(res.Name, res.Detail)
		case wugtest.StatusFailed:
			s.fail(res.Name, res.Detail, res.Fix)
		default:
			s.skip(res.Name, res.Detail, "")
		}
	}
	s.skip("write rights", "not checked: WUG has no read-only way to test whether the user may create devices and groups, "+
		"apply templates, set attributes and maintenance or delete devices",
		"give the WUG user API access with device and group rights; the contract suite tests them inside a sandbox group "+
			"(go test -run TestContract/real ./wug/wugtest, see README)")
	if sample, ok := recorder.first(); ok {
		r.clock(fmt.Sprintf("WUG %q", conn.Name), sample)
	}
}

// wugTransport mirrors the TLS settings the WUG client builds from a
// connection (verification on unless verify_ssl is false, its CA added to
// the system roots), so doctor can watch the answers' Date headers.
func wugTransport(conn models.WUGConnection) (http.RoundTripper, error) {
	tlsConfig := &tls.Config{MinVersion: tls.VersionTLS12, InsecureSkipVerify: !conn.VerifySSL} //nolint:gosec // the connection's own, documented setting
	if conn.CACertPEM != "" {
		pool, err := x509.SystemCertPool()
		if err != nil || pool == nil {
			pool = x509.NewCertPool()
		}
		if !pool.AppendCertsFromPEM([]byte(conn.CACertPEM)) {
			return nil, errors.New("ca_cert_pem holds no PEM certificate")
		}
		tlsConfig.RootCAs = pool
	}
	transport := http.DefaultTransport.(*http.Transport).Clone()
	transport.TLSClientConfig = tlsConfig
	return transport, nil
}
