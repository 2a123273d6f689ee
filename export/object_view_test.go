package export

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/wugsync/wugsync/netbox"
)

// TestVMDisplayNameFallsBackInOrder: a VM is named by its name, else by
// NetBox's display string (a blank name does not count), else "vm-<id>".
func TestVMDisplayNameFallsBackInOrder(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, vmName, display, want string
	}{
		{"its name first", "db-01", "db-01 (cluster A)", "db-01"},
		{"a blank name gives way to the display string", "  ", "db-02 (cluster A)", "db-02 (cluster A)"},
		{"no name: the display string", "", "db-03", "db-03"},
		{"neither: the id", "", " ", "vm-7"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			vm := netbox.VirtualMachine{ID: 7, Name: tt.vmName, Display: tt.display, Status: netbox.Choice{Value: "active"}}
			require.Equal(t, tt.want, VMObject(vm).DisplayName())
		})
	}
}

// TestExcludeTagsByIDExcludesOnlyThatTag: an exclude_tags id matches the
// tag with that id, not another one the object carries.
func TestExcludeTagsByIDExcludesOnlyThatTag(t *testing.T) {
	t.Parallel()
	d := DeviceObject(netbox.Device{ID: 1, Status: netbox.Choice{Value: "active"},
		Tags: []netbox.Tag{{ID: 6, Slug: "prod"}}})
	ok, reason := EligibleObject(d, DeviceFilters{ExcludeTags: FilterValues{FilterID(5)}})
	require.True(t, ok, reason)
	ok, reason = EligibleObject(d, DeviceFilters{ExcludeTags: FilterValues{FilterID(6)}})
	require.False(t, ok)
	require.Contains(t, reason, "excluded")
}
