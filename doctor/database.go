package doctor

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/wugsync/wugsync/config"
	"github.com/wugsync/wugsync/internal/process"
	"github.com/wugsync/wugsync/models"
)

// fixMigrate is the fix for a database without the current schema.
const fixMigrate = "run `wugsync migrate` (`wugsync all` and `demo` migrate at start)"

// database checks that the database answers, that its schema is the one
// this binary expects, and that the secret key opens every stored
// password. It keeps the connections for the NetBox and WUG checks.
func (r *run) database(ctx context.Context) {
	cfg := r.p.Config
	s := r.section("Database " + process.DescribeDatabase(cfg.DatabaseURL))
	parsed, err := config.ParseDatabaseURL(cfg.DatabaseURL)
	if err != nil || r.invalid(config.EnvDatabaseURL) {
		r.dbErr = config.EnvDatabaseURL + " is invalid (see Configuration)"
		s.skip("reachable", "not checked: "+r.dbErr, "")
		return
	}
	if parsed.Kind == config.DatabaseSQLite {
		// Opening a missing SQLite file would create it: look first.
		if _, err := os.Stat(parsed.DSN); err != nil {
			r.dbErr = "no database file"
			s.fail("reachable", fmt.Sprintf("no database file at %s (%v)", parsed.DSN, errors.Unwrap(err)),
				"check "+config.EnvDatabaseURL+" and the working directory, or "+fixMigrate)
			return
		}
	}
	db, err := process.OpenDatabase(ctx, cfg.DatabaseURL)
	if err != nil {
		r.dbErr = "the database did not answer"
		s.fail("reachable", err.Error(), "check "+config.EnvDatabaseURL+": host, port, user, password, database name and sslmode")
		return
	}
	r.db = db
	s.pass("reachable", parsed.Kind)
	if parsed.Kind == config.DatabasePostgres {
		r.databaseClock(ctx)
	}

	current, err := models.SchemaVersion(ctx, db)
	if err != nil {
		r.dbErr = "the schema could not be read"
		s.fail("schema", err.Error(), "check that the database user may read the tables")
		return
	}
	latest, err := models.LatestMigration()
	if err != nil {
		s.fail("schema", err.Error(), "")
		return
	}
	switch {
	case current == latest:
		s.pass("schema", fmt.Sprintf("version %d, the newest this binary knows", current))
	case current == 0:
		r.dbErr = "the database has no schema"
		s.fail("schema", "no migration has run on this database", fixMigrate)
		return
	case current < latest:
		s.fail("schema", fmt.Sprintf("version %d, %d migration(s) behind this binary (%d): api, worker and scheduler refuse to start", current, latest-current, latest), fixMigrate)
	default:
		s.fail("schema", fmt.Sprintf("version %d is newer than this binary knows (%d): a newer wugsync migrated it", current, latest),
			"run the wugsync release that migrated the database (or a newer one)")
	}

	if err := db.WithContext(ctx).Order("id").Find(&r.conns).Error; err != nil {
		r.dbErr = "the connections could not be read"
		s.fail("connections", err.Error(), fixMigrate)
		return
	}
	active := 0
	for _, c := range r.conns {
		if c.IsActive {
			active++
		}
	}
	s.pass("connections", fmt.Sprintf("%d WUG connection(s), %d active", len(r.conns), active))
	r.secretKey(s, parsed)
}

// databaseClock reads PostgreSQL's clock for the clock checks.
func (r *run) databaseClock(ctx context.Context) {
	var remote time.Time
	sent := r.now()
	if err := r.db.WithContext(ctx).Raw("SELECT clock_timestamp()").Scan(&remote).Error; err != nil {
		return
	}
	r.clock("PostgreSQL", clockSample{remote: remote, sent: sent, received: r.now()})
}

// secretKey finds the key the roles would use, without creating a key file,
// and opens every stored password with it.
func (r *run) secretKey(s section, db config.DatabaseURL) {
	var stored []models.WUGConnection
	for _, c := range r.conns {
		if c.PasswordEncrypted != "" {
			stored = append(stored, c)
		}
	}
	source := config.EnvSecretKey
	if r.p.Config.SecretKey == "" {
		switch db.Kind {
		case config.DatabasePostgres:
			s.fail("secret key", config.EnvSecretKey+" is not set; with PostgreSQL it is required",
				"set "+config.EnvSecretKey+" to the key the passwords were stored with (a new key: openssl rand -hex 32, then set every password again)")
			return
		case config.DatabaseSQLite:
			keyFile := models.KeyFilePath(db.DSN)
			source = "the key file " + keyFile
			if _, err := os.Stat(keyFile); err != nil {
				if len(stored) == 0 {
					s.pass("secret key", fmt.Sprintf("no password stored yet; `all` creates %s at its first start", keyFile))
					return
				}
				s.fail("secret key", fmt.Sprintf("%s is missing, and %d stored password(s) need it", keyFile, len(stored)),
					"restore the key file from the backup of the database, or set "+config.EnvSecretKey+", or set every connection's password again")
				return
			}
		}
	}
	sealer, err := models.LoadSealer(r.p.Config) // reads an existing key file, never creates one here
	if err != nil {
		s.fail("secret key", err.Error(), "set "+config.EnvSecretKey+" to 64 hex characters (openssl rand -hex 32)")
		return
	}
	r.sealer = sealer
	var broken []string
	for _, c := range stored {
		if _, err := c.Password(sealer); err != nil {
			broken = append(broken, fmt.Sprintf("%q (id %d)", c.Name, c.ID))
		}
	}
	if len(broken) > 0 {
		s.fail("secret key", fmt.Sprintf("%s does not open the password of %s", source, strings.Join(broken, ", ")),
			"set "+config.EnvSecretKey+" to the key they were stored with, or set their passwords again (PATCH /api/v1/connections/{id} with \"password\")")
		return
	}
	s.pass("secret key", fmt.Sprintf("%s opens all %d stored password(s)", source, len(stored)))
}
