package export

import (
	"encoding/json"
	"os"
	"testing"
	"unicode/utf16"

	"github.com/stretchr/testify/require"

	"github.com/wugsync/wugsync/netbox"
)

// realisticDevice decodes testdata/device_netbox44.json, the full NetBox 4.4
// device of reference/netbox-api.md §2.5, through the netbox package's own
// decoder, so the tests see exactly what the export sees in production.
func realisticDevice(t *testing.T) netbox.Device {
	t.Helper()
	raw, err := os.ReadFile("testdata/device_netbox44.json")
	require.NoError(t, err)
	var d netbox.Device
	require.NoError(t, json.Unmarshal(raw, &d))
	return d
}

// deviceWith returns the realistic device changed by edit.
func deviceWith(t *testing.T, edit func(d *netbox.Device)) netbox.Device {
	t.Helper()
	d := realisticDevice(t)
	edit(&d)
	return d
}

func ptr[T any](v T) *T { return &v }

func ipRef(address string) *netbox.IPRef { return &netbox.IPRef{ID: 1, Address: address} }

// utf16Len is a string's length as WUG (.NET) measures it.
func utf16Len(s string) int { return len(utf16.Encode([]rune(s))) }
