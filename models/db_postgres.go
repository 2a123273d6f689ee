package models

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"fmt"
	"regexp"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/jackc/pgx/v5/stdlib"
)

// listParams is the most bind parameters a statement may have and still
// go to pgx's statement cache. A statement with more carries a list (a
// multi-row INSERT, an UPSERT of a batch's rows, an IN list, a CASE per
// entry) whose SQL text changes with the number of items: nearly every page
// of a run and every batch makes a new one, used once. Cached, each stayed
// prepared on its connection (pgx keeps 512 a connection, 25 connections)
// with its SQL text and parameter types, tens of kB apiece, in the worker
// and in the PostgreSQL backend: 12 MB of a worker's live heap after
// 100,000 devices, 5 MB after 10,000 (heap profiles of the bench's memory
// line), so the worker's peak grew with the inventory. Such a statement is
// described on each execution instead: the two round trips its first,
// caching execution took anyway, with the same parameter types.
const listParams = 64

// listExecMode is how a statement with more than listParams parameters
// runs: described by the server each time (so its parameters are encoded
// exactly as a cached statement's are), never prepared under a name.
const listExecMode = pgx.QueryExecModeDescribeExec

// openPostgres opens a PostgreSQL pool whose list statements skip pgx's
// statement cache (listParams). It accepts what gorm's PostgreSQL driver
// does, including its TimeZone parameter.
func openPostgres(dsn string) (*sql.DB, error) {
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		return nil, fmt.Errorf("parse postgres url: %w", err)
	}
	var opts []stdlib.OptionOpenDB
	// As gorm's driver does: a TimeZone in the URL is the session's, and
	// timestamps without a zone are read in it.
	if m := timeZoneParam.FindStringSubmatch(dsn); len(m) > 2 {
		loc, err := time.LoadLocation(m[2])
		if err != nil {
			return nil, fmt.Errorf("postgres url time zone %q: %w", m[2], err)
		}
		cfg.RuntimeParams["timezone"] = m[2]
		opts = append(opts, stdlib.OptionAfterConnect(func(_ context.Context, conn *pgx.Conn) error {
			conn.TypeMap().RegisterType(&pgtype.Type{Name: "timestamp", OID: pgtype.TimestampOID,
				Codec: &pgtype.TimestampCodec{ScanLocation: loc}})
			return nil
		}))
	}
	return sql.OpenDB(listConnector{stdlib.GetConnector(*cfg, opts...)}), nil
}

// timeZoneParam is gorm's PostgreSQL driver's pattern for a time zone in
// the connection string.
var timeZoneParam = regexp.MustCompile("(time_zone|TimeZone|timezone)=(.*?)($|&| )")

// listConnector makes connections that run list statements uncached.
type listConnector struct{ driver.Connector }

// Connect wraps pgx's connection; every other interface of it (sessions,
// transactions, pings) is its own.
func (c listConnector) Connect(ctx context.Context) (driver.Conn, error) {
	conn, err := c.Connector.Connect(ctx)
	if err != nil {
		return nil, err
	}
	if pc, ok := conn.(*stdlib.Conn); ok {
		return listConn{pc}, nil
	}
	return conn, nil
}

// listConn is a pgx connection that runs statements with more than
// listParams parameters in listExecMode.
type listConn struct{ *stdlib.Conn }

// ExecContext runs a statement, uncached when it carries a list.
func (c listConn) ExecContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Result, error) {
	return c.Conn.ExecContext(ctx, query, listArgs(args))
}

// QueryContext runs a query, uncached when it carries a list.
func (c listConn) QueryContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Rows, error) {
	return c.Conn.QueryContext(ctx, query, listArgs(args))
}

// listArgs puts listExecMode before the arguments of a statement with more
// than listParams of them; pgx reads a leading QueryExecMode as the mode of
// that one execution.
func listArgs(args []driver.NamedValue) []driver.NamedValue {
	if len(args) <= listParams {
		return args
	}
	return append([]driver.NamedValue{{Value: listExecMode}}, args...)
}
