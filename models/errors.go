package models

import (
	"errors"
	"strings"

	"github.com/jackc/pgx/v5/pgconn"
)

// IsUniqueViolation reports whether err is a unique-constraint violation on
// either database, so callers can turn it into "already exists" (409) or
// "someone else got there first".
func IsUniqueViolation(err error) bool {
	if err == nil {
		return false
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		return pgErr.Code == "23505"
	}
	return strings.Contains(err.Error(), "UNIQUE constraint failed")
}

// IsUniqueViolationOf reports whether err is a unique-constraint violation
// of one constraint: PostgreSQL names it (constraint, the index's name),
// SQLite names its columns (column, as table.column), so callers can tell
// which rule a save broke.
func IsUniqueViolationOf(err error, constraint, column string) bool {
	if !IsUniqueViolation(err) {
		return false
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		return pgErr.ConstraintName == constraint
	}
	return strings.Contains(err.Error(), column)
}
