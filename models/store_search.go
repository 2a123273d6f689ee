package models

import (
	"context"
	"fmt"
	"strings"
)

// CreatedMatching counts, for each text, the rows of a connection whose
// device WUG holds or may hold, and whose address contains the text:
// linked rows, and rows whose create was sent (a template call, running
// or whose answer was lost, marked them). That is about how many devices
// a WUG search for the text returns, since WUG matches it anywhere in the
// address. A look-up for earlier creates uses it to choose its searches
// (export.CoverSearches). One statement for every text.
func (s Store) CreatedMatching(ctx context.Context, connID uint, texts []string) (map[string]int, error) {
	out := make(map[string]int, len(texts))
	if len(texts) == 0 {
		return out, nil
	}
	cols := make([]string, len(texts))
	args := make([]any, len(texts))
	for i, t := range texts {
		cols[i] = fmt.Sprintf("COALESCE(SUM(CASE WHEN ip_address LIKE ? ESCAPE '\\' THEN 1 ELSE 0 END), 0) AS c%d", i)
		args[i] = "%" + likeEscaper.Replace(t) + "%"
	}
	rows, err := s.rows(ctx, connID).Where("wug_device_id <> '' OR create_attempted_at IS NOT NULL").
		Select(strings.Join(cols, ", "), args...).Rows()
	if err != nil {
		return nil, fmt.Errorf("count created devices by address: %w", err)
	}
	defer rows.Close()
	counts := make([]int64, len(texts))
	dest := make([]any, len(texts))
	for i := range counts {
		dest[i] = &counts[i]
	}
	if rows.Next() {
		if err := rows.Scan(dest...); err != nil {
			return nil, fmt.Errorf("count created devices by address: %w", err)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("count created devices by address: %w", err)
	}
	for i, t := range texts {
		out[t] = int(counts[i])
	}
	return out, nil
}

// likeEscaper escapes LIKE's wildcards (and the escape itself) in a text
// meant literally.
var likeEscaper = strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)
