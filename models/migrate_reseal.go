package models

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/pressly/goose/v3"

	"github.com/wugsync/wugsync/config"
)

// versionBindPasswords is the Go migration 00002_bind_passwords_to_rows: it
// re-seals every stored WUG password from format v1 (bound to the column)
// to v2 (bound to its connection id too). SQL cannot encrypt, hence Go.
const versionBindPasswords = 2

// goMigrations lists the Go migrations of both databases.
func goMigrations(dialect string, o migrateOptions) []*goose.Migration {
	r := resealer{dialect: dialect, load: o.sealer}
	return []*goose.Migration{
		goose.NewGoMigration(versionBindPasswords,
			&goose.GoFunc{RunTx: func(ctx context.Context, tx *sql.Tx) error {
				return r.reseal(ctx, tx, sealedPrefixV1, func(s *Sealer, v string, id uint) (string, error) {
					plain, err := s.openV1(v)
					if err != nil {
						return "", err
					}
					return s.Seal(plain, id)
				})
			}},
			&goose.GoFunc{RunTx: func(ctx context.Context, tx *sql.Tx) error {
				return r.reseal(ctx, tx, sealedPrefix, func(s *Sealer, v string, id uint) (string, error) {
					plain, err := s.Open(v, id)
					if err != nil {
						return "", err
					}
					return s.sealV1(plain)
				})
			}}),
	}
}

// resealer rewrites stored passwords from one sealed format to another.
type resealer struct {
	dialect string
	load    func() (*Sealer, error)
}

// ErrMigrationNeedsKey means stored passwords must be re-encrypted and the
// migration was given no key.
var ErrMigrationNeedsKey = errors.New("stored WUG passwords must be re-encrypted by this migration: run `wugsync migrate` with WUGSYNC_SECRET_KEY (or beside the SQLite key file)")

type sealedRow struct {
	id       uint
	name     string
	password string
}

// reseal converts every password in format prefix with convert, in the
// migration's transaction: all rows change, or none.
func (r resealer) reseal(ctx context.Context, tx *sql.Tx, prefix string, convert func(*Sealer, string, uint) (string, error)) error {
	rows, err := tx.QueryContext(ctx, "SELECT id, name, password_encrypted FROM wug_connections WHERE password_encrypted LIKE "+r.placeholder(1), prefix+"%")
	if err != nil {
		return fmt.Errorf("read stored passwords: %w", err)
	}
	var todo []sealedRow
	for rows.Next() {
		var row sealedRow
		if err := rows.Scan(&row.id, &row.name, &row.password); err != nil {
			_ = rows.Close()
			return fmt.Errorf("read stored passwords: %w", err)
		}
		if strings.HasPrefix(row.password, prefix) {
			todo = append(todo, row)
		}
	}
	if err := errors.Join(rows.Err(), rows.Close()); err != nil {
		return fmt.Errorf("read stored passwords: %w", err)
	}
	if len(todo) == 0 {
		return nil
	}
	if r.load == nil {
		return fmt.Errorf("%d connection(s): %w", len(todo), ErrMigrationNeedsKey)
	}
	sealer, err := r.load()
	if err != nil {
		return fmt.Errorf("load the key to re-encrypt %d stored password(s): %w", len(todo), err)
	}
	update := "UPDATE wug_connections SET password_encrypted = " + r.placeholder(1) + " WHERE id = " + r.placeholder(2)
	for _, row := range todo {
		sealed, err := convert(sealer, row.password, row.id)
		if err != nil {
			return fmt.Errorf("re-encrypt the password of connection %q (id %d): %w", row.name, row.id, err)
		}
		if _, err := tx.ExecContext(ctx, update, sealed, row.id); err != nil {
			return fmt.Errorf("store the password of connection %q (id %d): %w", row.name, row.id, err)
		}
	}
	return nil
}

func (r resealer) placeholder(n int) string {
	if r.dialect == config.DatabasePostgres {
		return fmt.Sprintf("$%d", n)
	}
	return "?"
}
