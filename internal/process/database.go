package process

import (
	"context"
	"errors"
	"fmt"

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
	db, err := models.Open(ctx, databaseURL)
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
	db, err := models.Open(ctx, databaseURL)
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
