package models

import (
	"context"
	"database/sql/driver"
	"fmt"
	"strings"

	"gorm.io/gorm"

	"github.com/wugsync/wugsync/config"
)

// Prepared is SQL a Store built without touching the database, to run
// later with Store.Exec. Building a multi-row statement is most of its Go
// work: gorm's callbacks (hooks, text cleaning, timestamps), reflection
// over every row and the JSON of serialized columns. Built through
// gorm's Create or Updates the usual way, that work ran while the statement
// held a connection (gorm opens its default transaction first), and on
// SQLite there is one connection, which a cold run's planner and batches
// queue for (BENCHMARKS.md). Built here, it runs before the connection is
// taken.
type Prepared struct {
	stmts []builtStatement
	// done runs once the statements ran, for what they change in memory.
	done []func()
}

type builtStatement struct {
	sql  string
	vars []any
}

// Len is the number of statements p runs.
func (p Prepared) Len() int { return len(p.stmts) }

// dry is a handle on which gorm builds statements without running them,
// and without the transaction it would open for a write.
func (s Store) dry(ctx context.Context) *gorm.DB {
	return s.db.Session(&gorm.Session{DryRun: true, SkipDefaultTransaction: true, NewDB: true, Context: ctx})
}

// add keeps what a dry-run gorm call built. RETURNING is dropped: these
// statements write rows whose generated ids nobody reads back. The
// values of Valuers (a serialized column's JSON) are taken now, not when
// database/sql binds them with the connection held.
func (p *Prepared) add(tx *gorm.DB) error {
	if tx.Error != nil {
		return tx.Error
	}
	text := tx.Statement.SQL.String()
	if _, ok := tx.Statement.Clauses["RETURNING"]; ok {
		// gorm builds RETURNING last (its dialects' CreateClauses).
		if i := strings.LastIndex(text, " RETURNING "); i >= 0 {
			text = text[:i]
		}
	}
	vars := make([]any, len(tx.Statement.Vars))
	for i, v := range tx.Statement.Vars {
		if valuer, ok := v.(driver.Valuer); ok {
			dv, err := valuer.Value()
			if err != nil {
				return fmt.Errorf("value of parameter %d: %w", i+1, err)
			}
			v = dv
		}
		vars[i] = v
	}
	p.stmts = append(p.stmts, builtStatement{sql: text, vars: vars})
	return nil
}

// Exec runs the prepared statements in order: in one transaction when
// there are several and s is not in one already, so a list split into
// several statements is stored whole or not at all.
func (s Store) Exec(ctx context.Context, ps ...Prepared) error {
	var all []builtStatement
	for _, p := range ps {
		all = append(all, p.stmts...)
	}
	all, err := s.forServer(ctx, all)
	if err != nil {
		return err
	}
	exec := func(tx *gorm.DB) error {
		for _, st := range all {
			if _, err := tx.Statement.ConnPool.ExecContext(ctx, st.sql, st.vars...); err != nil {
				return err
			}
		}
		return nil
	}
	if _, inTx := s.db.Statement.ConnPool.(gorm.TxCommitter); inTx || len(all) <= 1 {
		err = exec(s.db)
	} else {
		err = s.db.WithContext(ctx).Transaction(exec)
	}
	if err != nil {
		return err
	}
	for _, p := range ps {
		for _, fn := range p.done {
			fn()
		}
	}
	return nil
}

// forServer returns stmts as they run on s's database: on PostgreSQL a
// multi-row INSERT goes as arrays (unnestStatement).
func (s Store) forServer(ctx context.Context, stmts []builtStatement) ([]builtStatement, error) {
	if Dialect(s.db) != config.DatabasePostgres {
		return stmts, nil
	}
	out := make([]builtStatement, len(stmts))
	for i, st := range stmts {
		st, _, err := unnestStatement(st, func(table string) (map[string]string, error) { return s.columnTypes(ctx, table) })
		if err != nil {
			return nil, err
		}
		out[i] = st
	}
	return out, nil
}
