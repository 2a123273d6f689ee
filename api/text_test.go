package api

import (
	"net/http"
	"net/url"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/wugsync/wugsync/models"
)

// TestControlCharactersInBodiesAreRefused: every JSON body refuses a
// control character, JSON-escaped or raw, with a 422 naming the field, and
// stores nothing (on PostgreSQL a NUL would otherwise fail the write or,
// worse, a later one). It runs on SQLite and, in CI, on PostgreSQL.
func TestControlCharactersInBodiesAreRefused(t *testing.T) {
	t.Parallel()
	b := setup(t)
	id := b.createConnection(t, "lab", nil)
	row := b.insertExport(t, models.NetBoxIPExport{ConnectionID: id, NetBoxDeviceID: 7, IPAddress: "10.0.0.7"})
	conn := path("/api/v1/connections/%d", id)
	create := func(field, value string) string {
		body := map[string]string{"name": `"new"`, "host": `"wug-new.example.net"`, "username": `"admin"`, "password": `"pw"`}
		body[field] = value
		out := "{"
		for k, v := range body {
			if len(out) > 1 {
				out += ","
			}
			out += `"` + k + `":` + v
		}
		return out + "}"
	}
	cases := []struct {
		method, path, body, field string
	}{
		{http.MethodPost, "/api/v1/connections", create("name", `"lab\u0000"`), "name"},
		{http.MethodPost, "/api/v1/connections", create("host", `"wug\u0000.example.net"`), "host"},
		{http.MethodPost, "/api/v1/connections", create("username", `"ad\u001bmin"`), "username"},
		{http.MethodPost, "/api/v1/connections", create("password", `"p\u0000w"`), "password"},
		{http.MethodPost, "/api/v1/connections", create("group_template", `"{site}\u0007"`), "group_template"},
		{http.MethodPost, "/api/v1/connections", create("device_filters", `{"sites": ["\u0000"]}`), "device_filters.sites[0]"},
		{http.MethodPost, "/api/v1/connections", create("role_rules", `[{"match": ["core\u0085"], "primary_role": "Switch", "device_type": "Switch"}]`), "role_rules[0].match[0]"},
		{http.MethodPost, "/api/v1/connections", create("ca_cert_pem", `"-----BEGIN CERTIFICATE-----\u0000"`), "ca_cert_pem"},
		{http.MethodPatch, conn, `{"name": "lab\n2"}`, "name"},
		{http.MethodPatch, conn, `{"wug_console_url": "https://wug/NmConsole/\u0000#{id}"}`, "wug_console_url"},
		{http.MethodPatch, conn, `{"wug_console_url": "https://wug/NmConsole/\n"}`, "wug_console_url"},
		{http.MethodPatch, conn, `{"device_filters": {"tags": ["ok", "\u007f"]}}`, "device_filters.tags[1]"},
		{http.MethodPost, conn + "/export", `{"device_filters": {"sites": ["\u0000"]}}`, "device_filters.sites[0]"},
		{http.MethodPost, SeedPrefix + path("/connections/%d/export/", id), `{"device_filters": {"sites": ["fra\u0000"]}}`, "device_filters.sites[0]"},
		{http.MethodPost, "/api/v1/ip-exports/bulk-export", `{"connection_id": 1, "ip_addresses": ["10.0.0.7\u0000"]}`, "ip_addresses[0]"},
		{http.MethodPost, SeedPrefix + "/ip-exports/bulk-export/", `{"connection_id": 1, "ip_addresses": ["\r10.0.0.7"]}`, "ip_addresses[0]"},
	}
	for _, tc := range cases {
		r := b.call(t, tc.method, tc.path, tc.body)
		require.Equal(t, http.StatusUnprocessableEntity, r.Status, "%s %s %s: %s", tc.method, tc.path, tc.body, r.Body)
		require.Contains(t, r.errorOf(t)["fields"], tc.field, "%s %s", tc.path, tc.body)
		require.Contains(t, r.errorOf(t)["message"], "control character")
	}
	var conns, runs int64
	require.NoError(t, b.db.Model(&models.WUGConnection{}).Count(&conns).Error)
	require.NoError(t, b.db.Model(&models.WUGSyncLog{}).Count(&runs).Error)
	require.EqualValues(t, 1, conns, "nothing was created")
	require.Zero(t, runs, "no run was started")
	require.Empty(t, b.queuedTasks(t, "critical"), "no sync was queued")
	got := b.call(t, http.MethodGet, conn, nil).json(t)
	require.Equal(t, "lab", got["name"], "a refused PATCH changes nothing")

	// A raw control character is not JSON at all.
	r := b.call(t, http.MethodPost, "/api/v1/connections", create("name", "\"raw\ttab\""))
	require.Equal(t, http.StatusBadRequest, r.Status, "%s", r.Body)

	// Bodies of routes without parameters are read too.
	for _, p := range []string{path("/api/v1/ip-exports/%d/retry", row.ID), "/api/v1/netbox-devices/7/sync"} {
		r := b.call(t, http.MethodPost, p, `{"\u0000": 1}`)
		require.Equal(t, http.StatusBadRequest, r.Status, "%s: %s", p, r.Body)
	}
	// So are filter names: the seed's device_filters knows its keys.
	r = b.call(t, http.MethodPost, SeedPrefix+path("/connections/%d/export/", id), `{"device_filters": {"si\u0000tes": ["fra"]}}`)
	require.Equal(t, http.StatusBadRequest, r.Status, "%s", r.Body)

	// Line breaks belong in a PEM bundle, and only there.
	r = b.call(t, http.MethodPatch, conn, `{"ca_cert_pem": "not a certificate\n"}`)
	require.Equal(t, http.StatusUnprocessableEntity, r.Status)
	require.NotContains(t, r.errorOf(t)["message"], "control character", "a newline passes the text check in ca_cert_pem")
}

// TestControlCharactersInQueriesAreRefused: every query parameter, on
// every route, refuses a control character with a 400 naming it.
func TestControlCharactersInQueriesAreRefused(t *testing.T) {
	t.Parallel()
	b := setup(t)
	id := b.createConnection(t, "lab", nil)
	run := b.insertRun(t, id, models.RunCompleted)
	cases := []struct{ path, param string }{
		{"/api/v1/ip-exports?device=" + url.QueryEscape("sw\x00"), "device"},
		{"/api/v1/ip-exports?ip=" + url.QueryEscape("10.0.0.1\x00"), "ip"},
		{"/api/v1/ip-exports?status=exported&unknown=" + url.QueryEscape("\x01"), "unknown"},
		{"/api/v1/sync-logs?status=" + url.QueryEscape("\x00"), "status"},
		{path("/api/v1/sync-logs/%d?wait=", run.ID) + url.QueryEscape("1\x00"), "wait"},
		{"/api/v1/connections?limit=" + url.QueryEscape("\t5"), "limit"},
		{SeedPrefix + "/ip-exports/?device=" + url.QueryEscape("\x1b[31m"), "device"},
		{"/login?next=" + url.QueryEscape("/\t/evil.example/x"), "next"},
		{"/healthz?x=" + url.QueryEscape("\u0085"), "x"},
	}
	for _, tc := range cases {
		r := b.call(t, http.MethodGet, tc.path, nil)
		require.Equal(t, http.StatusBadRequest, r.Status, "%s: %s", tc.path, r.Body)
		require.Contains(t, r.errorOf(t)["fields"], tc.param, tc.path)
	}
	r := b.call(t, http.MethodGet, SeedPrefix+"/ip-exports/?device="+url.QueryEscape("\x00"), nil)
	require.Equal(t, false, r.json(t)["success"], "seed routes answer in the seed's shape")
}
