package wug

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// DefaultTimeout bounds every HTTP exchange when Config.Timeout is zero.
const DefaultTimeout = 30 * time.Second

// Limiter gates every HTTP request the client sends, token requests included, so that a
// caller can enforce a per-server rate limit or concurrency cap shared by many processes.
// Acquire blocks until the request may go and returns a release func called when the
// exchange is over. An error from Acquire is returned to the caller, wrapped with %w.
type Limiter interface {
	Acquire(ctx context.Context, op string) (release func(), err error)
}

// Config describes one WUG connection.
type Config struct {
	// Name identifies the connection in error messages and logs.
	Name string
	// BaseURL is the server's root, e.g. "https://wug.example.net:9644". A trailing
	// "/api/v1" is accepted and ignored.
	BaseURL string
	// Username and Password are the WUG API credentials (password grant).
	Username string
	Password string
	// InsecureSkipVerify turns TLS certificate verification off. WUG servers often use a
	// self-signed certificate; prefer CACertPEM.
	InsecureSkipVerify bool
	// CACertPEM adds PEM certificates to the system roots, for a private CA or a pinned
	// self-signed server certificate.
	CACertPEM []byte
	// Timeout bounds each HTTP exchange, body included; zero means DefaultTimeout.
	Timeout time.Duration
	// Limiter gates every request; nil means no limit.
	Limiter Limiter
	// Observer, when set, is called after every HTTP exchange with its operation name,
	// duration and error (nil on success). It must be fast and safe for concurrent use.
	Observer func(op string, d time.Duration, err error)
	// HTTPClient replaces the client built from the TLS options. Its Timeout is ignored in
	// favour of Config.Timeout, and Deny does not apply to it.
	HTTPClient *http.Client
	// Deny lists the networks the client refuses to connect to, checked on every address
	// it dials after resolution. Nil means the process default (SetDefaultDenyList, else
	// DefaultDenyList); an empty list denies nothing.
	Deny *DenyList
}

// Client talks to one WUG server. It is safe for concurrent use; share one per connection so
// that every request of the process uses the same token.
type Client struct {
	name    string
	baseURL string // scheme://host:port, no trailing slash
	http    *http.Client
	timeout time.Duration
	limiter Limiter
	observe func(op string, d time.Duration, err error)
	tokens  *tokenSource
	rides   templateRides // template requests open to JoinTemplates
	now     func() time.Time
}

// New validates cfg and returns a client. It does not contact the server: the first call
// logs in.
func New(cfg Config) (*Client, error) {
	base, err := normalizeBaseURL(cfg.BaseURL)
	if err != nil {
		return nil, fmt.Errorf("wug config %q: %w", cfg.Name, err)
	}
	if cfg.Username == "" {
		return nil, fmt.Errorf("wug config %q: username is required", cfg.Name)
	}
	if cfg.Password == "" {
		return nil, fmt.Errorf("wug config %q: password is required", cfg.Name)
	}
	if cfg.Timeout < 0 {
		return nil, fmt.Errorf("wug config %q: timeout must not be negative, got %s", cfg.Name, cfg.Timeout)
	}
	httpClient := cfg.HTTPClient
	if httpClient == nil {
		httpClient, err = newHTTPClient(cfg)
		if err != nil {
			return nil, fmt.Errorf("wug config %q: %w", cfg.Name, err)
		}
	} else if cfg.InsecureSkipVerify || len(cfg.CACertPEM) > 0 {
		return nil, fmt.Errorf("wug config %q: TLS options cannot be combined with a custom HTTPClient; configure its transport instead", cfg.Name)
	}
	timeout := cfg.Timeout
	if timeout == 0 {
		timeout = DefaultTimeout
	}
	name := cfg.Name
	if name == "" {
		name = base
	}
	c := &Client{
		name:    name,
		baseURL: base,
		http:    httpClient,
		timeout: timeout,
		limiter: cfg.Limiter,
		observe: cfg.Observer,
		now:     time.Now,
	}
	c.tokens = &tokenSource{client: c, username: cfg.Username, password: cfg.Password}
	return c, nil
}

// Name returns the connection name used in errors.
func (c *Client) Name() string { return c.name }

// BaseURL returns the normalised server root, e.g. "https://wug:9644".
func (c *Client) BaseURL() string { return c.baseURL }

func normalizeBaseURL(raw string) (string, error) {
	raw = strings.TrimSpace(raw)
	if raw == "" {
		return "", errors.New("base URL is required")
	}
	u, err := url.Parse(raw)
	if err != nil {
		return "", fmt.Errorf("base URL %q: %w", raw, err)
	}
	if u.Scheme != "https" && u.Scheme != "http" {
		return "", fmt.Errorf("base URL %q: scheme must be https or http", raw)
	}
	if u.Host == "" {
		return "", fmt.Errorf("base URL %q: host is missing", raw)
	}
	if u.User != nil {
		return "", fmt.Errorf("base URL %q: credentials belong in username and password, not the URL", u.Redacted())
	}
	if u.RawQuery != "" || u.Fragment != "" {
		return "", fmt.Errorf("base URL %q: must not have a query or fragment", raw)
	}
	path := strings.TrimRight(u.Path, "/")
	path = strings.TrimSuffix(path, "/api/v1")
	return u.Scheme + "://" + u.Host + strings.TrimRight(path, "/"), nil
}

func newHTTPClient(cfg Config) (*http.Client, error) {
	tlsConfig := &tls.Config{MinVersion: tls.VersionTLS12, InsecureSkipVerify: cfg.InsecureSkipVerify} //nolint:gosec // opt-in, documented
	if len(cfg.CACertPEM) > 0 {
		pool, err := x509.SystemCertPool()
		if err != nil || pool == nil {
			pool = x509.NewCertPool()
		}
		if !pool.AppendCertsFromPEM(cfg.CACertPEM) {
			return nil, errors.New("CA certificate: no PEM certificate found")
		}
		tlsConfig.RootCAs = pool
	}
	transport := http.DefaultTransport.(*http.Transport).Clone()
	transport.TLSClientConfig = tlsConfig
	transport.MaxIdleConnsPerHost = 64
	deny := defaultDeny()
	if cfg.Deny != nil {
		deny = *cfg.Deny
	}
	deny.guard(transport)
	return &http.Client{
		Transport: transport,
		// WUG never redirects API calls; following one would send the token elsewhere.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}, nil
}
