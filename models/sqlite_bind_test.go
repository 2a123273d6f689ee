package models_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/wugsync/wugsync/internal/testinfra"
	"github.com/wugsync/wugsync/models"
)

// The SQLite driver binds the i-th positional parameter to the i-th
// argument without searching the list (third_party/go-sqlite): a
// statement with thousands of parameters gets each value in its own
// place, and numbered and named parameters still find theirs.
func TestSQLiteBindsEveryParameterInItsPlace(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := testinfra.OpenMigrated(t, testinfra.DatabaseBackends(t)[0])
	require.Equal(t, "sqlite", models.Dialect(db))

	const n = 3000
	args := make([]any, n)
	marks := make([]string, n)
	for i := range args {
		args[i] = fmt.Sprint("v", i)
		marks[i] = "(?)"
	}
	var got []string
	require.NoError(t, db.WithContext(ctx).Raw("SELECT column1 FROM (VALUES "+strings.Join(marks, ",")+")", args...).Scan(&got).Error)
	require.Len(t, got, n)
	for i, v := range got {
		require.Equal(t, args[i], v, "parameter %d", i+1)
	}

	var numbered struct{ A, B, C string }
	require.NoError(t, db.WithContext(ctx).Raw("SELECT ?3 AS a, ?1 AS b, ?2 AS c", "one", "two", "three").Scan(&numbered).Error)
	require.Equal(t, struct{ A, B, C string }{"three", "one", "two"}, numbered)
}
