// Package config reads wugsync's WUGSYNC_* environment variables into one
// typed, validated struct. Every process role reads the same struct so that a
// variable means the same thing whichever subcommand is started.
package config

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"os"
	"strconv"
	"strings"

	"github.com/sirupsen/logrus"
)

// Names of the environment variables of DESIGN.md §2. Other programs and
// deployment manifests rely on these exact names.
const (
	EnvHTTPAddr          = "WUGSYNC_HTTP_ADDR"
	EnvRedisURL          = "WUGSYNC_REDIS_URL"
	EnvDatabaseURL       = "WUGSYNC_DATABASE_URL"
	EnvNetBoxURL         = "WUGSYNC_NETBOX_URL"
	EnvNetBoxToken       = "WUGSYNC_NETBOX_TOKEN"
	EnvAPIToken          = "WUGSYNC_API_TOKEN"
	EnvWebhookSecret     = "WUGSYNC_WEBHOOK_SECRET"
	EnvMetricsToken      = "WUGSYNC_METRICS_TOKEN"
	EnvSecretKey         = "WUGSYNC_SECRET_KEY"
	EnvLogLevel          = "WUGSYNC_LOG_LEVEL"
	EnvLogFormat         = "WUGSYNC_LOG_FORMAT"
	EnvWorkerConcurrency = "WUGSYNC_WORKER_CONCURRENCY"
	EnvConnectionDeny    = "WUGSYNC_CONNECTION_DENY"
	EnvNetBoxRateLimit   = "WUGSYNC_NETBOX_RATE_LIMIT"
	EnvRetentionDays     = "WUGSYNC_RETENTION_DAYS"
	EnvAttemptsPerRow    = "WUGSYNC_ATTEMPTS_PER_ROW"
)

// Variables lists every environment variable wugsync reads, in the order of
// DESIGN.md §2. Deployment tests use it to reject misspelt variables.
func Variables() []string {
	return []string{
		EnvHTTPAddr, EnvRedisURL, EnvDatabaseURL, EnvNetBoxURL, EnvNetBoxToken,
		EnvAPIToken, EnvWebhookSecret, EnvMetricsToken, EnvSecretKey,
		EnvLogLevel, EnvLogFormat, EnvWorkerConcurrency, EnvConnectionDeny, EnvNetBoxRateLimit,
		EnvRetentionDays, EnvAttemptsPerRow,
	}
}

// MinTokenLength is the shortest API or metrics token accepted: anything
// shorter can be guessed.
const MinTokenLength = 16

// Defaults that apply when a variable is unset.
const (
	DefaultHTTPAddr          = ":8080"
	DefaultDatabaseURL       = "sqlite://wugsync.db"
	DefaultWorkerConcurrency = 20
	// DefaultNetBoxRateLimit is the requests per second every process
	// together sends to NetBox (DESIGN.md §10).
	DefaultNetBoxRateLimit = 10
	// DefaultConnectionDeny are the addresses no WUG connection may reach:
	// link-local (where clouds serve instance metadata and credentials)
	// and AWS's IPv6 metadata address.
	DefaultConnectionDeny = "169.254.0.0/16,fe80::/10,fd00:ec2::254/128"
	// ConnectionDenyNone turns the connection deny list off.
	ConnectionDenyNone = "none"
	// DefaultRetentionDays is how long finished runs and their plans are
	// kept (0 keeps them forever).
	DefaultRetentionDays = 30
	// DefaultAttemptsPerRow is how many of its latest failed attempts a
	// row's history keeps (0 keeps all); the row counts every attempt.
	DefaultAttemptsPerRow = 20
)

// Config is the whole process configuration. Secrets are kept as plain
// strings here but are never logged: use Redacted for anything printed.
type Config struct {
	HTTPAddr          string
	RedisURL          string // empty: none configured
	DatabaseURL       string
	NetBoxURL         string
	NetBoxToken       string
	APITokens         []string
	WebhookSecret     string
	MetricsToken      string
	SecretKey         string
	LogLevel          logrus.Level
	LogFormat         string // "json" or "text"
	WorkerConcurrency int
	// NetBoxRateLimit is WUGSYNC_NETBOX_RATE_LIMIT: requests per second to
	// NetBox, shared by every process through Redis.
	NetBoxRateLimit int
	// ConnectionDeny are the networks WUG connections may not reach (the
	// connection test and the workers check every address they dial).
	ConnectionDeny []netip.Prefix
	// RetentionDays: the sweep prunes finished runs, with their plans and
	// attempts, created longer ago; 0 keeps them forever.
	RetentionDays int
	// AttemptsPerRow is how many attempts each row's history keeps; 0
	// keeps all.
	AttemptsPerRow int
}

// LookupFunc reads one variable; os.LookupEnv in production, a map in tests.
type LookupFunc func(string) (string, bool)

// Load reads and validates configuration through lookup. It checks every
// variable and returns every problem at once, as Errors (one *Error per
// variable), so a person fixes them in one go instead of one per start. The
// Config holds the defaults in place of the faulty values.
func Load(lookup LookupFunc) (Config, error) {
	get := func(name string) string {
		v, _ := lookup(name)
		return strings.TrimSpace(v)
	}
	cfg := Config{
		HTTPAddr:          orDefault(get(EnvHTTPAddr), DefaultHTTPAddr),
		RedisURL:          get(EnvRedisURL),
		DatabaseURL:       orDefault(get(EnvDatabaseURL), DefaultDatabaseURL),
		NetBoxURL:         get(EnvNetBoxURL),
		NetBoxToken:       get(EnvNetBoxToken),
		APITokens:         splitList(get(EnvAPIToken)),
		WebhookSecret:     get(EnvWebhookSecret),
		MetricsToken:      get(EnvMetricsToken),
		SecretKey:         get(EnvSecretKey),
		LogLevel:          logrus.InfoLevel,
		WorkerConcurrency: DefaultWorkerConcurrency,
		NetBoxRateLimit:   DefaultNetBoxRateLimit,
		RetentionDays:     DefaultRetentionDays,
		AttemptsPerRow:    DefaultAttemptsPerRow,
	}
	var problems Errors
	fail := func(variable string, err error) {
		problems = append(problems, &Error{Variable: variable, Problem: err.Error()})
	}
	if err := validateListenAddr(cfg.HTTPAddr); err != nil {
		fail(EnvHTTPAddr, err)
		cfg.HTTPAddr = DefaultHTTPAddr
	}
	if cfg.RedisURL != "" {
		if err := ValidateRedisURL(cfg.RedisURL); err != nil {
			fail(EnvRedisURL, err)
		}
	}
	if _, err := ParseDatabaseURL(cfg.DatabaseURL); err != nil {
		fail(EnvDatabaseURL, err)
	}
	if cfg.NetBoxURL != "" {
		if err := validateHTTPURL(cfg.NetBoxURL); err != nil {
			fail(EnvNetBoxURL, err)
		}
	}
	if strings.ContainsAny(cfg.NetBoxToken, " \t\r\n") {
		fail(EnvNetBoxToken, errors.New("contains whitespace: give the token alone, without \"Token \" or \"Bearer \""))
	}
	for _, tok := range cfg.APITokens {
		if len(tok) < MinTokenLength {
			fail(EnvAPIToken, fmt.Errorf("each token must be at least %d characters", MinTokenLength))
			break
		}
	}
	if cfg.MetricsToken != "" && len(cfg.MetricsToken) < MinTokenLength {
		fail(EnvMetricsToken, fmt.Errorf("must be at least %d characters (generate one with: openssl rand -hex 32)", MinTokenLength))
	}
	if cfg.SecretKey != "" {
		if _, err := DecodeSecretKey(cfg.SecretKey); err != nil {
			fail(EnvSecretKey, err)
		}
	}
	if level := get(EnvLogLevel); level != "" {
		l, err := parseLevel(level)
		if err != nil {
			fail(EnvLogLevel, err)
		} else {
			cfg.LogLevel = l
		}
	}
	switch format := strings.ToLower(get(EnvLogFormat)); format {
	case "":
		cfg.LogFormat = defaultLogFormat()
	case "json", "text":
		cfg.LogFormat = format
	default:
		cfg.LogFormat = defaultLogFormat()
		fail(EnvLogFormat, fmt.Errorf("unknown format %q (want json or text)", format))
	}

	deny := orDefault(get(EnvConnectionDeny), DefaultConnectionDeny)
	if prefixes, err := ParseConnectionDeny(deny); err != nil {
		fail(EnvConnectionDeny, err)
	} else {
		cfg.ConnectionDeny = prefixes
	}

	if v := get(EnvWorkerConcurrency); v != "" {
		n, err := strconv.Atoi(v)
		switch {
		case err != nil:
			fail(EnvWorkerConcurrency, fmt.Errorf("%q is not a whole number", v))
		case n < 1 || n > 1000:
			fail(EnvWorkerConcurrency, fmt.Errorf("%d is out of range (1 to 1000)", n))
		default:
			cfg.WorkerConcurrency = n
		}
	}
	if v := get(EnvNetBoxRateLimit); v != "" {
		n, err := strconv.Atoi(v)
		switch {
		case err != nil:
			fail(EnvNetBoxRateLimit, fmt.Errorf("%q is not a whole number of requests per second", v))
		case n < 1 || n > 10000:
			fail(EnvNetBoxRateLimit, fmt.Errorf("%d is out of range (1 to 10000 requests per second)", n))
		default:
			cfg.NetBoxRateLimit = n
		}
	}
	if v := get(EnvRetentionDays); v != "" {
		if n, err := wholeNumber(v, 0, 36500); err != nil {
			fail(EnvRetentionDays, fmt.Errorf("%w (days; 0 keeps runs forever)", err))
		} else {
			cfg.RetentionDays = n
		}
	}
	if v := get(EnvAttemptsPerRow); v != "" {
		if n, err := wholeNumber(v, 0, 10000); err != nil {
			fail(EnvAttemptsPerRow, fmt.Errorf("%w (0 keeps every attempt)", err))
		} else {
			cfg.AttemptsPerRow = n
		}
	}
	return cfg, problems.orNil()
}

// wholeNumber reads an integer setting within [lo, hi].
func wholeNumber(v string, lo, hi int) (int, error) {
	n, err := strconv.Atoi(v)
	if err != nil {
		return 0, fmt.Errorf("%q is not a whole number", v)
	}
	if n < lo || n > hi {
		return 0, fmt.Errorf("%d is out of range (%d to %d)", n, lo, hi)
	}
	return n, nil
}

// ParseConnectionDeny reads a WUGSYNC_CONNECTION_DENY value: CIDRs or
// single addresses, comma-separated, or "none" for an empty list.
func ParseConnectionDeny(v string) ([]netip.Prefix, error) {
	if strings.EqualFold(strings.TrimSpace(v), ConnectionDenyNone) {
		return []netip.Prefix{}, nil
	}
	out := []netip.Prefix{}
	for _, item := range splitList(v) {
		if p, err := netip.ParsePrefix(item); err == nil {
			out = append(out, p.Masked())
			continue
		}
		addr, err := netip.ParseAddr(item)
		if err != nil || addr.Zone() != "" {
			return nil, fmt.Errorf("%q is not a CIDR (e.g. 169.254.0.0/16) or an IP address; use %q to deny nothing", item, ConnectionDenyNone)
		}
		out = append(out, netip.PrefixFrom(addr, addr.BitLen()))
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("names no network; use %q to deny nothing", ConnectionDenyNone)
	}
	return out, nil
}

// RequireRedis returns an error naming WUGSYNC_REDIS_URL when no Redis is
// configured; api, worker and scheduler cannot share work without one.
func (c Config) RequireRedis(role string) error {
	return c.CheckRole(Role{Name: role, Redis: true}, nil)
}

// RequireNetBox returns an error naming the missing NetBox variable.
func (c Config) RequireNetBox() error {
	return c.CheckRole(Role{NetBox: true}, nil)
}

func orDefault(v, def string) string {
	if v == "" {
		return def
	}
	return v
}

func splitList(v string) []string {
	var out []string
	for _, p := range strings.Split(v, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

func parseLevel(v string) (logrus.Level, error) {
	switch strings.ToLower(v) {
	case "debug":
		return logrus.DebugLevel, nil
	case "info":
		return logrus.InfoLevel, nil
	case "warn", "warning":
		return logrus.WarnLevel, nil
	case "error":
		return logrus.ErrorLevel, nil
	}
	return 0, fmt.Errorf("unknown level %q (want debug, info, warn or error)", v)
}

func validateListenAddr(addr string) error {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("%q is not host:port (e.g. :8080)", addr)
	}
	if host != "" && net.ParseIP(host) == nil && strings.ContainsAny(host, "/ ") {
		return fmt.Errorf("%q has an invalid host", addr)
	}
	n, err := strconv.Atoi(port)
	if err != nil || n < 0 || n > 65535 {
		return fmt.Errorf("%q has an invalid port", addr)
	}
	return nil
}

func validateHTTPURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil {
		return fmt.Errorf("unparseable URL: %v", err)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return fmt.Errorf("%q must start with http:// or https://", raw)
	}
	if u.Host == "" {
		return fmt.Errorf("%q has no host", raw)
	}
	return nil
}

// ValidateRedisURL accepts the forms asynq understands: redis://, rediss://,
// redis-socket:// and redis-sentinel://.
func ValidateRedisURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil {
		// url.Error repeats the URL, password included, so it is not wrapped.
		return fmt.Errorf("unparseable URL (is a character in the password not percent-encoded?)")
	}
	switch u.Scheme {
	case "redis", "rediss", "redis-sentinel":
		if u.Host == "" {
			return fmt.Errorf("%q has no host", redactURL(raw))
		}
	case "redis-socket":
		if u.Path == "" {
			return fmt.Errorf("%q has no socket path", redactURL(raw))
		}
	default:
		return fmt.Errorf("scheme %q is not redis://, rediss://, redis-socket:// or redis-sentinel://", u.Scheme)
	}
	return nil
}

// redactURL hides a password in a URL so validation errors are safe to log.
func redactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "<unparseable>"
	}
	return u.Redacted()
}

func defaultLogFormat() string {
	if fi, err := os.Stderr.Stat(); err == nil && fi.Mode()&os.ModeCharDevice != 0 {
		return "text"
	}
	return "json"
}
