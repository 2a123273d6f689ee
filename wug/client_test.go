package wug

import (
	"crypto/tls"
	"encoding/pem"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/wugsync/wugsync/sim/wugsim"
)

func TestNewRejectsBadConfig(t *testing.T) {
	t.Parallel()
	valid := Config{Name: "lab", BaseURL: "https://wug:9644", Username: "u", Password: "p"}
	cases := []struct {
		name   string
		change func(*Config)
		want   string
	}{
		{"no base URL", func(c *Config) { c.BaseURL = "" }, "base URL is required"},
		{"wrong scheme", func(c *Config) { c.BaseURL = "ftp://wug" }, "scheme must be https or http"},
		{"no host", func(c *Config) { c.BaseURL = "https://" }, "host is missing"},
		{"credentials in URL", func(c *Config) { c.BaseURL = "https://u:secret@wug:9644" }, "credentials belong in username and password"},
		{"query in URL", func(c *Config) { c.BaseURL = "https://wug:9644/?x=1" }, "must not have a query"},
		{"no username", func(c *Config) { c.Username = "" }, "username is required"},
		{"no password", func(c *Config) { c.Password = "" }, "password is required"},
		{"negative timeout", func(c *Config) { c.Timeout = -time.Second }, "timeout must not be negative"},
		{"CA without a certificate", func(c *Config) { c.CACertPEM = []byte("not pem") }, "no PEM certificate found"},
		{"TLS options with own client", func(c *Config) { c.HTTPClient = &http.Client{}; c.InsecureSkipVerify = true }, "cannot be combined"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			cfg := valid
			tc.change(&cfg)
			_, err := New(cfg)
			require.ErrorContains(t, err, tc.want)
			require.ErrorContains(t, err, `wug config "lab"`)
			require.NotContains(t, err.Error(), "secret")
		})
	}
}

func TestNewNormalizesBaseURL(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"https://wug:9644":            "https://wug:9644",
		"https://wug:9644/":           "https://wug:9644",
		" https://wug:9644/api/v1/ ":  "https://wug:9644",
		"http://10.0.0.5:9644/api/v1": "http://10.0.0.5:9644",
	} {
		c, err := New(Config{BaseURL: in, Username: "u", Password: "p"})
		require.NoError(t, err, in)
		require.Equal(t, want, c.BaseURL(), in)
		require.Equal(t, want, c.Name(), "an unnamed connection is named by its URL")
	}
}

// tlsBundle serves the simulator over HTTPS with httptest's self-signed certificate.
func tlsBundle(t *testing.T) (*httptest.Server, []byte) {
	t.Helper()
	sim := wugsim.New(wugsim.Options{Users: map[string]string{testUser: testPassword}})
	srv := httptest.NewUnstartedServer(sim)
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // refused handshakes are the point of some tests
	srv.StartTLS()
	t.Cleanup(srv.Close)
	certPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw})
	return srv, certPEM
}

func TestTLSIsVerifiedByDefault(t *testing.T) {
	t.Parallel()
	srv, _ := tlsBundle(t)
	c, err := New(Config{Name: "tls", BaseURL: srv.URL, Username: testUser, Password: testPassword})
	require.NoError(t, err)
	_, err = c.ProductVersion(t.Context())
	require.ErrorIs(t, err, ErrUnavailable)
	var certErr *tls.CertificateVerificationError
	require.ErrorAs(t, err, &certErr, "a self-signed certificate is refused unless trusted")
}

func TestTLSWithCustomCA(t *testing.T) {
	t.Parallel()
	srv, certPEM := tlsBundle(t)
	c, err := New(Config{Name: "tls", BaseURL: srv.URL, Username: testUser, Password: testPassword, CACertPEM: certPEM})
	require.NoError(t, err)
	info, err := c.ProductVersion(t.Context())
	require.NoError(t, err)
	require.Equal(t, wugsim.DefaultVersion, info.Version)
}

func TestTLSVerificationCanBeSkipped(t *testing.T) {
	t.Parallel()
	srv, _ := tlsBundle(t)
	c, err := New(Config{Name: "tls", BaseURL: srv.URL, Username: testUser, Password: testPassword, InsecureSkipVerify: true})
	require.NoError(t, err)
	_, err = c.ProductVersion(t.Context())
	require.NoError(t, err)
}

func TestSimulatorSelfSignedCertificateIsTrustedThroughCACertPEM(t *testing.T) {
	t.Parallel()
	tlsConfig, certPEM, err := wugsim.SelfSignedTLS("127.0.0.1")
	require.NoError(t, err)
	srv := httptest.NewUnstartedServer(wugsim.New(wugsim.Options{Users: map[string]string{testUser: testPassword}}))
	srv.TLS = tlsConfig
	srv.StartTLS()
	t.Cleanup(srv.Close)
	c, err := New(Config{Name: "tls", BaseURL: srv.URL, Username: testUser, Password: testPassword, CACertPEM: certPEM})
	require.NoError(t, err)
	_, err = c.ProductVersion(t.Context())
	require.NoError(t, err)
}
