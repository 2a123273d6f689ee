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

// LinkedInGroups counts, per WUG group id, the rows of a connection linked
// to a device in that group: about how many devices a listing of the group
// returns before a batch adds its own. A look-up for earlier creates
// weighs a group listing against address searches with it. One statement.
func (s Store) LinkedInGroups(ctx context.Context, connID uint, groups []string) (map[string]int, error) {
	out := make(map[string]int, len(groups))
	if len(groups) == 0 {
		return out, nil
	}
	var counts []struct {
		Group string `gorm:"column:wug_group_id"`
		N     int    `gorm:"column:n"`
	}
	err := s.rows(ctx, connID).Where("wug_device_id <> '' AND wug_group_id IN ?", groups).
		Select("wug_group_id, COUNT(*) AS n").Group("wug_group_id").Scan(&counts).Error
	if err != nil {
		return nil, fmt.Errorf("count linked devices by group: %w", err)
	}
	for _, c := range counts {
		out[c.Group] = c.N
	}
	return out, nil
}
