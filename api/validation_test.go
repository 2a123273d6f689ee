package api

import (
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/wugsync/wugsync/models"
	"github.com/wugsync/wugsync/tasks"
)

// TestStatusFiltersAreNetBoxStatuses: a status filter names one of
// NetBox's device or VM statuses, or a custom one marked "custom:", so a
// typo is refused rather than exporting nothing.
func TestStatusFiltersAreNetBoxStatuses(t *testing.T) {
	t.Parallel()
	b := setup(t)
	id := b.createConnection(t, "lab", map[string]any{"device_filters": map[string]any{
		"statuses": []string{"active", "staged", "inventory", "paused", "custom:retired"}}})
	var stored models.WUGConnection
	require.NoError(t, b.db.First(&stored, id).Error)
	require.Equal(t, []string{"active", "staged", "inventory", "paused", "retired"}, stored.DeviceFilters.EffectiveStatuses(),
		"NetBox hears the custom status without its marker")
	got := b.call(t, http.MethodGet, path("/api/v1/connections/%d", id), nil).json(t)
	statuses := got["device_filters"].(map[string]any)["statuses"]
	require.Equal(t, []any{"active", "staged", "inventory", "paused", "custom:retired"}, statuses, "the marker round-trips")
	r := b.call(t, http.MethodPatch, path("/api/v1/connections/%d", id), map[string]any{"device_filters": got["device_filters"]})
	require.Equal(t, http.StatusOK, r.Status, "what GET shows can be sent back: %s", r.Body)

	for _, bad := range []string{"Active", "actve", "custom:", "custom: ", "retired"} {
		r := b.call(t, http.MethodPatch, path("/api/v1/connections/%d", id),
			map[string]any{"device_filters": map[string]any{"statuses": []string{"active", bad}}})
		require.Equal(t, http.StatusUnprocessableEntity, r.Status, "%q: %s", bad, r.Body)
		require.Contains(t, r.errorOf(t)["fields"], "device_filters.statuses[1]", bad)
	}
	r = b.call(t, http.MethodPost, path("/api/v1/connections/%d/export", id),
		map[string]any{"device_filters": map[string]any{"statuses": []string{"planed"}}})
	require.Equal(t, http.StatusUnprocessableEntity, r.Status, "%s", r.Body)
	require.Contains(t, r.errorOf(t)["message"], "custom:planed", "the message shows the escape")
	r = b.call(t, http.MethodPost, SeedPrefix+path("/connections/%d/export/", id),
		map[string]any{"device_filters": map[string]any{"status": []string{"planed"}}})
	require.Equal(t, http.StatusUnprocessableEntity, r.Status, "%s", r.Body)
}

// TestGroupTemplateIsBounded: at most eight levels, and no "." or ".."
// level.
func TestGroupTemplateIsBounded(t *testing.T) {
	t.Parallel()
	b := setup(t)
	id := b.createConnection(t, "lab", nil)
	eight := strings.Repeat("{site}/", 7) + "{site}"
	r := b.call(t, http.MethodPatch, path("/api/v1/connections/%d", id), map[string]any{"group_template": "My Network/" + eight})
	require.Equal(t, http.StatusOK, r.Status, "eight levels below My Network: %s", r.Body)
	for _, bad := range []string{eight + "/{role}", "{region}/../{site}", "./{site}", "{site}/ .. ", "{site}//{role}",
		strings.Repeat("x", 501)} {
		r := b.call(t, http.MethodPatch, path("/api/v1/connections/%d", id), map[string]any{"group_template": bad})
		require.Equal(t, http.StatusUnprocessableEntity, r.Status, "%q: %s", bad, r.Body)
		require.Contains(t, r.errorOf(t)["fields"], "group_template", bad)
	}
}

// TestDeviceIDsAreInNetBoxRange: device ids are positive 32-bit numbers
// on every route that takes one.
func TestDeviceIDsAreInNetBoxRange(t *testing.T) {
	t.Parallel()
	b := setup(t)
	id := b.createConnection(t, "lab", nil)
	for _, p := range []string{"/api/v1/netbox-devices/2147483648/sync", "/api/v1/netbox-devices/0/sync",
		"/api/v1/netbox-devices/-3/sync", SeedPrefix + "/netbox-device/9223372036854775807/sync/"} {
		r := b.call(t, http.MethodPost, p, nil)
		require.Equal(t, http.StatusNotFound, r.Status, "%s: %s", p, r.Body)
	}
	r := b.call(t, http.MethodPost, "/api/v1/netbox-devices/2147483647/sync", nil)
	require.Equal(t, http.StatusAccepted, r.Status, "the largest id: %s", r.Body)

	r = b.call(t, http.MethodGet, "/api/v1/ip-exports?device_id=2147483648", nil)
	require.Equal(t, http.StatusBadRequest, r.Status)
	require.Contains(t, r.errorOf(t)["fields"], "device_id")
	for _, route := range []string{"/api/v1/ip-exports/bulk-export", SeedPrefix + "/ip-exports/bulk-export/"} {
		r = b.call(t, http.MethodPost, route, map[string]any{"connection_id": id, "device_ids": []int64{5, 1 << 31}})
		require.Equal(t, http.StatusUnprocessableEntity, r.Status, "%s: %s", route, r.Body)
		require.Contains(t, r.errorOf(t)["fields"], "device_ids[1]")
	}
	require.Equal(t, []int64{2147483647}, b.syncedDevices(t, tasks.TypeDeviceSync), "only the valid id was queued")
}

// TestBodyOfRetryAndSyncIsEmptyOrJSON: routes that take no parameters
// refuse a body that is not JSON, or that carries fields they would
// ignore.
func TestBodyOfRetryAndSyncIsEmptyOrJSON(t *testing.T) {
	t.Parallel()
	b := setup(t)
	id := b.createConnection(t, "lab", nil)
	row := b.insertExport(t, models.NetBoxIPExport{ConnectionID: id, NetBoxDeviceID: 7, IPAddress: "10.0.0.7"})
	routes := []string{path("/api/v1/ip-exports/%d/retry", row.ID), "/api/v1/netbox-devices/7/sync",
		SeedPrefix + "/netbox-device/7/sync/?wait=0"}
	for _, route := range routes {
		for _, body := range []string{"force=1", "{", `{"force": true}`, "[]", `{} {}`} {
			r := b.call(t, http.MethodPost, route, body)
			require.Equal(t, http.StatusBadRequest, r.Status, "%s %q: %s", route, body, r.Body)
		}
		for _, body := range []string{"", " ", "{}"} {
			r := b.call(t, http.MethodPost, route, body)
			require.Equal(t, http.StatusAccepted, r.Status, "%s %q: %s", route, body, r.Body)
		}
	}
}
