package models

import (
	"context"
	"fmt"
	"time"

	"gorm.io/gorm"
)

// SealV1 seals in the format of before migration 00002, for tests of the
// migration.
func SealV1(s *Sealer, plaintext string) (string, error) { return s.sealV1(plaintext) }

// MigrateUpTo applies the migrations up to version, for tests that start
// from an older schema.
func MigrateUpTo(ctx context.Context, db *gorm.DB, version int64, opts ...MigrateOption) error {
	provider, err := newProvider(db, opts...)
	if err != nil {
		return err
	}
	if _, err := provider.UpTo(ctx, version); err != nil {
		return fmt.Errorf("migrate up to %d: %w", version, err)
	}
	return nil
}

// ListParams is the most parameters a statement may have and stay in
// pgx's statement cache.
const ListParams = listParams

// SQL lists the statements p runs.
func (p Prepared) SQL() []string {
	out := make([]string, len(p.stmts))
	for i, st := range p.stmts {
		out[i] = st.sql
	}
	return out
}

// PrepareClaimedCreates builds the statements of InsertClaimedCreates.
func (s Store) PrepareClaimedCreates(ctx context.Context, rows []NetBoxIPExport, claimer string, now time.Time) (Prepared, error) {
	p, _, err := s.prepareClaimedCreates(ctx, rows, claimer, now)
	return p, err
}

// PreparePlanEntries builds the statements of CreatePlanEntries.
func (s Store) PreparePlanEntries(ctx context.Context, entries []*PlanEntry) (Prepared, error) {
	return s.preparePlanEntries(ctx, entries)
}

// ServerStatement is a statement as Exec sends it to the database.
type ServerStatement struct {
	SQL    string
	Params int
}

// ServerStatements lists the statements of p as Exec sends them to s's
// database.
func (s Store) ServerStatements(ctx context.Context, p Prepared) ([]ServerStatement, error) {
	stmts, err := s.forServer(ctx, p.stmts)
	if err != nil {
		return nil, err
	}
	out := make([]ServerStatement, len(stmts))
	for i, st := range stmts {
		out[i] = ServerStatement{SQL: st.sql, Params: len(st.vars)}
	}
	return out, nil
}

// DB is the handle s runs on (its transaction's, in one).
func (s Store) DB() *gorm.DB { return s.db }

// ColumnTypes is the PostgreSQL column-type read of the array statements.
func (s Store) ColumnTypes(ctx context.Context, table string) (map[string]string, error) {
	return s.columnTypes(ctx, table)
}

// PendingEntryColumns are the columns PendingEntries scans.
const PendingEntryColumns = pendingEntryColumns
