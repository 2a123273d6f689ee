package netbox_test

import (
	"context"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/wugsync/wugsync/netbox"
	"github.com/wugsync/wugsync/sim/netboxsim"
)

func allPermissions() []string {
	return slices.Concat(netbox.ExportPermissions, netbox.WritebackPermissions, netbox.SetupPermissions)
}

func TestProbePermissionsChangesNothing(t *testing.T) {
	t.Parallel()
	r := newRecorder(t)
	b := setup(t, netboxsim.Options{Devices: 10, WebhookURL: r.url(), WebhookSync: true}, nil)
	before := b.sim.Inventory()
	report, err := b.client.ProbePermissions(context.Background(), allPermissions()...)
	require.NoError(t, err)
	require.Len(t, report.Checks, 17)
	for _, c := range report.Checks {
		require.Equal(t, netbox.AccessGranted, c.Access, c.Permission)
		require.NotEmpty(t, c.Purpose)
	}
	require.Empty(t, report.Missing())
	require.Equal(t, before, b.sim.Inventory(), "the write probes changed nothing")
	require.Empty(t, r.bodies(), "and sent no webhook")
	require.Equal(t, 1, b.sim.RequestCount("PATCH", "/api/dcim/devices/"))
	require.Equal(t, 1, b.sim.RequestCount("POST", "/api/extras/journal-entries/"))
}

func TestProbePermissionsNamesWhatIsMissing(t *testing.T) {
	t.Parallel()
	const limited = "1111111111111111111111111111111111111111"
	const readOnly = "3333333333333333333333333333333333333333"
	b := setup(t, netboxsim.Options{Devices: 5, ReadOnlyTokens: []string{readOnly}, TokenPermissions: map[string][]string{
		limited: {"dcim.view_device", "dcim.change_device", "virtualization.view_virtualmachine", "extras.view_customfield"},
	}}, func(c *netbox.Config) { c.Token = limited })
	report, err := b.client.ProbePermissions(context.Background(), allPermissions()...)
	require.NoError(t, err)
	require.Equal(t, netbox.AccessGranted, report.Access(netbox.PermChangeDevice))
	require.Equal(t, netbox.AccessGranted, report.Access(netbox.PermViewCustomField))
	require.Equal(t, netbox.AccessDenied, report.Access(netbox.PermChangeVirtualMachine))
	require.Equal(t, netbox.AccessDenied, report.Access(netbox.PermAddJournalEntry))
	var missing []string
	for _, c := range report.Missing() {
		missing = append(missing, c.Permission)
		require.Contains(t, c.Detail, c.Permission, "the detail names the permission")
	}
	require.Equal(t, []string{
		netbox.PermChangeVirtualMachine, netbox.PermAddJournalEntry,
		netbox.PermAddCustomField, netbox.PermChangeCustomField,
		netbox.PermViewCustomLink, netbox.PermAddCustomLink, netbox.PermChangeCustomLink,
		netbox.PermViewWebhook, netbox.PermAddWebhook, netbox.PermChangeWebhook,
		netbox.PermViewEventRule, netbox.PermAddEventRule, netbox.PermChangeEventRule,
	}, missing)

	ro, err := netbox.New(netbox.Config{URL: b.srv.URL, Token: readOnly})
	require.NoError(t, err)
	report, err = ro.ProbePermissions(context.Background(), netbox.PermViewDevice, netbox.PermChangeDevice)
	require.NoError(t, err)
	require.Equal(t, netbox.AccessGranted, report.Access(netbox.PermViewDevice))
	require.Equal(t, netbox.AccessDenied, report.Access(netbox.PermChangeDevice), "a token that is not write-enabled")
}

func TestProbePermissionsFailures(t *testing.T) {
	t.Parallel()
	b := setup(t, netboxsim.Options{Devices: 5, Faults: []netboxsim.FaultRule{
		{PathPrefix: "/api/extras/webhooks/", Status: 405},
	}}, nil)
	report, err := b.client.ProbePermissions(context.Background(), netbox.PermViewDevice, netbox.PermAddWebhook)
	require.NoError(t, err)
	require.Equal(t, netbox.AccessGranted, report.Access(netbox.PermViewDevice))
	require.Equal(t, netbox.AccessUnknown, report.Access(netbox.PermAddWebhook), "a refusal that is not a 403 proves nothing")
	require.Contains(t, report.Checks[1].Detail, "HTTP 405")

	_, err = b.client.ProbePermissions(context.Background(), "dcim.fly_device")
	require.ErrorIs(t, err, netbox.ErrConfig)

	bad, err := netbox.New(netbox.Config{URL: b.srv.URL, Token: "ffffffffffffffffffffffffffffffffffffffff"})
	require.NoError(t, err)
	_, err = bad.ProbePermissions(context.Background(), netbox.PermViewDevice)
	require.ErrorIs(t, err, netbox.ErrAuth)
	require.NotErrorIs(t, err, netbox.ErrPermission)
}
