package main

import (
	"context"
	"net"
	"strings"
	"testing"

	"github.com/alicebob/miniredis/v2"
	"github.com/jackc/pgx/v5/pgproto3"
	"github.com/stretchr/testify/require"

	"github.com/wugsync/wugsync/config"
)

// TestEveryConfigurationProblemComesBeforeAnyConnection starts a worker
// whose configuration has several problems, one of them only visible with
// the role in mind (PostgreSQL without WUGSYNC_SECRET_KEY). All of them are
// reported together, one line each, and Redis never saw a connection.
func TestEveryConfigurationProblemComesBeforeAnyConnection(t *testing.T) {
	t.Parallel()
	mr := miniredis.RunT(t)
	_, err := execute(context.Background(), newWorkerCommand(testEnvironment(map[string]string{
		config.EnvRedisURL:          "redis://" + mr.Addr() + "/0",
		config.EnvDatabaseURL:       "postgres://wugsync@127.0.0.1:1/wugsync",
		config.EnvNetBoxURL:         "https://netbox.example.com",
		config.EnvWorkerConcurrency: "lots",
		config.EnvLogLevel:          "error",
	})))
	require.ErrorIs(t, err, config.ErrInvalid)
	var named []string
	for _, p := range config.Problems(err) {
		named = append(named, p.Variable)
	}
	require.Equal(t, []string{config.EnvWorkerConcurrency, config.EnvNetBoxToken, config.EnvSecretKey}, named)
	require.Zero(t, mr.TotalConnectionCount(), "configuration is checked before Redis is dialled")

	var printed strings.Builder
	printError(&printed, err)
	lines := strings.Split(strings.TrimSpace(printed.String()), "\n")
	require.Len(t, lines, 3)
	for i, line := range lines {
		require.True(t, strings.HasPrefix(line, "wugsync: "+named[i]+": "), line)
	}
}

// fakePostgres accepts connections and refuses each startup with one
// FATAL error, as a server does for an unknown role.
func fakePostgres(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer conn.Close()
				backend := pgproto3.NewBackend(conn, conn)
				if _, err := backend.ReceiveStartupMessage(); err != nil {
					return
				}
				backend.Send(&pgproto3.ErrorResponse{Severity: "FATAL", Code: "28000", Message: `role "ghost" does not exist`})
				_ = backend.Flush()
			}()
		}
	}()
	return ln.Addr().String()
}

// TestAPostgresErrorIsPrintedOnce points migrate at a server that refuses
// the role, through a URL that names it twice (as a host name with two
// addresses, or sslmode=prefer's TLS and plain attempts, do): pgx reports
// each attempt on its own line, wugsync says it once.
func TestAPostgresErrorIsPrintedOnce(t *testing.T) {
	t.Parallel()
	addr := fakePostgres(t)
	err := runMigrate(t, "postgres://ghost@"+addr+","+addr+"/wugsync?sslmode=disable")
	require.Error(t, err)
	require.Equal(t, 1, strings.Count(err.Error(), `role "ghost" does not exist`), err.Error())
	require.NotContains(t, err.Error(), "\n")
	require.Contains(t, err.Error(), "failed to connect to `user=ghost database=wugsync`")
}

func runMigrate(t *testing.T, databaseURL string) error {
	t.Helper()
	_, err := execute(context.Background(), newMigrateCommand(testEnvironment(map[string]string{config.EnvDatabaseURL: databaseURL})))
	return err
}
