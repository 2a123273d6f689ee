package process

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/sirupsen/logrus"
	"gorm.io/gorm"

	"github.com/wugsync/wugsync/models"
)

// ErrPendingMigrations is matched by *PendingMigrationsError.
var ErrPendingMigrations = errors.New("database migrations are pending")

// PendingMigrationsError means the database schema is older than the
// binary. Roles other than migrate refuse to run on it: they would fail
// later, half-way through a task, on a missing column.
type PendingMigrationsError struct {
	Pending int
}

func (e *PendingMigrationsError) Error() string {
	return fmt.Sprintf("the database schema is %d migration(s) behind this binary: run `wugsync migrate` first", e.Pending)
}

// Is lets errors.Is(err, ErrPendingMigrations) match.
func (e *PendingMigrationsError) Is(target error) bool { return target == ErrPendingMigrations }

// OpenMigratedDatabase opens the database and refuses it, with a
// *PendingMigrationsError, when migrations are pending.
func OpenMigratedDatabase(ctx context.Context, databaseURL string) (*gorm.DB, error) {
	db, err := OpenDatabase(ctx, databaseURL)
	if err != nil {
		return nil, err
	}
	pending, err := models.PendingMigrations(ctx, db)
	if err != nil {
		_ = models.Close(db)
		return nil, err
	}
	if pending > 0 {
		_ = models.Close(db)
		return nil, &PendingMigrationsError{Pending: pending}
	}
	return db, nil
}

// OpenAndMigrateDatabase opens the database and applies pending migrations,
// as the all-in-one modes do at start. opts give the migrations that
// re-encrypt stored passwords their key (models.WithSealer).
func OpenAndMigrateDatabase(ctx context.Context, databaseURL string, log *logrus.Entry, opts ...models.MigrateOption) (*gorm.DB, error) {
	db, err := OpenDatabase(ctx, databaseURL)
	if err != nil {
		return nil, err
	}
	result, err := models.Migrate(ctx, db, opts...)
	if err != nil {
		_ = models.Close(db)
		return nil, err
	}
	log.WithFields(logrus.Fields{"applied": len(result.Applied), "version": result.Version}).
		Info("database schema is up to date")
	return db, nil
}

// OpenDatabase opens the database as it is, migrated or not, with
// PostgreSQL's connection errors on one line (condenseConnectError).
func OpenDatabase(ctx context.Context, databaseURL string) (*gorm.DB, error) {
	db, err := models.Open(ctx, databaseURL)
	if err != nil {
		return nil, condenseConnectError(err)
	}
	return db, nil
}

// condenseConnectError puts a failed PostgreSQL connection on one line.
// pgx tries each address of the host, and with sslmode=prefer each address
// with and without TLS, and reports every attempt on its own line: a wrong
// role or database came out as the same FATAL message twice, on lines of
// their own. Identical attempts are reported once, different ones joined
// with "; ".
func condenseConnectError(err error) error {
	var connErr *pgconn.ConnectError
	if !errors.As(err, &connErr) {
		return err
	}
	attempts := []error{errors.Unwrap(connErr)}
	if joined, ok := attempts[0].(interface{ Unwrap() []error }); ok {
		attempts = joined.Unwrap()
	}
	var lines []string
	for _, a := range attempts {
		for _, line := range strings.Split(a.Error(), "\n") {
			if line = strings.TrimSpace(line); line != "" && !slices.Contains(lines, line) {
				lines = append(lines, line)
			}
		}
	}
	head, _, _ := strings.Cut(connErr.Error(), "\n")
	head = strings.TrimSuffix(strings.TrimSpace(head), ":")
	if i := strings.Index(head, "`:"); i >= 0 {
		head = head[:i+1] // "failed to connect to `user=… database=…`"
	}
	return &condensedError{msg: head + ": " + strings.Join(lines, "; "), err: err}
}

// condensedError rewords err's message and keeps it for errors.Is and As.
type condensedError struct {
	msg string
	err error
}

func (e *condensedError) Error() string { return "connect to postgres database: " + e.msg }
func (e *condensedError) Unwrap() error { return e.err }
