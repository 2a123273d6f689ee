package models

import (
	"context"
	"database/sql/driver"
	"fmt"
	"strconv"
	"strings"
	"sync"

	"gorm.io/gorm"

	"github.com/wugsync/wugsync/config"
)

// On PostgreSQL a multi-row INSERT of a long list (plan entries, skipped
// rows, a batch's new rows and its upsert) carried one bind parameter a
// value: up to 30,000 in one statement, whose text changed with its number
// of rows, so the server parsed, planned and bound each anew (about 0.7 s
// of server time in a 10,000-device cold run, measured with
// log_min_duration_statement).
// The same rows go as one array a column, spread by unnest: the statement
// has as many parameters as the table has columns written, its text is
// the same for every chunk of a list (pgx caches it prepared per
// connection, listParams), and the server binds each array in one piece.

// unnestStatement rewrites a PostgreSQL multi-row INSERT … VALUES with
// only plain, numbered parameters as values into INSERT … SELECT * FROM
// unnest(one typed array a column), keeping what follows VALUES (ON
// CONFLICT …). types gives the SQL type of each column of the table. ok
// is false, and st is to run as it is, for any other statement.
func unnestStatement(st builtStatement, types func(table string) (map[string]string, error)) (builtStatement, bool, error) {
	const prefix = "INSERT INTO "
	if !strings.HasPrefix(st.sql, prefix) {
		return st, false, nil
	}
	rest := st.sql[len(prefix):]
	open := strings.Index(rest, " (")
	if open < 0 {
		return st, false, nil
	}
	table := unquote(rest[:open])
	rest = rest[open+2:]
	end := strings.Index(rest, ") VALUES (")
	if end < 0 {
		return st, false, nil
	}
	cols := strings.Split(rest[:end], ",")
	for i, c := range cols {
		cols[i] = unquote(c)
	}
	rest = rest[end+len(") VALUES "):]
	// The tuples: ($1,$2,…),($k,…) numbered in order from 1, each of
	// len(cols) values.
	next, rows := 1, 0
	for {
		if !strings.HasPrefix(rest, "(") {
			return st, false, nil
		}
		rest = rest[1:]
		for c := range cols {
			if !strings.HasPrefix(rest, "$") {
				return st, false, nil
			}
			n := 1
			for n < len(rest) && rest[n] >= '0' && rest[n] <= '9' {
				n++
			}
			if k, err := strconv.Atoi(rest[1:n]); err != nil || k != next {
				return st, false, nil
			}
			next++
			rest = rest[n:]
			sep := ","
			if c == len(cols)-1 {
				sep = ")"
			}
			if !strings.HasPrefix(rest, sep) {
				return st, false, nil
			}
			rest = rest[1:]
		}
		rows++
		if !strings.HasPrefix(rest, ",(") {
			break
		}
		rest = rest[1:]
	}
	// What follows may not bind anything of its own, and every value is
	// one of the tuples'.
	if strings.Contains(rest, "$") || rows*len(cols) != len(st.vars) || rows < 2 {
		return st, false, nil
	}
	colTypes, err := types(table)
	if err != nil {
		return st, false, err
	}
	var b strings.Builder
	b.WriteString(st.sql[:strings.Index(st.sql, ") VALUES (")+1])
	b.WriteString(" SELECT * FROM unnest(")
	arrays := make([]any, len(cols))
	for c, col := range cols {
		typ, ok := colTypes[col]
		if !ok {
			return st, false, nil
		}
		values := make([]any, rows)
		for r := range rows {
			values[r] = st.vars[r*len(cols)+c]
		}
		arrays[c] = values
		if c > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, "$%d::%s[]", c+1, typ)
	}
	b.WriteByte(')')
	b.WriteString(rest)
	return builtStatement{sql: b.String(), vars: arrays}, true, nil
}

func unquote(name string) string {
	return strings.Trim(strings.TrimSpace(name), `"`)
}

// columnTypes caches each table's column types, per database: by its
// gorm dialector, which every session and transaction of one opened
// database shares (gorm copies its Config for each).
var columnTypes sync.Map // columnTypesKey → map[string]string

type columnTypesKey struct {
	dialector gorm.Dialector
	table     string
}

// columnTypes returns the SQL type of each column of table, read from the
// catalog once per database handle.
func (s Store) columnTypes(ctx context.Context, table string) (map[string]string, error) {
	key := columnTypesKey{dialector: s.db.Dialector, table: table}
	if m, ok := columnTypes.Load(key); ok {
		return m.(map[string]string), nil
	}
	// On the handle's pool (or its transaction) directly: not a statement
	// of the store's, for gorm's callbacks to see.
	rows, err := s.db.Statement.ConnPool.QueryContext(ctx, `SELECT attname, format_type(atttypid, atttypmod) FROM pg_attribute
		WHERE attrelid = to_regclass($1) AND attnum > 0 AND NOT attisdropped`, table)
	if err != nil {
		return nil, fmt.Errorf("column types of %s: %w", table, err)
	}
	defer rows.Close()
	m := map[string]string{}
	for rows.Next() {
		var name, typ string
		if err := rows.Scan(&name, &typ); err != nil {
			return nil, fmt.Errorf("column types of %s: %w", table, err)
		}
		m[name] = typ
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("column types of %s: %w", table, err)
	}
	columnTypes.Store(key, m)
	return m, nil
}

// pgArray is a list bound as one PostgreSQL array parameter: gorm expands
// a slice into one parameter an item, which it does not do to a
// driver.Valuer; pgx encodes the slice its Value returns.
type pgArray struct{ items any }

// Value is the list itself, for pgx to encode as an array.
func (a pgArray) Value() (driver.Value, error) { return a.items, nil }

// inList is a condition that column is one of ids, and its argument: on
// PostgreSQL col = ANY of one array parameter, so a batch's reads and
// claims are one short statement pgx keeps prepared (listParams) instead of
// one the server parses anew with a parameter an id; on SQLite an IN list.
func inList(db *gorm.DB, col string, ids []int64) (string, any) {
	if Dialect(db) == config.DatabasePostgres {
		return col + " = ANY(?)", pgArray{ids}
	}
	return col + " IN ?", ids
}
