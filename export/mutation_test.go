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
