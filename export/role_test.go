package export

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/wugsync/wugsync/netbox"
)

func TestMapRoleDefaults(t *testing.T) {
	t.Parallel()

	tests := []struct {
		slug, name       string
		role, deviceType string
	}{
		{"core-switch", "Core Switch", "Switch", "Switch"},
		{"access-switches", "", "Switch", "Switch"},
		{"", "CoreSwitch", "Switch", "Switch"},
		{"router", "Router", "Router", "Router"},
		{"edge-rtr", "", "Router", "Router"},
		{"firewall", "Firewall", "Firewall", "Firewall"},
		{"fw", "FW", "Firewall", "Firewall"},
		{"firewall-router", "", "Firewall", "Firewall"},
		{"server", "Server", "Server", "Server"},
		{"hypervisor", "Hypervisor", "Server", "Server"},
		{"access-point", "Access Point", "Access Point", "Wireless Access Point"},
		{"ap", "AP", "Access Point", "Wireless Access Point"},
		{"wireless", "", "Access Point", "Wireless Access Point"},
		{"wireless-controller", "Wireless Controller", "Wireless", "Wireless LAN Controller"},
		{"load-balancer", "Load Balancer", "Load Balancer", "Load Balancer"},
		{"pdu", "PDU", "UPS", "Power"},
		{"ups", "UPS", "UPS", "Power"},
		{"printer", "Printer", "Printer", "Printer"},
		{"camera", "IP Camera", DefaultPrimaryRole, "Camera"},
		{"patch-panel", "Patch Panel", DefaultPrimaryRole, DefaultDeviceType},
		{"", "", DefaultPrimaryRole, DefaultDeviceType},
		// Whole words only: the plugin's substring guessing got these wrong.
		{"switchboard", "Switchboard", DefaultPrimaryRole, DefaultDeviceType},
		{"laptop", "Laptop", DefaultPrimaryRole, DefaultDeviceType},
		{"snapshot-appliance", "", DefaultPrimaryRole, DefaultDeviceType},
		{"observer", "Observer", DefaultPrimaryRole, DefaultDeviceType},
		// The name matches when the slug says nothing.
		{"role-7", "Distribution Router", "Router", "Router"},
	}
	for _, tt := range tests {
		t.Run(tt.slug+"|"+tt.name, func(t *testing.T) {
			t.Parallel()
			role, deviceType := MapRole(netbox.Ref{Slug: tt.slug, Name: tt.name}, nil)
			require.Equal(t, tt.role, role)
			require.Equal(t, tt.deviceType, deviceType)
		})
	}
}

func TestMapRoleCustomRules(t *testing.T) {
	t.Parallel()

	rules := []RoleRule{
		{Match: []string{"top of rack"}, PrimaryRole: "Switch", DeviceType: "Cisco Switch"},
		{Match: []string{"storage"}, PrimaryRole: "Storage"},
		{Match: []string{"switch"}, PrimaryRole: "Layer 3 Switch", DeviceType: "Switch"},
	}
	tests := []struct {
		slug, role, deviceType string
	}{
		{"top-of-rack", "Switch", "Cisco Switch"},
		{"tor", DefaultPrimaryRole, DefaultDeviceType},
		{"storage-array", "Storage", DefaultDeviceType},
		{"core-switch", "Layer 3 Switch", "Switch"},
		// Custom rules replace the defaults entirely.
		{"router", DefaultPrimaryRole, DefaultDeviceType},
	}
	for _, tt := range tests {
		t.Run(tt.slug, func(t *testing.T) {
			t.Parallel()
			role, deviceType := MapRole(netbox.Ref{Slug: tt.slug}, rules)
			require.Equal(t, tt.role, role)
			require.Equal(t, tt.deviceType, deviceType)
		})
	}

	// A connection stores "no rules" as an empty list: that means the
	// built-in rules, not "map everything to Device".
	role, deviceType := MapRole(netbox.Ref{Slug: "router"}, []RoleRule{})
	require.Equal(t, "Router", role)
	require.Equal(t, "Router", deviceType)
}

func TestValidateRoleRules(t *testing.T) {
	t.Parallel()

	require.NoError(t, ValidateRoleRules(DefaultRoleRules()))
	require.ErrorContains(t, ValidateRoleRules([]RoleRule{{Match: []string{"x"}}}), "role rule 1: primary_role is required")
	require.ErrorContains(t, ValidateRoleRules([]RoleRule{{PrimaryRole: "Switch"}, {Match: []string{" - "}, PrimaryRole: "Router"}}),
		"role rule 1 (Switch): match needs at least one word")
	require.ErrorContains(t, ValidateRoleRules([]RoleRule{{Match: []string{"a"}, PrimaryRole: "A"}, {Match: []string{" - "}, PrimaryRole: "Router"}}),
		"role rule 2 (Router)")
}
