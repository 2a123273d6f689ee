package export

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/wugsync/wugsync/netbox"
)

// Tests for the code gremlins found no test reaching (RELIABILITY.md,
// "Mutation testing"): each fails if its line is mutated.

// A "." or ".." level is refused naming its 1-based position, not the
// template as a whole or the level before it.
func TestValidateGroupTemplateNamesTheDotLevel(t *testing.T) {
	t.Parallel()
	for tmpl, level := range map[string]int{
		"{site}/./{role}":    2,
		"..":                 1,
		"{site}/{role}/ .. ": 3,
	} {
		err := ValidateGroupTemplate(tmpl)
		var gtErr *GroupTemplateError
		require.ErrorAs(t, err, &gtErr, tmpl)
		require.Equal(t, level, gtErr.Level, tmpl)
		require.Contains(t, gtErr.Problem, "is not a group name", tmpl)
	}
}

// A device whose name and display string are nothing but control
// characters gets a readable WUG name from its id, not an empty one.
func TestDisplayNameOfANamelessDevice(t *testing.T) {
	t.Parallel()
	d := netbox.Device{ID: 7, Name: ptr("\x07\x1b"), Display: "\t"}
	require.Equal(t, "device-7", displayName(DeviceObject(d)))
	d = netbox.Device{ID: 8, Name: ptr(" \x00 "), Display: "\x1b\n"}
	require.Equal(t, "device-8", displayName(DeviceObject(d)))
}

// A template error names the level at fault when there is one, and only
// then: "level 0" would send a person looking for a level that does not
// exist.
func TestGroupTemplateErrorNamesTheLevel(t *testing.T) {
	t.Parallel()
	require.EqualError(t, ValidateGroupTemplate("{site}//{role}"),
		`group template "{site}//{role}": level 2: is empty (remove the extra "/")`)
	require.EqualError(t, ValidateGroupTemplate("{site}/{nope}"),
		`group template "{site}/{nope}": level 2: unknown placeholder "{nope}" (known: `+placeholderList+`)`)
	require.EqualError(t, ValidateGroupTemplate("  "), `group template "  ": is empty (e.g. {site})`)
	require.EqualError(t, ValidateGroupTemplate("My Network"),
		`group template "My Network": names only "My Network"; add at least one level below it, e.g. {site}`)
}

// LessID is a strict order, as a "less" function must be: an id is never
// older than itself, as a number or as text.
func TestLessIDIsAStrictOrder(t *testing.T) {
	t.Parallel()
	for _, id := range []string{"7", "0", "abc", ""} {
		require.False(t, LessID(id, id), "%q", id)
	}
	require.True(t, LessID("10", "9a"), "a number against text compares as text")
}

// The reasons of an adoption and of a create found made name the WUG
// device, so a person can open it.
func TestAdoptionReasonsNameTheWUGDevice(t *testing.T) {
	t.Parallel()
	require.Equal(t, "adopt WUG device 42: it already monitors this IP", AdoptReason("42"))
	require.Equal(t, "created by an earlier attempt; linked to WUG device 42", EarlierCreateReason("42"))
}

// A run's own filter list replaces the connection's list for that field
// only; a run without lists keeps the connection's filters.
func TestRunFiltersReplaceTheConnectionsListPerField(t *testing.T) {
	t.Parallel()
	conn := DeviceFilters{Sites: FilterValues{"fra1"}, Roles: FilterValues{"core"}, Statuses: []string{"active"}}
	run := DeviceFilters{Sites: FilterValues{"ber1", FilterID(4)}, Tags: FilterValues{"prod"}}
	require.Equal(t, DeviceFilters{Sites: FilterValues{"ber1", FilterID(4)}, Roles: FilterValues{"core"},
		Tags: FilterValues{"prod"}, Statuses: []string{"active"}}, conn.Merge(run))
	require.Equal(t, conn, conn.Merge(DeviceFilters{}))

	require.True(t, DeviceFilters{}.Empty())
	for _, f := range []DeviceFilters{
		{Sites: FilterValues{"a"}}, {Roles: FilterValues{"a"}}, {Tags: FilterValues{"a"}},
		{Statuses: []string{"a"}}, {Platforms: FilterValues{"a"}}, {Tenants: FilterValues{"a"}},
	} {
		require.False(t, f.Empty(), "%+v", f)
	}
}
