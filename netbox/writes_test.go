package netbox_test

import (
	"context"
	"errors"
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/wugsync/wugsync/netbox"
	"github.com/wugsync/wugsync/sim/netboxsim"
)

func cfUpdate(id int64, value any) netbox.CustomFieldUpdate {
	return netbox.CustomFieldUpdate{ID: id, Values: map[string]any{"wug_device_id": value}}
}

func TestUpdateCustomFieldsIsOneBulkPatch(t *testing.T) {
	t.Parallel()
	b := setup(t, netboxsim.Options{Devices: 50}, nil)
	ctx := context.Background()
	require.NoError(t, b.sim.DeleteDevice(9))
	res, err := b.client.UpdateCustomFields(ctx, netbox.ObjectTypeDevice, []netbox.CustomFieldUpdate{
		cfUpdate(7, "807"), cfUpdate(3, "803"), cfUpdate(9, "809"),
	})
	require.NoError(t, err)
	require.Equal(t, []int64{3, 7}, res.Updated)
	require.Equal(t, []int64{9}, res.Missing, "a deleted device is reported, not an error")
	require.Equal(t, 1, b.sim.RequestCount("PATCH", "/api/dcim/devices/"), "one call for the batch")
	reqs := b.sim.Requests()
	require.Equal(t, "id,custom_fields", reqs[len(reqs)-1].Query.Get("fields"), "the answer is trimmed")

	d, err := b.client.GetDevice(ctx, 7)
	require.NoError(t, err)
	require.Equal(t, "807", d.CustomFields["wug_device_id"])

	_, err = b.client.UpdateCustomFields(ctx, netbox.ObjectTypeDevice, []netbox.CustomFieldUpdate{cfUpdate(7, nil)})
	require.NoError(t, err)
	d, err = b.client.GetDevice(ctx, 7)
	require.NoError(t, err)
	require.Nil(t, d.CustomFields["wug_device_id"], "nil clears the field")
	require.Contains(t, d.CustomFields, "wug_device_id")
}

func TestUpdateCustomFieldsOfVirtualMachines(t *testing.T) {
	t.Parallel()
	b := setup(t, netboxsim.Options{Devices: 50}, nil)
	res, err := b.client.UpdateCustomFields(context.Background(), netbox.ObjectTypeVirtualMachine, []netbox.CustomFieldUpdate{cfUpdate(1, "901"), cfUpdate(2, "902")})
	require.NoError(t, err)
	require.Equal(t, []int64{1, 2}, res.Updated)
	require.Equal(t, 1, b.sim.RequestCount("PATCH", "/api/virtualization/virtual-machines/"))
	vm, _ := b.sim.VirtualMachine(2)
	require.Equal(t, "902", vm.CustomFields["wug_device_id"])
	dev, _ := b.sim.Device(2)
	require.Nil(t, dev.CustomFields["wug_device_id"], "the device with the same id is untouched")
}

func TestUpdateCustomFieldsSplitsLargeBatches(t *testing.T) {
	t.Parallel()
	b := setup(t, netboxsim.Options{Devices: 450}, nil)
	updates := make([]netbox.CustomFieldUpdate, 450)
	for i := range updates {
		updates[i] = cfUpdate(int64(i+1), "x")
	}
	res, err := b.client.UpdateCustomFields(context.Background(), netbox.ObjectTypeDevice, updates)
	require.NoError(t, err)
	require.Len(t, res.Updated, 450)
	require.Equal(t, 3, b.sim.RequestCount("PATCH", "/api/dcim/devices/"), "200 objects per request")
}

func TestUnknownCustomFieldIsTypedAndNotRetried(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		version string
		dropped bool
	}{
		{netboxsim.Version42, false},
		{netboxsim.Version44, false},
		{netboxsim.Version45, true},
	} {
		t.Run(tc.version, func(t *testing.T) {
			t.Parallel()
			b := setup(t, netboxsim.Options{Version: tc.version, Devices: 10}, nil)
			_, err := b.client.UpdateCustomFields(context.Background(), netbox.ObjectTypeDevice, []netbox.CustomFieldUpdate{
				{ID: 2, Values: map[string]any{"wug_id": "812"}},
			})
			require.ErrorIs(t, err, netbox.ErrUnknownCustomField)
			require.ErrorIs(t, err, netbox.ErrConfig, "a run fails at once")
			var ucf *netbox.UnknownCustomFieldError
			require.ErrorAs(t, err, &ucf)
			require.Equal(t, "wug_id", ucf.Field)
			require.Equal(t, netbox.ObjectTypeDevice, ucf.ObjectType)
			require.Equal(t, tc.dropped, ucf.Dropped)
			require.Contains(t, err.Error(), `custom field "wug_id" is not defined for dcim.device`)
			require.Equal(t, 1, b.sim.RequestCount("PATCH", "/api/dcim/devices/"), "never retried")
		})
	}
}

func TestWrongCustomFieldTypeIsValidationError(t *testing.T) {
	t.Parallel()
	inv := netboxsim.GenerateInventory(1, 10)
	inv.CustomFields[0].Type = "integer" // an old plugin's integer wug_device_id
	b := setup(t, netboxsim.Options{Inventory: &inv}, nil)
	_, err := b.client.UpdateCustomFields(context.Background(), netbox.ObjectTypeDevice, []netbox.CustomFieldUpdate{cfUpdate(1, "812")})
	require.ErrorIs(t, err, netbox.ErrInvalid)
	require.ErrorIs(t, err, netbox.ErrConfig)
	require.NotErrorIs(t, err, netbox.ErrUnknownCustomField)
	var verr *netbox.ValidationError
	require.ErrorAs(t, err, &verr)
	require.Equal(t, []netbox.Problem{{Item: -1, Field: "__all__", Message: "Invalid value for custom field 'wug_device_id': Value must be an integer."}}, verr.Problems)
	require.Equal(t, http.StatusBadRequest, verr.API.StatusCode)
}

func TestUpdateCustomFieldsPermissionDenied(t *testing.T) {
	t.Parallel()
	const viewer = "1111111111111111111111111111111111111111"
	const readOnly = "3333333333333333333333333333333333333333"
	b := setup(t, netboxsim.Options{Devices: 5, ReadOnlyTokens: []string{readOnly},
		TokenPermissions: map[string][]string{viewer: {"dcim.view_device"}}}, func(c *netbox.Config) { c.Token = viewer })
	_, err := b.client.UpdateCustomFields(context.Background(), netbox.ObjectTypeDevice, []netbox.CustomFieldUpdate{cfUpdate(1, "1")})
	require.ErrorIs(t, err, netbox.ErrPermission)
	require.ErrorIs(t, err, netbox.ErrAuth)
	var perr *netbox.PermissionError
	require.ErrorAs(t, err, &perr)
	require.Equal(t, "dcim.change_device", perr.Permission)
	require.True(t, perr.Write)
	require.Contains(t, err.Error(), "needs the dcim.change_device permission and the token must be write-enabled")
	require.NotContains(t, err.Error(), viewer)
	require.Equal(t, 1, b.sim.RequestCount("PATCH", "/api/dcim/devices/"), "not retried")

	// A bad token is an authentication failure, not a missing permission.
	bad, err := netbox.New(netbox.Config{URL: b.srv.URL, Token: "ffffffffffffffffffffffffffffffffffffffff"})
	require.NoError(t, err)
	_, err = bad.UpdateCustomFields(context.Background(), netbox.ObjectTypeDevice, []netbox.CustomFieldUpdate{cfUpdate(1, "1")})
	require.ErrorIs(t, err, netbox.ErrAuth)
	require.NotErrorIs(t, err, netbox.ErrPermission)
}

func TestUpdateCustomFieldsRefusesBadInputWithoutARequest(t *testing.T) {
	t.Parallel()
	b := setup(t, netboxsim.Options{Devices: 5}, nil)
	ctx := context.Background()
	cases := map[string]struct {
		objectType string
		updates    []netbox.CustomFieldUpdate
	}{
		"object type":  {"dcim.site", []netbox.CustomFieldUpdate{cfUpdate(1, "1")}},
		"zero id":      {netbox.ObjectTypeDevice, []netbox.CustomFieldUpdate{cfUpdate(0, "1")}},
		"duplicate id": {netbox.ObjectTypeDevice, []netbox.CustomFieldUpdate{cfUpdate(1, "1"), cfUpdate(1, "2")}},
		"no values":    {netbox.ObjectTypeDevice, []netbox.CustomFieldUpdate{{ID: 1}}},
	}
	for name, tc := range cases {
		_, err := b.client.UpdateCustomFields(ctx, tc.objectType, tc.updates)
		require.ErrorIs(t, err, netbox.ErrConfig, name)
	}
	res, err := b.client.UpdateCustomFields(ctx, netbox.ObjectTypeDevice, nil)
	require.NoError(t, err)
	require.Empty(t, res.Updated)
	require.Empty(t, b.sim.Requests(), "nothing was sent")
}

func TestWritesRetryOnlyWhatIsSafe(t *testing.T) {
	t.Parallel()
	b := setup(t, netboxsim.Options{Devices: 5, Faults: []netboxsim.FaultRule{
		{PathPrefix: "/api/dcim/devices/", Methods: []string{"PATCH"}, Status: 502, FirstN: 1},
		{PathPrefix: "/api/extras/journal-entries/", Methods: []string{"POST"}, Status: 502, FirstN: 1},
	}}, nil)
	ctx := context.Background()
	_, err := b.client.UpdateCustomFields(ctx, netbox.ObjectTypeDevice, []netbox.CustomFieldUpdate{cfUpdate(1, "1")})
	require.NoError(t, err, "setting a value again is harmless, so the PATCH is retried")
	require.Equal(t, 2, b.sim.RequestCount("PATCH", "/api/dcim/devices/"))

	_, err = b.client.AddJournalEntries(ctx, []netbox.JournalEntry{{ObjectType: netbox.ObjectTypeDevice, ObjectID: 1, Kind: netbox.JournalInfo, Comments: "x"}})
	require.ErrorIs(t, err, netbox.ErrServer)
	require.Equal(t, 1, b.sim.RequestCount("POST", "/api/extras/journal-entries/"), "a POST NetBox may have applied is not repeated")
	require.Empty(t, b.sim.JournalEntries())
}

type countingLimiter struct {
	acquired, released int
	fail               error
}

func (l *countingLimiter) Acquire(context.Context, string) (func(), error) {
	if l.fail != nil {
		return nil, l.fail
	}
	l.acquired++
	return func() { l.released++ }, nil
}

func TestLimiterGatesEveryAttempt(t *testing.T) {
	t.Parallel()
	lim := &countingLimiter{}
	b := setup(t, netboxsim.Options{Devices: 5, Faults: []netboxsim.FaultRule{{PathPrefix: "/api/status/", Status: 503, FirstN: 1}}},
		func(c *netbox.Config) { c.Limiter = lim })
	_, err := b.client.Status(context.Background())
	require.NoError(t, err)
	require.Equal(t, 2, lim.acquired, "the retry waits for the limiter too")
	require.Equal(t, 2, lim.released)

	denied := errors.New("budget exhausted")
	lim.fail = denied
	_, err = b.client.Status(context.Background())
	require.ErrorIs(t, err, denied)
	require.Contains(t, err.Error(), "rate limiter")
	require.Equal(t, 2, b.sim.RequestCount("GET", "/api/status/"), "nothing sent without the limiter's leave")
}
