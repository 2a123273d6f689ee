package netbox

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/sirupsen/logrus"

	"github.com/wugsync/wugsync/internal/buildinfo"
)

// Token schemes for Config.TokenScheme.
const (
	// SchemeToken is "Authorization: Token <key>", the only scheme before
	// 4.5 and the v1 scheme after.
	SchemeToken = "Token"
	// SchemeBearer is "Authorization: Bearer nbt_<key>.<secret>", the v2
	// scheme of 4.5+.
	SchemeBearer = "Bearer"
)

// PagingMode selects how list calls walk through results.
type PagingMode int

const (
	// PagingKeyset pages with ordering=id&id__gte=<last+1>: stable under
	// concurrent inserts and deletes, and O(page) for the database. Default.
	PagingKeyset PagingMode = iota
	// PagingOffset follows NetBox's limit/offset "next" links. It exists for
	// servers or proxies that mishandle the keyset parameters.
	PagingOffset
)

// Defaults applied by New when the Config leaves a field zero.
const (
	DefaultTimeout      = 30 * time.Second
	DefaultMaxRetries   = 3
	DefaultRetryBackoff = 500 * time.Millisecond
	// DefaultPageSize is NetBox's default MAX_PAGE_SIZE, the largest page it
	// serves.
	DefaultPageSize = 1000
)

// Config configures a Client. Only URL is required.
type Config struct {
	// URL is the NetBox base URL, e.g. "https://netbox.example.com" or
	// "https://example.com/netbox/" with a BASE_PATH. A trailing "api/" is
	// accepted and dropped.
	URL string
	// Token is the API token: a 40-character v1 key or a 4.5+ v2 token
	// "nbt_<key>.<secret>". Empty sends no Authorization header (for a
	// NetBox with LOGIN_REQUIRED=False).
	Token string
	// TokenScheme is "" to choose from the token's form (nbt_ → Bearer,
	// otherwise Token), or SchemeToken / SchemeBearer to force one.
	TokenScheme string
	// Timeout bounds each HTTP attempt, body included. Default 30 s.
	Timeout time.Duration
	// InsecureSkipVerify turns TLS certificate verification off. Off by
	// default; meant for labs with self-signed certificates.
	InsecureSkipVerify bool
	// CACertPEM adds PEM-encoded CA certificates to the system pool, for a
	// NetBox behind a private CA.
	CACertPEM []byte
	// MaxRetries is how many times a failed attempt (network error, timeout,
	// 5xx, 429) is retried. 0 means DefaultMaxRetries; negative disables
	// retries.
	MaxRetries int
	// RetryBackoff is the first retry delay; it doubles per attempt (with
	// jitter) up to 30 s. A Retry-After header takes precedence. Default
	// 500 ms.
	RetryBackoff time.Duration
	// PageSize is the limit sent on list calls. Default and maximum 1000;
	// NetBox caps it at its MAX_PAGE_SIZE anyway.
	PageSize int
	// Paging selects keyset (default) or offset paging.
	Paging PagingMode
	// HTTPClient replaces the client New builds. When set, the TLS options
	// above must be left empty: configure them on its transport instead.
	HTTPClient *http.Client
	// Logger receives retry warnings and the server's API-Version. Nil
	// discards them.
	Logger logrus.FieldLogger
	// UserAgent is sent on every request. Default "wugsync/<version>"
	// (buildinfo.UserAgent).
	UserAgent string
	// Limiter gates every HTTP attempt, retries included, so that a caller
	// can hold all processes to one request rate per NetBox. Nil means no
	// limit.
	Limiter Limiter
}

// Limiter gates the requests a Client sends, like the WUG client's: Acquire
// blocks until the request may go and returns a release func called when the
// exchange is over. An error from Acquire fails the request, wrapped with %w.
type Limiter interface {
	Acquire(ctx context.Context, op string) (release func(), err error)
}

// settings is a validated Config with defaults applied.
type settings struct {
	base         *url.URL
	server       string
	authHeader   string
	timeout      time.Duration
	maxRetries   int
	retryBackoff time.Duration
	pageSize     int
	paging       PagingMode
	httpClient   *http.Client
	log          logrus.FieldLogger
	userAgent    string
	limiter      Limiter
}

func (cfg Config) settings() (settings, error) {
	base, err := parseBaseURL(cfg.URL)
	if err != nil {
		return settings{}, err
	}
	auth, err := authorizationHeader(cfg.Token, cfg.TokenScheme)
	if err != nil {
		return settings{}, err
	}
	s := settings{
		base:         base,
		server:       strings.TrimSuffix(base.String(), "/"),
		authHeader:   auth,
		timeout:      orDefault(cfg.Timeout, DefaultTimeout),
		maxRetries:   cfg.MaxRetries,
		retryBackoff: orDefault(cfg.RetryBackoff, DefaultRetryBackoff),
		pageSize:     cfg.PageSize,
		paging:       cfg.Paging,
		log:          cfg.Logger,
		userAgent:    cfg.UserAgent,
		limiter:      cfg.Limiter,
	}
	switch {
	case s.maxRetries == 0:
		s.maxRetries = DefaultMaxRetries
	case s.maxRetries < 0:
		s.maxRetries = 0
	}
	if s.pageSize <= 0 || s.pageSize > DefaultPageSize {
		s.pageSize = DefaultPageSize
	}
	if s.paging != PagingKeyset && s.paging != PagingOffset {
		return settings{}, fmt.Errorf("netbox config: unknown paging mode %d: %w", s.paging, ErrConfig)
	}
	if s.log == nil {
		l := logrus.New()
		l.SetOutput(io.Discard)
		s.log = l
	}
	if s.userAgent == "" {
		s.userAgent = buildinfo.UserAgent()
	}
	s.httpClient, err = buildHTTPClient(cfg)
	if err != nil {
		return settings{}, err
	}
	return s, nil
}

// parseBaseURL normalises the NetBox URL to the site root with a trailing
// slash, so "api/..." paths resolve under any BASE_PATH.
func parseBaseURL(raw string) (*url.URL, error) {
	raw = strings.TrimSpace(raw)
	if raw == "" {
		return nil, fmt.Errorf("netbox config: URL is empty: %w", ErrConfig)
	}
	u, err := url.Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("netbox config: URL %q: %v: %w", raw, err, ErrConfig)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return nil, fmt.Errorf("netbox config: URL %q must start with http:// or https://: %w", raw, ErrConfig)
	}
	if u.Host == "" {
		return nil, fmt.Errorf("netbox config: URL %q has no host: %w", raw, ErrConfig)
	}
	if u.User != nil {
		return nil, fmt.Errorf("netbox config: URL must not embed credentials, use the token: %w", ErrConfig)
	}
	u.RawQuery, u.Fragment = "", ""
	p := strings.TrimSuffix(u.Path, "/")
	p = strings.TrimSuffix(p, "/api")
	u.Path = p + "/"
	u.RawPath = ""
	return u, nil
}

// authorizationHeader picks the scheme from the token's form: v2 tokens
// start with "nbt_" and need Bearer; v1 keys use Token. NetBox before 4.5
// ignores Bearer entirely, so guessing wrong would look like a bad token.
func authorizationHeader(token, scheme string) (string, error) {
	token = strings.TrimSpace(token)
	if token == "" {
		if scheme != "" {
			return "", fmt.Errorf("netbox config: token scheme %q set but token is empty: %w", scheme, ErrConfig)
		}
		return "", nil
	}
	if strings.ContainsAny(token, " \t\r\n") {
		return "", fmt.Errorf("netbox config: token must not contain whitespace: %w", ErrConfig)
	}
	switch {
	case scheme == "" && strings.HasPrefix(token, "nbt_"):
		scheme = SchemeBearer
	case scheme == "":
		scheme = SchemeToken
	case strings.EqualFold(scheme, SchemeToken):
		scheme = SchemeToken
	case strings.EqualFold(scheme, SchemeBearer):
		scheme = SchemeBearer
	default:
		return "", fmt.Errorf("netbox config: token scheme %q: want %q or %q: %w", scheme, SchemeToken, SchemeBearer, ErrConfig)
	}
	return scheme + " " + token, nil
}

func buildHTTPClient(cfg Config) (*http.Client, error) {
	if cfg.HTTPClient != nil {
		if cfg.InsecureSkipVerify || len(cfg.CACertPEM) > 0 {
			return nil, fmt.Errorf("netbox config: set TLS options on the custom HTTPClient, not in Config: %w", ErrConfig)
		}
		return cfg.HTTPClient, nil
	}
	tlsConfig := &tls.Config{MinVersion: tls.VersionTLS12}
	if cfg.InsecureSkipVerify {
		tlsConfig.InsecureSkipVerify = true //nolint:gosec // explicit operator opt-in for lab servers
	}
	if len(cfg.CACertPEM) > 0 {
		pool, err := x509.SystemCertPool()
		if err != nil || pool == nil {
			pool = x509.NewCertPool()
		}
		if !pool.AppendCertsFromPEM(cfg.CACertPEM) {
			return nil, fmt.Errorf("netbox config: CA certificate PEM contains no certificate: %w", ErrConfig)
		}
		tlsConfig.RootCAs = pool
	}
	transport := http.DefaultTransport.(*http.Transport).Clone()
	transport.TLSClientConfig = tlsConfig
	transport.MaxIdleConnsPerHost = 16
	// No Client.Timeout: each attempt gets a context deadline instead, so
	// the caller's context and the per-attempt timeout compose.
	return &http.Client{Transport: transport}, nil
}

func orDefault(d, def time.Duration) time.Duration {
	if d <= 0 {
		return def
	}
	return d
}
