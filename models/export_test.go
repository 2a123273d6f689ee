package models

import (
	"context"
	"fmt"

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
