package models

import (
	"context"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"sync"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
	"gorm.io/gorm/schema"

	"github.com/wugsync/wugsync/config"
)

// bulkParams bounds the bind parameters of one multi-row statement on
// PostgreSQL (its limit is 65,535); pgx binds them in linear time.
const bulkParams = 30000

// SQLite's driver (glebarez/go-sqlite) looked each of a statement's n
// parameters up in the list of all n arguments: binding cost O(n²), which
// made 1,000-row INSERTs (30,000 parameters) slower than 200-row ones
// (profiled on the 10,000-device bench). third_party/go-sqlite binds in
// linear time now; the budgets stayed, as a measured middle between a
// statement's size and their number. SQLite statements stay small:
// sqliteListParams for long lists (plan entries, skipped rows), where a
// few more statements cost nothing, and sqliteBatchParams for a batch's
// rows, so a batch of the default size (100) stays one statement.
const (
	sqliteListParams  = 1000
	sqliteBatchParams = 4000
)

// bulkMaxRows caps the rows of one multi-row INSERT even for narrow
// tables: past a thousand the statement's size gains nothing.
const bulkMaxRows = 1000

// insertChunk is how many rows of model go in one multi-row INSERT of a
// long list: as many as the database's parameter budget allows for the
// model's columns as the GORM schema lists them, so a column added to the
// model shrinks the chunk by itself.
func insertChunk(db *gorm.DB, model any) int {
	return chunkFor(db, model, sqliteListParams)
}

// chunkFor is insertChunk with sqliteBudget parameters a statement on
// SQLite.
func chunkFor(db *gorm.DB, model any, sqliteBudget int) int {
	cols := 32 // a safe guess if the schema cannot be parsed
	if s, err := schema.Parse(model, schemaCache, db.NamingStrategy); err == nil {
		cols = len(s.DBNames)
	}
	return chunkRows(db, cols, sqliteBudget)
}

// chunkRows is how many rows of cols bound columns go in one multi-row
// statement: as many as the database's parameter budget allows.
func chunkRows(db *gorm.DB, cols, sqliteBudget int) int {
	budget := bulkParams
	if Dialect(db) != config.DatabasePostgres {
		budget = sqliteBudget
	}
	return max(1, min(bulkMaxRows, budget/max(1, cols)))
}

// schemaCache is the parsed-schema cache of insertChunk and UpsertRows.
var schemaCache = &sync.Map{}

// fillEmpty is a column value written only where the column is empty: a
// field-only write-back never replaces an owed event whose journal entry
// would be lost. UpdateRow and UpsertRows translate it into SQL.
type fillEmpty struct{ value any }

// cleared is a column reset to its empty value, which is also the value a
// new row starts with (its default): UpsertRows then binds nothing for it,
// neither in the INSERT nor a row at a time in the update, which writes
// the literal (on SQLite every bound parameter costs, see chunkRows).
type cleared struct {
	value any    // the empty value, for UpdateRow
	sql   string // the same as an SQL literal, for UpsertRows
}

// clearedText and clearedTime are the empty text and the NULL time.
var (
	clearedText = cleared{value: "", sql: "''"}
	clearedTime = cleared{value: (*time.Time)(nil), sql: "NULL"}
)

// assignments turns a change's columns into the values of an UPDATE on
// netbox_ip_exports.
func assignments(c RowChange) map[string]any {
	m := c.columns()
	for col, v := range m {
		switch f := v.(type) {
		case fillEmpty:
			m[col] = gorm.Expr("CASE WHEN "+col+" = '' THEN ? ELSE "+col+" END", f.value)
		case cleared:
			m[col] = f.value
		}
	}
	return m
}

// RowUpsert is one row change for UpsertRows: the row of Key, created
// pending and named Name at IP when it does not exist, then changed.
type RowUpsert struct {
	Key      RowKey
	Name, IP string
	Change   RowChange
}

// UpsertRows applies many row changes, creating the rows that do not
// exist, with one multi-row INSERT … ON CONFLICT DO UPDATE per kind of
// change (the set of columns it writes) instead of two or three statements
// a row. Changes of the same object are applied in order.
func (s Store) UpsertRows(ctx context.Context, ups []RowUpsert) error {
	p, err := s.PrepareUpsertRows(ctx, ups)
	if err != nil {
		return err
	}
	if err := s.Exec(ctx, p); err != nil {
		return fmt.Errorf("store %d export rows: %w", len(ups), err)
	}
	return nil
}

// PrepareUpsertRows builds the statements of UpsertRows without running
// them (Prepared).
func (s Store) PrepareUpsertRows(ctx context.Context, ups []RowUpsert) (Prepared, error) {
	var p Prepared
	if len(ups) == 0 {
		return p, nil
	}
	sch, err := schema.Parse(&NetBoxIPExport{}, schemaCache, s.db.NamingStrategy)
	if err != nil {
		return p, fmt.Errorf("export row schema: %w", err)
	}
	// One statement per group of changes of one kind, run in the order the
	// groups were opened. A change joins its kind's open group only if that
	// group runs after every group holding an earlier change of the same
	// object (one INSERT may not update a row twice, and changes of one
	// object keep their order); else it opens a new group.
	type group struct {
		index  int
		cols   []string
		insert []string          // the columns of its INSERT (newRowColumns and cols)
		fill   map[string]bool   // the fillEmpty columns
		clear  map[string]string // the cleared columns, with their literal
		rows   []NetBoxIPExport
	}
	var groups []*group
	open := map[string]*group{}
	last := map[RowKey]int{} // the group of each object's latest change
	for _, u := range ups {
		cols := u.Change.columns()
		sig := signature(cols)
		g := open[sig]
		if prev, seen := last[u.Key]; g == nil || seen && g.index <= prev {
			g = &group{index: len(groups), cols: sortedColumns(cols), fill: map[string]bool{}, clear: map[string]string{}}
			var bound []string
			for _, col := range g.cols {
				if c, ok := cols[col].(cleared); ok {
					g.clear[col] = c.sql
					continue
				}
				bound = append(bound, col)
			}
			g.insert = insertColumns(newRowColumns, bound)
			for col, v := range cols {
				_, g.fill[col] = v.(fillEmpty)
			}
			groups, open[sig] = append(groups, g), g
		}
		last[u.Key] = g.index
		row := NetBoxIPExport{ConnectionID: u.Key.ConnectionID, ObjectType: u.Key.ObjectType, NetBoxObjectID: u.Key.ObjectID,
			NetBoxDeviceID: u.Key.deviceID(), NetBoxDeviceName: u.Name, IPAddress: u.IP,
			ExportReason: ReasonNewDevice, ExportStatus: ExportPending}
		rv := reflect.ValueOf(&row).Elem()
		for col, v := range cols {
			if _, ok := v.(cleared); ok {
				continue // a new row's default
			}
			if f, ok := v.(fillEmpty); ok {
				v = f.value // a new row's column is empty
			}
			field := sch.LookUpField(col)
			if field == nil {
				return p, fmt.Errorf("export rows have no column %q", col)
			}
			if err := field.Set(ctx, rv, v); err != nil {
				return p, fmt.Errorf("set %s of export row of %s %d: %w", col, u.Key.ObjectType, u.Key.ObjectID, err)
			}
		}
		g.rows = append(g.rows, row)
	}
	for _, g := range groups {
		set := make([]clause.Assignment, 0, len(g.cols)+1)
		for _, col := range g.cols {
			var v any = clause.Column{Table: "excluded", Name: col}
			if lit, ok := g.clear[col]; ok {
				v = gorm.Expr(lit)
			}
			if g.fill[col] {
				v = gorm.Expr("CASE WHEN netbox_ip_exports." + col + " = '' THEN excluded." + col +
					" ELSE netbox_ip_exports." + col + " END")
			}
			set = append(set, clause.Assignment{Column: clause.Column{Name: col}, Value: v})
		}
		set = append(set, clause.Assignment{Column: clause.Column{Name: "updated_at"}, Value: clause.Column{Table: "excluded", Name: "updated_at"}})
		for chunk := range slices.Chunk(g.rows, chunkRows(s.db, len(g.insert), sqliteBatchParams)) {
			err := p.add(s.dry(ctx).Select(g.insert).Clauses(clause.OnConflict{
				Columns:   []clause.Column{{Name: "connection_id"}, {Name: "object_type"}, {Name: "netbox_object_id"}},
				DoUpdates: set,
			}).Create(chunk))
			if err != nil {
				return p, fmt.Errorf("build the upsert of %d export rows: %w", len(chunk), err)
			}
		}
	}
	return p, nil
}

// newRowColumns are the columns every new export row is inserted with.
// Its other columns are left to their defaults, which are the zero values
// the model would bind (00003: empty strings, zeros, NULL times): on SQLite
// each bound parameter costs as much as the statement has parameters
// (chunkFor), so a batch's upsert binds its change's columns only, not
// all 32 of the row.
var newRowColumns = []string{"connection_id", "object_type", "netbox_object_id", "netbox_device_id",
	"netbox_device_name", "ip_address", "export_reason", "export_status", "created_at", "updated_at"}

// insertColumns is base with the columns of extra it lacks, in order.
func insertColumns(base, extra []string) []string {
	out := slices.Clone(base)
	for _, c := range extra {
		if !slices.Contains(out, c) {
			out = append(out, c)
		}
	}
	return out
}

// signature names the kind of a change: its columns, which of them are
// written only where empty, and which are cleared.
func signature(cols map[string]any) string {
	keys := sortedColumns(cols)
	for i, k := range keys {
		switch cols[k].(type) {
		case fillEmpty:
			keys[i] = k + "?"
		case cleared:
			keys[i] = k + "!"
		}
	}
	return strings.Join(keys, ",")
}

func sortedColumns(cols map[string]any) []string {
	keys := make([]string, 0, len(cols))
	for k := range cols {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// EntryOutcome is what a batch did with one plan entry.
type EntryOutcome struct {
	Entry   *PlanEntry
	Outcome Outcome
}

// SetOutcomes records the outcomes of many entries, with no error and the
// WUG device each acted on (its WUGDeviceID), in one UPDATE per 500
// entries instead of one a device.
func (s Store) SetOutcomes(ctx context.Context, outs []EntryOutcome) error {
	p, err := s.PrepareOutcomes(ctx, outs)
	if err != nil {
		return err
	}
	if err := s.Exec(ctx, p); err != nil {
		return fmt.Errorf("record the outcome of %d entries: %w", len(outs), err)
	}
	return nil
}

// PrepareOutcomes builds the statements of SetOutcomes without running
// them (Prepared); the entries take their outcomes once they ran.
func (s Store) PrepareOutcomes(ctx context.Context, outs []EntryOutcome) (Prepared, error) {
	var p Prepared
	var err error
	if Dialect(s.db) == config.DatabasePostgres {
		p, err = s.prepareOutcomesArrays(ctx, outs)
	} else {
		p, err = s.prepareOutcomesCases(ctx, outs)
	}
	if err != nil {
		return p, err
	}
	p.done = append(p.done, func() {
		for _, o := range outs {
			o.Entry.Outcome, o.Entry.Error = o.Outcome, ""
		}
	})
	return p, nil
}

// prepareOutcomesArrays is PrepareOutcomes on PostgreSQL: one UPDATE per
// 500 entries, one array a column joined on the entry's id. It binds three
// parameters and pgx keeps it prepared, where the CASE lists bound four an
// entry in a text the server parsed anew each batch.
func (s Store) prepareOutcomesArrays(ctx context.Context, outs []EntryOutcome) (Prepared, error) {
	var p Prepared
	for chunk := range slices.Chunk(outs, applyChunk) {
		ids := make([]int64, len(chunk))
		outcomes := make([]string, len(chunk))
		wugIDs := make([]string, len(chunk))
		for i, o := range chunk {
			ids[i], outcomes[i], wugIDs[i] = int64(o.Entry.ID), string(o.Outcome), o.Entry.WUGDeviceID
		}
		err := p.add(s.dry(ctx).Exec(`UPDATE sync_plan_entries SET outcome = v.outcome, error = '', wug_device_id = v.wug_device_id
			FROM unnest(?::bigint[], ?::text[], ?::text[]) AS v(id, outcome, wug_device_id) WHERE sync_plan_entries.id = v.id`,
			pgArray{ids}, pgArray{outcomes}, pgArray{wugIDs}))
		if err != nil {
			return p, fmt.Errorf("build the outcome of %d entries: %w", len(chunk), err)
		}
	}
	return p, nil
}

// prepareOutcomesCases is PrepareOutcomes on SQLite: one UPDATE per 500
// entries, each entry's values in a CASE on its id.
func (s Store) prepareOutcomesCases(ctx context.Context, outs []EntryOutcome) (Prepared, error) {
	var p Prepared
	for chunk := range slices.Chunk(outs, applyChunk) {
		var outcome, wugID strings.Builder
		args := make([]any, 0, 4*len(chunk))
		ids := make([]uint, 0, len(chunk))
		outcome.WriteString("CASE id")
		for _, o := range chunk {
			outcome.WriteString(" WHEN ? THEN ?")
			args = append(args, o.Entry.ID, string(o.Outcome))
		}
		outcome.WriteString(" END")
		wugArgs := make([]any, 0, 2*len(chunk))
		wugID.WriteString("CASE id")
		for _, o := range chunk {
			wugID.WriteString(" WHEN ? THEN ?")
			wugArgs = append(wugArgs, o.Entry.ID, o.Entry.WUGDeviceID)
			ids = append(ids, o.Entry.ID)
		}
		wugID.WriteString(" END")
		err := p.add(s.dry(ctx).Model(&PlanEntry{}).Where("id IN ?", ids).Updates(map[string]any{
			"outcome": gorm.Expr(outcome.String(), args...), "error": "",
			"wug_device_id": gorm.Expr(wugID.String(), wugArgs...),
		}))
		if err != nil {
			return p, fmt.Errorf("build the outcome of %d entries: %w", len(chunk), err)
		}
	}
	return p, nil
}
