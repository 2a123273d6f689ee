package export_test

import (
	"encoding/json"
	"errors"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/wugsync/wugsync/export"
)

func TestFilterValuesReadNumbersAsIDsAndStringsAsSlugs(t *testing.T) {
	t.Parallel()
	var f export.DeviceFilters
	require.NoError(t, json.Unmarshal([]byte(`{"sites": [1, 2], "roles": ["core-switch", 3], "tags": ["42"]}`), &f))
	require.Equal(t, []int64{1, 2}, f.Sites.IDs())
	require.Empty(t, f.Sites.Slugs())
	require.Equal(t, []int64{3}, f.Roles.IDs())
	require.Equal(t, []string{"core-switch"}, f.Roles.Slugs())
	require.Equal(t, []string{"42"}, f.Tags.Slugs(), "a string of digits is a slug, not an id")
	require.Empty(t, f.Tags.IDs())

	out, err := json.Marshal(f)
	require.NoError(t, err)
	require.JSONEq(t, `{"sites": [1, 2], "roles": ["core-switch", 3], "tags": ["42"]}`, string(out))
	require.Equal(t, "[core-switch id=3]", f.Roles.Display())
}

func TestFilterValuesRefuseWhatIsNeitherIDNorSlug(t *testing.T) {
	t.Parallel()
	for body, want := range map[string]string{
		`[0]`:           "0 is not a NetBox id",
		`[-4]`:          "-4 is not a NetBox id",
		`[1.5]`:         "1.5 is not a NetBox id",
		`[true]`:        "true is neither a NetBox id",
		`[null]`:        "null is neither a NetBox id",
		`["#3"]`:        `"#3" is not a slug; write a NetBox id as a number, e.g. 3`,
		`[1e3]`:         "1e3 is not a NetBox id",
		`[99999999999]`: "99999999999 is not a NetBox id",
	} {
		var f export.FilterValues
		err := json.Unmarshal([]byte(body), &f)
		var fe *export.FilterValueError
		require.True(t, errors.As(err, &fe), "%s: %v", body, err)
		require.Equal(t, 0, fe.Index)
		require.Contains(t, fe.Message, want, body)
	}
}

// The error says which element is wrong, or that the value is not a list
// at all (the API prefixes it with the field).
func TestFilterValueErrorNamesTheElement(t *testing.T) {
	t.Parallel()
	var f export.FilterValues
	err := json.Unmarshal([]byte(`["fra1", 2, true]`), &f)
	require.EqualError(t, err, "[2]: true is neither a NetBox id (a number) nor a slug (a string)")
	err = json.Unmarshal([]byte(`[0, "fra1"]`), &f)
	require.EqualError(t, err, "[0]: 0 is not a NetBox id: ids are positive whole numbers",
		"the first element is named too: indexes count from 0")

	err = json.Unmarshal([]byte(`"fra1"`), &f)
	var fe *export.FilterValueError
	require.ErrorAs(t, err, &fe)
	require.Equal(t, -1, fe.Index)
	require.EqualError(t, err, "must be a list of NetBox ids (numbers) and slugs (strings)")
}

// NetBox ids start at 1: in a list built in Go, FilterID(0) or a negative
// id is not an id, so NetBoxQuery never asks NetBox for object 0.
func TestFilterIDsArePositive(t *testing.T) {
	t.Parallel()
	f := export.FilterValues{export.FilterID(3), export.FilterID(0), "#-2", "#x", "fra1"}
	require.Equal(t, []int64{3}, f.IDs())
}
