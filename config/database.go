package config

import (
	"fmt"
	"net/url"
	"strings"
)

// Database kinds that WUGSYNC_DATABASE_URL can name.
const (
	DatabasePostgres = "postgres"
	DatabaseSQLite   = "sqlite"
)

// DatabaseURL is a parsed WUGSYNC_DATABASE_URL.
type DatabaseURL struct {
	Kind string // DatabasePostgres or DatabaseSQLite
	// DSN is what the driver takes: the URL itself for PostgreSQL, the file
	// path for SQLite.
	DSN string
}

// ParseDatabaseURL accepts postgres://…, postgresql://… and sqlite://PATH
// (sqlite:///abs/path for an absolute path).
func ParseDatabaseURL(raw string) (DatabaseURL, error) {
	switch {
	case strings.HasPrefix(raw, "postgres://"), strings.HasPrefix(raw, "postgresql://"):
		u, err := url.Parse(raw)
		if err != nil {
			// url.Error repeats the URL, password included, so it is not wrapped.
			return DatabaseURL{}, fmt.Errorf("unparseable PostgreSQL URL (is a character in the password not percent-encoded?)")
		}
		if u.Host == "" {
			return DatabaseURL{}, fmt.Errorf("PostgreSQL URL %q has no host", u.Redacted())
		}
		return DatabaseURL{Kind: DatabasePostgres, DSN: raw}, nil
	case strings.HasPrefix(raw, "sqlite://"):
		path := strings.TrimPrefix(raw, "sqlite://")
		if i := strings.IndexByte(path, '?'); i >= 0 {
			return DatabaseURL{}, fmt.Errorf("sqlite URL %q: query parameters are not supported (wugsync sets WAL and busy timeout itself)", raw)
		}
		if path == "" {
			return DatabaseURL{}, fmt.Errorf("sqlite URL %q has no file path (e.g. sqlite://wugsync.db)", raw)
		}
		return DatabaseURL{Kind: DatabaseSQLite, DSN: path}, nil
	}
	scheme := raw
	if i := strings.Index(raw, "://"); i >= 0 {
		scheme = raw[:i]
	}
	return DatabaseURL{}, fmt.Errorf("unsupported database %q: use postgres://… or sqlite://PATH", scheme)
}
