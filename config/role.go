package config

import "fmt"

// Role is what one subcommand needs from configuration beyond what every
// role reads. CheckRole turns a missing need into an *Error naming the
// variable, before the role connects to anything.
type Role struct {
	// Name is the subcommand ("api", "worker"), quoted in messages.
	Name string
	// Redis: a configured WUGSYNC_REDIS_URL; only "all" and "demo" fall back
	// to an embedded Redis.
	Redis bool
	// NetBox: WUGSYNC_NETBOX_URL and WUGSYNC_NETBOX_TOKEN.
	NetBox bool
	// APIToken: at least one WUGSYNC_API_TOKEN ("all" and "demo" generate one).
	APIToken bool
	// SecretKey: the role opens stored WUG passwords, which on PostgreSQL
	// needs WUGSYNC_SECRET_KEY (SQLite keeps a generated key file).
	SecretKey bool
}

// The roles of DESIGN.md §2, each with what it needs.
var (
	RoleAPI       = Role{Name: "api", Redis: true, APIToken: true, SecretKey: true}
	RoleWorker    = Role{Name: "worker", Redis: true, NetBox: true, SecretKey: true}
	RoleScheduler = Role{Name: "scheduler", Redis: true}
	RoleAll       = Role{Name: "all", NetBox: true, SecretKey: true}
	// RoleDemo brings its own NetBox.
	RoleDemo    = Role{Name: "demo", SecretKey: true}
	RoleMigrate = Role{Name: "migrate"}
)

// CheckRole returns every need of role that c does not meet, as Errors (nil
// when none). Variables that already have a problem in known are left out,
// so one variable is never reported twice.
func (c Config) CheckRole(role Role, known Errors) error {
	var problems Errors
	add := func(variable, problem string) {
		if !known.Has(variable) && !problems.Has(variable) {
			problems = append(problems, &Error{Variable: variable, Problem: problem})
		}
	}
	if role.Redis && c.RedisURL == "" {
		add(EnvRedisURL, fmt.Sprintf("required by %q (only \"all\" and \"demo\" fall back to an embedded Redis)", role.Name))
	}
	if role.NetBox {
		if c.NetBoxURL == "" {
			add(EnvNetBoxURL, "required: the NetBox to read (e.g. https://netbox.example.com)")
		}
		if c.NetBoxToken == "" {
			add(EnvNetBoxToken, "required: a NetBox API token with read access to dcim and ipam")
		}
	}
	if role.APIToken && len(c.APITokens) == 0 {
		add(EnvAPIToken, fmt.Sprintf(`required by %q (generate one with: openssl rand -hex 32); only "all" and "demo" make their own`, role.Name))
	}
	if role.SecretKey && c.SecretKey == "" {
		if db, err := ParseDatabaseURL(c.DatabaseURL); err == nil && db.Kind == DatabasePostgres {
			add(EnvSecretKey, fmt.Sprintf("required by %q with PostgreSQL: it encrypts the stored WUG passwords (generate one with: openssl rand -hex 32)", role.Name))
		}
	}
	return problems.orNil()
}

// LoadRole reads configuration through lookup and checks it for role: every
// problem, of any variable, comes back at once as Errors.
func LoadRole(lookup LookupFunc, role Role) (Config, error) {
	cfg, err := Load(lookup)
	known := Problems(err)
	if roleErr := cfg.CheckRole(role, known); roleErr != nil {
		known = append(known, Problems(roleErr)...)
	}
	return cfg, known.orNil()
}
