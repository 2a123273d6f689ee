package api

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/wugsync/wugsync/models"
	"github.com/wugsync/wugsync/sim/netboxsim"
	"github.com/wugsync/wugsync/sim/wugsim"
)

func TestWritebackFieldsDefaultOffAndRoundTrip(t *testing.T) {
	t.Parallel()
	b := setup(t)
	id := b.createConnection(t, "Lab", nil)
	got := b.call(t, http.MethodGet, path("/api/v1/connections/%d", id), nil).json(t)
	require.Equal(t, false, got["netbox_writeback"], "an upgrade writes nothing to NetBox")
	require.Equal(t, false, got["netbox_journal"])
	require.Equal(t, "wug_device_id", got["netbox_custom_field"])

	r := b.call(t, http.MethodPatch, path("/api/v1/connections/%d", id),
		map[string]any{"netbox_writeback": true, "netbox_custom_field": " wug_id_lab ", "netbox_journal": true})
	require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)
	require.NotContains(t, string(r.Body), "s3cret-pass")
	got = b.call(t, http.MethodGet, path("/api/v1/connections/%d", id), nil).json(t)
	require.Equal(t, true, got["netbox_writeback"])
	require.Equal(t, true, got["netbox_journal"])
	require.Equal(t, "wug_id_lab", got["netbox_custom_field"])
	var stored models.WUGConnection
	require.NoError(t, b.db.First(&stored, id).Error)
	require.True(t, stored.NetBoxWriteback)
	require.Equal(t, "wug_id_lab", stored.NetBoxCustomField)
}

func TestWritebackCustomFieldNameIsChecked(t *testing.T) {
	t.Parallel()
	b := setup(t)
	for _, bad := range []string{"", "Bad Name", "wug__id", "wug-id", "x234567890123456789012345678901234567890123456789012"} {
		r := b.call(t, http.MethodPost, "/api/v1/connections", map[string]any{"name": "Lab", "host": "wug.example.net",
			"username": "admin", "password": "s3cret-pass", "netbox_custom_field": bad})
		require.Equal(t, http.StatusUnprocessableEntity, r.Status, "%q: %s", bad, r.Body)
		require.Contains(t, r.errorOf(t)["fields"], "netbox_custom_field", "%q", bad)
	}
}

func TestTwoWritebackConnectionsMayNotShareACustomField(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.createConnection(t, "First", map[string]any{"netbox_writeback": true})

	r := b.call(t, http.MethodPost, "/api/v1/connections", map[string]any{"name": "Second", "host": "wug2.example.net",
		"username": "admin", "password": "s3cret-pass", "netbox_writeback": true})
	require.Equal(t, http.StatusUnprocessableEntity, r.Status, "%s", r.Body)
	fields := r.errorOf(t)["fields"].(map[string]any)
	require.Contains(t, fields["netbox_custom_field"], `connection "First"`)

	// Without write-back the same field is harmless; turning it on is not.
	second := b.createConnection(t, "Second", nil)
	r = b.call(t, http.MethodPatch, path("/api/v1/connections/%d", second), map[string]any{"netbox_writeback": true})
	require.Equal(t, http.StatusUnprocessableEntity, r.Status, "%s", r.Body)
	r = b.call(t, http.MethodPatch, path("/api/v1/connections/%d", second),
		map[string]any{"netbox_writeback": true, "netbox_custom_field": "wug_device_id_2"})
	require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)

	// The database holds the rule too, for two requests racing past the
	// check: the violation is recognised as this rule, not the name's.
	third := models.NewWUGConnection()
	third.Name, third.Host, third.Username, third.NetBoxWriteback = "Third", "wug3.example.net", "admin", true
	err := b.db.Create(&third).Error
	require.True(t, models.IsUniqueViolationOf(err, writebackFieldIndex, "netbox_custom_field"), "%v", err)
	require.Equal(t, http.StatusUnprocessableEntity, saveConflict(third, err).(*Error).Status)
}

func TestConnectionTestReportsMissingNetBoxWriteRights(t *testing.T) {
	t.Parallel()
	const readOnly = "abcdefabcdefabcdefabcdefabcdefabcdefabcd"
	b, _ := setupBundle(t, netboxsim.Options{TokenPermissions: map[string][]string{
		readOnly: {"dcim.view_device", "virtualization.view_virtualmachine", "extras.add_journalentry"},
	}}, readOnly)
	_, ts, certPEM := wugServer(t, wugsim.Options{})
	id := b.connectionTo(t, "lab", ts.URL, map[string]any{"ca_cert_pem": certPEM})
	require.Equal(t, true, b.probe(t, id)["ok"], "no write-back: NetBox's rights are not asked")

	r := b.call(t, http.MethodPatch, path("/api/v1/connections/%d", id), map[string]any{"netbox_writeback": true, "netbox_journal": true})
	require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)
	got := b.probe(t, id)
	require.Equal(t, false, got["ok"])
	require.Equal(t, "netbox_writeback", got["stage"])
	require.Equal(t, "netbox_permission", got["kind"])
	require.Contains(t, got["error"], "dcim.change_device")
	require.Contains(t, got["error"], "virtualization.change_virtualmachine")
	require.NotContains(t, got["error"], "extras.add_journalentry", "granted")
	check := got["netbox_writeback"].(map[string]any)
	require.Len(t, check["missing"], 2)
	require.Len(t, check["checked"], 3)
	require.EqualValues(t, 0, got["device_count"], "the WUG part still ran")
}

func TestConnectionTestPassesWithNetBoxWriteRights(t *testing.T) {
	t.Parallel()
	b, _ := setupBundle(t, netboxsim.Options{}, netboxsim.DefaultToken)
	_, ts, certPEM := wugServer(t, wugsim.Options{})
	id := b.connectionTo(t, "lab", ts.URL, map[string]any{"ca_cert_pem": certPEM, "netbox_writeback": true})
	got := b.probe(t, id)
	require.Equal(t, true, got["ok"], "%v", got)
	check := got["netbox_writeback"].(map[string]any)
	require.Equal(t, []any{}, check["missing"])
	require.Len(t, check["checked"], 2)
}
