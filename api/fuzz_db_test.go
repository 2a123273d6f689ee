package api

import (
	"fmt"
	"net/http"
	"net/url"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/wugsync/wugsync/models"
)

// Database-backed fuzz targets: the real handlers over real HTTP against a
// real database (SQLite, or PostgreSQL when WUGSYNC_TEST_DATABASE_URL is
// set). The input-level targets in fuzz_test.go prove the validation; these
// prove what reaches the database. A NUL byte in a filter once got through
// to PostgreSQL and wedged a connection (issue 12): these targets find that
// on both databases, on PostgreSQL as a 500 from the failed write, on
// SQLite by reading back the stored row and finding the control character.
//
// Each fuzz process builds one server and database; every iteration leaves
// them as it found them, so inputs do not depend on each other.

// requireHandled fails on a server error or an undocumented client error:
// a handler answers a bad input with 4xx naming the problem, never 5xx.
func requireHandled(t *testing.T, r reply, want ...int) {
	t.Helper()
	for _, w := range want {
		if r.Status == w {
			return
		}
	}
	switch r.Status {
	case http.StatusBadRequest, http.StatusUnprocessableEntity:
		e := r.errorOf(t)
		if msg, _ := e["message"].(string); msg == "" {
			t.Fatalf("%d without a message: %s", r.Status, r.Body)
		}
		if r.Status == http.StatusUnprocessableEntity && e["fields"] == nil {
			t.Fatalf("422 names no field: %s", r.Body)
		}
	default:
		t.Fatalf("answered %d: %s", r.Status, r.Body)
	}
}

// requireStorable fails when a value read back from the database holds
// text that PostgreSQL cannot store (NUL, invalid UTF-8) or any control
// character the API refuses. multiline names the fields that may hold
// line breaks.
func requireStorable(t *testing.T, v reflect.Value, where string, multiline map[string]bool) {
	t.Helper()
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if !v.IsNil() {
			requireStorable(t, v.Elem(), where, multiline)
		}
	case reflect.String:
		s := v.String()
		rule := ""
		if multiline[where] {
			rule = textMultiline
		}
		if !utf8.ValidString(s) {
			t.Fatalf("%s stored invalid UTF-8 %q", where, s)
		}
		if p := controlProblem(s, rule); p != "" {
			t.Fatalf("%s stored %q: %s", where, s, p)
		}
	case reflect.Slice, reflect.Array:
		if v.Type().Elem().Kind() == reflect.Uint8 {
			return // sealed password, not text
		}
		for i := range v.Len() {
			requireStorable(t, v.Index(i), fmt.Sprintf("%s[%d]", where, i), multiline)
		}
	case reflect.Map:
		for _, k := range v.MapKeys() {
			requireStorable(t, k, where+" key", multiline)
			requireStorable(t, v.MapIndex(k), where, multiline)
		}
	case reflect.Struct:
		for i := range v.NumField() {
			if f := v.Type().Field(i); f.IsExported() {
				requireStorable(t, v.Field(i), f.Name, multiline)
			}
		}
	}
}

var connectionMultiline = map[string]bool{"CACertPEM": true}

// storeConnection adds a connection with a password straight to the
// database: half the cost of an iteration through the API.
func storeConnection(t *testing.T, b *testBundle, name string) uint {
	t.Helper()
	conn := models.NewWUGConnection()
	conn.Name, conn.Host, conn.Username = name, "wug-"+name+".example.net", "admin"
	if err := conn.SetPassword(b.sealer, "s3cret-pass"); err != nil {
		t.Fatal(err)
	}
	if err := b.db.Create(&conn).Error; err != nil {
		t.Fatal(err)
	}
	return conn.ID
}

// FuzzConnectionStored sends a body to POST /api/v1/connections, or as a
// PATCH of a stored connection, and reads back what was stored.
func FuzzConnectionStored(f *testing.F) {
	for _, seed := range []string{
		`{"name": "lab", "host": "https://wug:9644", "username": "admin", "password": "x"}`,
		`{"name": "lab", "host": "wug", "username": "admin", "password": "p", "device_filters": {"sites": [" fra1 "], "statuses": ["custom:x"]}}`,
		`{"name": "lab", "host": "wug", "username": "admin", "password": "p", "role_rules": [{"match": ["core"], "primary_role": "Switch", "device_type": "Switch"}]}`,
		`{"name": "lab", "host": "wug", "username": "admin", "password": "p", "group_template": "{site}/{role}"}`,
		`{"device_filters": {"sites": ["\u0000"]}}`, `{"device_filters": {"tags": ["ok", "\u007f"]}}`,
		`{"name": "lab\u0000"}`, `{"username": "a\u0085"}`, `{"group_template": "{site}\u0007"}`,
		`{"ca_cert_pem": "-----BEGIN CERTIFICATE-----\u0000"}`, `{"name": "é\ud800"}`,
		`{"role_rules": [{"match": ["core\u0000"], "primary_role": "Switch", "device_type": "Switch"}]}`,
		`{"name": "renamed", "batch_size": 10}`, `{"host": "other", "password": "new"}`, `{"host": "169.254.169.254", "password": "p"}`,
	} {
		f.Add([]byte(seed), false)
		f.Add([]byte(seed), true)
	}
	b := setup(f)
	f.Fuzz(func(t *testing.T, body []byte, patch bool) {
		// Every iteration starts from one stored connection and removes
		// whatever it created.
		id := storeConnection(t, b, "stored")
		defer func() {
			if err := b.db.Unscoped().Where("1 = 1").Delete(&models.WUGConnection{}).Error; err != nil {
				t.Fatal(err)
			}
		}()
		var r reply
		if patch {
			r = b.call(t, http.MethodPatch, path("/api/v1/connections/%d", id), body)
			requireHandled(t, r, http.StatusOK, http.StatusConflict)
		} else {
			r = b.call(t, http.MethodPost, "/api/v1/connections", body)
			// 409: the body named the stored connection.
			requireHandled(t, r, http.StatusCreated, http.StatusConflict)
		}
		var rows []models.WUGConnection
		if err := b.db.Order("id").Find(&rows).Error; err != nil {
			t.Fatal(err)
		}
		want := 1
		if r.Status == http.StatusCreated {
			want = 2
		}
		if len(rows) != want {
			t.Fatalf("answered %d and stored %d connections", r.Status, len(rows))
		}
		for _, row := range rows {
			requireStorable(t, reflect.ValueOf(row), "connection", connectionMultiline)
		}
		if r.Status == http.StatusOK || r.Status == http.StatusCreated {
			got := r.json(t)
			row := rows[len(rows)-1]
			if got["name"] != row.Name || got["host"] != row.Host || got["username"] != row.Username {
				t.Fatalf("answered %s but stored %q %q %q", r.Body, row.Name, row.Host, row.Username)
			}
		}
	})
}

// FuzzExportStored sends a body to POST /api/v1/connections/{id}/export,
// or to the seed's export route, and reads back the run it recorded.
func FuzzExportStored(f *testing.F) {
	for _, seed := range []string{
		`{"device_filters": {"sites": ["fra1"]}, "dry_run": true}`,
		`{"device_filters": {"sites": [" fra1 ", "ams"], "statuses": ["active", "custom:retired"], "tenants": []}}`,
		`{"device_filters": {"device_roles": ["core"], "sites": [1, 2]}, "exclude_recent_exports": true}`,
		`{"device_filters": {"sites": ["\u0000"]}}`, `{"device_filters": {"sites": ["fra\u0000"]}}`,
		`{"device_filters": {"s\u0000": ["a"]}}`, `{"device_filters": {"tags": ["\u001b[31m"]}}`,
		`{"device_filters": {"statuses": ["actve"]}}`, `{"device_filters": {"colour": ["red"]}}`,
		`{"dry_run": "yes"}`, `{}`, ``, `null`, `[]`,
	} {
		f.Add([]byte(seed), false)
		f.Add([]byte(seed), true)
	}
	b := setup(f)
	f.Fuzz(func(t *testing.T, body []byte, seedRoute bool) {
		id := storeConnection(t, b, "lab")
		defer func() {
			for _, m := range []any{&models.WUGSyncLog{}, &models.WUGConnection{}} {
				if err := b.db.Unscoped().Where("1 = 1").Delete(m).Error; err != nil {
					t.Fatal(err)
				}
			}
			queues, err := b.inspector.Queues()
			if err != nil {
				t.Fatal(err)
			}
			for _, q := range queues {
				if _, err := b.inspector.DeleteAllPendingTasks(q); err != nil {
					t.Fatal(err)
				}
			}
		}()
		route := path("/api/v1/connections/%d/export", id)
		if seedRoute {
			// No worker runs here: answer at once rather than wait for
			// the run (the seed route waits 60 s by default).
			route = SeedPrefix + path("/connections/%d/export/", id) + "?wait=0"
		}
		r := b.call(t, http.MethodPost, route, body)
		requireHandled(t, r, http.StatusAccepted)
		var runs []models.WUGSyncLog
		if err := b.db.Find(&runs).Error; err != nil {
			t.Fatal(err)
		}
		if r.Status != http.StatusAccepted {
			if len(runs) != 0 {
				t.Fatalf("answered %d and recorded %d runs", r.Status, len(runs))
			}
			return
		}
		if len(runs) != 1 {
			t.Fatalf("answered 202 and recorded %d runs", len(runs))
		}
		requireStorable(t, reflect.ValueOf(runs[0]), "run", nil)
		for _, l := range filterLists(&runs[0].Filters) {
			for i, v := range *l.list {
				if v == "" || v != strings.TrimSpace(v) {
					t.Fatalf("run stored %s[%d] = %q", l.name, i, v)
				}
			}
		}
	})
}

// FuzzListQueries sends query parameters to the list routes, whose text
// filters reach the database as query arguments (a NUL there fails on
// PostgreSQL as a write would).
func FuzzListQueries(f *testing.F) {
	for _, seed := range [][4]string{
		{"sw1", "10.0.0.1", "exported", "10"}, {"", "", "", ""}, {"sw\x00", "", "", ""},
		{"", "10.0.0.1\x00", "", ""}, {"", "", "exported\x00", ""}, {"", "", "", "1\x00"},
		{"%", "::ffff:10.0.0.1", "failed", "-1"}, {"_", "2001:db8::1/64", "EXPORTED", "501"},
		{strings.Repeat("x", 201), "x", "running", "0x10"}, {"a\u0085b", "", "", ""}, {"\xff", "", "", ""},
	} {
		f.Add(seed[0], seed[1], seed[2], seed[3])
	}
	b := setup(f)
	// Something to find, so a filter that matches has rows to read.
	conn := models.NewWUGConnection()
	conn.Name, conn.Host, conn.Username = "lab", "wug", "admin"
	if err := b.db.Create(&conn).Error; err != nil {
		f.Fatal(err)
	}
	row := models.NetBoxIPExport{ConnectionID: conn.ID, NetBoxDeviceID: 7, IPAddress: "10.0.0.7", NetBoxDeviceName: "sw1",
		ExportReason: models.ReasonNewDevice, ExportStatus: models.ExportExported}
	if err := b.db.Create(&row).Error; err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, device, ip, status, limit string) {
		for _, route := range []string{"/api/v1/ip-exports", SeedPrefix + "/ip-exports/", "/api/v1/sync-logs"} {
			q := url.Values{"device": {device}, "ip": {ip}, "status": {status}, "limit": {limit}}
			r := b.call(t, http.MethodGet, route+"?"+q.Encode(), nil)
			requireHandled(t, r, http.StatusOK)
			if r.Status == http.StatusOK {
				for name, v := range q {
					if controlProblem(v[0], "") != "" {
						t.Fatalf("%s answered 200 to %s=%q", route, name, v[0])
					}
				}
			}
		}
	})
}
