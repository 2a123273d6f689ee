package api

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/wugsync/wugsync/models"
	"github.com/wugsync/wugsync/tasks"
)

func TestCreateConnectionAppliesDefaultsAndHidesPassword(t *testing.T) {
	t.Parallel()
	b := setup(t)
	r := b.call(t, http.MethodPost, "/api/v1/connections", map[string]any{
		"name": "lab", "host": "https://WUG.Example.net:9443/api/v1/", "username": "admin", "password": "pa55word!",
	})
	require.Equal(t, http.StatusCreated, r.Status, "%s", r.Body)
	got := r.json(t)
	require.Equal(t, "wug.example.net", got["host"])
	require.EqualValues(t, 9443, got["port"])
	require.Equal(t, true, got["use_ssl"])
	require.Equal(t, true, got["verify_ssl"], "TLS verification is on by default")
	require.Equal(t, true, got["has_password"])
	require.Equal(t, "{site}", got["group_template"])
	require.Equal(t, []any{}, got["role_rules"], "no rules: the built-in ones")
	require.EqualValues(t, models.DefaultBatchSize, got["batch_size"])
	require.NotContains(t, string(r.Body), "pa55word!")
	require.NotContains(t, string(r.Body), "password_encrypted")
	require.Equal(t, path("/api/v1/connections/%v", got["id"]), r.Header.Get("Location"))

	var stored models.WUGConnection
	require.NoError(t, b.db.First(&stored, got["id"]).Error)
	require.NotContains(t, stored.PasswordEncrypted, "pa55word!", "stored encrypted")
	plain, err := stored.Password(b.sealer)
	require.NoError(t, err)
	require.Equal(t, "pa55word!", plain)
}

func TestCreateConnectionRejectsBadInputNamingTheField(t *testing.T) {
	t.Parallel()
	b := setup(t)
	valid := func() map[string]any {
		return map[string]any{"name": "lab", "host": "wug.example.net", "username": "admin", "password": "x"}
	}
	with := func(k string, v any) map[string]any {
		m := valid()
		if v == nil {
			delete(m, k)
		} else {
			m[k] = v
		}
		return m
	}
	cases := []struct {
		name   string
		body   any
		status int
		field  string
	}{
		{"unknown field", with("colour", "blue"), 400, "colour"},
		{"unknown nested field", with("device_filters", map[string]any{"regions": []string{"eu"}}), 400, "device_filters.regions"},
		{"wrong type", with("port", "9644"), 400, "port"},
		{"wrong nested type", with("device_filters", map[string]any{"sites": "fra1"}), 400, "device_filters.sites"},
		{"negative overflow", with("batch_size", 1e30), 400, "batch_size"},
		{"port out of range", with("port", 70000), 422, "port"},
		{"batch size above WUG's limit", with("batch_size", 500), 422, "batch_size"},
		{"batch size zero", with("batch_size", 0), 422, "batch_size"},
		{"missing password", with("password", nil), 422, "password"},
		{"empty password", with("password", ""), 422, "password"},
		{"missing name", with("name", nil), 422, "name"},
		{"missing host", with("host", nil), 422, "host"},
		{"host with path", with("host", "https://wug/other"), 422, "host"},
		{"host with credentials", with("host", "https://u:p@wug"), 422, "host"},
		{"host port contradicts port", func() map[string]any { m := with("host", "wug:9000"); m["port"] = 9644; return m }(), 422, "port"},
		{"scheme contradicts use_ssl", func() map[string]any { m := with("host", "http://wug"); m["use_ssl"] = true; return m }(), 422, "use_ssl"},
		{"bad decommission action", with("decommission_action", "explode"), 422, "decommission_action"},
		{"bad group template", with("group_template", "{nonsense}"), 422, "group_template"},
		{"role rule without a role", with("role_rules", []map[string]any{{"match": []string{"ap"}, "primary_role": ""}}), 422, "role_rules"},
		{"role rule matching nothing", with("role_rules", []map[string]any{{"match": []string{" - "}, "primary_role": "Switch"}}), 422, "role_rules"},
		{"bad CA PEM", with("ca_cert_pem", "not a certificate"), 422, "ca_cert_pem"},
		{"empty filter value", with("device_filters", map[string]any{"sites": []string{" "}}), 422, "device_filters.sites[0]"},
		{"interval out of range", with("export_interval_minutes", 0), 422, "export_interval_minutes"},
		{"console URL not http", with("wug_console_url", "javascript:alert(1)"), 422, "wug_console_url"},
		{"console URL relative", with("wug_console_url", "/NmConsole/#device/{id}"), 422, "wug_console_url"},
		{"console URL without host", with("wug_console_url", "https:///NmConsole/"), 422, "wug_console_url"},
		{"console URL with credentials", with("wug_console_url", "https://admin:pw@wug/NmConsole/"), 422, "wug_console_url"},
		{"console URL with a space", with("wug_console_url", "https://wug/Nm Console/"), 422, "wug_console_url"},
		{"console URL too long", with("wug_console_url", "https://wug/"+strings.Repeat("a", 2000)), 422, "wug_console_url"},
		{"console URL not a string", with("wug_console_url", 5), 400, "wug_console_url"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := b.call(t, http.MethodPost, "/api/v1/connections", tc.body)
			require.Equal(t, tc.status, r.Status, "%s", r.Body)
			e := r.errorOf(t)
			require.Equal(t, CodeValidationFailed, e["code"])
			fields, _ := e["fields"].(map[string]any)
			require.Contains(t, fields, tc.field, "%s", r.Body)
		})
	}
	var n int64
	require.NoError(t, b.db.Model(&models.WUGConnection{}).Count(&n).Error)
	require.Zero(t, n, "nothing is half-written")
}

func TestCreateConnectionRejectsMalformedBodies(t *testing.T) {
	t.Parallel()
	b := setup(t)
	for name, body := range map[string]string{
		"empty":         "",
		"not an object": `["lab"]`,
		"syntax":        `{"name": "lab",`,
		"trailing data": `{"name": "lab"} {"name": "other"}`,
	} {
		t.Run(name, func(t *testing.T) {
			r := b.call(t, http.MethodPost, "/api/v1/connections", body)
			require.Equal(t, http.StatusBadRequest, r.Status, "%s", r.Body)
			require.Equal(t, CodeValidationFailed, r.errorOf(t)["code"])
		})
	}
	t.Run("too large", func(t *testing.T) {
		big := `{"name": "` + strings.Repeat("a", MaxBodyBytes) + `"}`
		r := b.call(t, http.MethodPost, "/api/v1/connections", big)
		require.Equal(t, http.StatusRequestEntityTooLarge, r.Status)
		require.Equal(t, CodePayloadTooLarge, r.errorOf(t)["code"])
	})
}

func TestCreateConnectionDuplicateNameConflicts(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.createConnection(t, "lab", nil)
	r := b.call(t, http.MethodPost, "/api/v1/connections", map[string]any{
		"name": "lab", "host": "other", "username": "u", "password": "p"})
	require.Equal(t, http.StatusConflict, r.Status)
	e := r.errorOf(t)
	require.Equal(t, CodeConflict, e["code"])
	require.Contains(t, e["fields"], "name")
}

func TestListConnectionsPages(t *testing.T) {
	t.Parallel()
	b := setup(t)
	for _, n := range []string{"c", "a", "b"} {
		b.createConnection(t, n, nil)
	}
	r := b.call(t, http.MethodGet, "/api/v1/connections?limit=2&offset=1", nil)
	require.Equal(t, http.StatusOK, r.Status)
	got := r.json(t)
	require.EqualValues(t, 3, got["total"])
	require.EqualValues(t, 2, got["limit"])
	require.EqualValues(t, 1, got["offset"])
	items := got["items"].([]any)
	require.Len(t, items, 2)
	require.Equal(t, "b", items[0].(map[string]any)["name"], "ordered by name")
	require.NotContains(t, string(r.Body), "s3cret-pass")

	for _, q := range []string{"limit=0", "limit=501", "limit=x", "offset=-1"} {
		r := b.call(t, http.MethodGet, "/api/v1/connections?"+q, nil)
		require.Equal(t, http.StatusBadRequest, r.Status, q)
		field := strings.SplitN(q, "=", 2)[0]
		require.Contains(t, r.errorOf(t)["fields"], field)
	}
}

func TestGetConnection(t *testing.T) {
	t.Parallel()
	b := setup(t)
	id := b.createConnection(t, "lab", nil)
	r := b.call(t, http.MethodGet, path("/api/v1/connections/%d", id), nil)
	require.Equal(t, http.StatusOK, r.Status)
	require.Equal(t, "lab", r.json(t)["name"])

	for _, p := range []string{"/api/v1/connections/999", "/api/v1/connections/abc", "/api/v1/connections/0"} {
		r := b.call(t, http.MethodGet, p, nil)
		require.Equal(t, http.StatusNotFound, r.Status, p)
		require.Equal(t, CodeNotFound, r.errorOf(t)["code"])
	}
}

func TestPatchConnection(t *testing.T) {
	t.Parallel()
	b := setup(t)
	id := b.createConnection(t, "lab", nil)
	b.createConnection(t, "other", nil)
	url := path("/api/v1/connections/%d", id)

	t.Run("without password keeps the stored one", func(t *testing.T) {
		r := b.call(t, http.MethodPatch, url, map[string]any{"batch_size": 250, "is_active": false,
			"host": "wug-lab.example.net", "port": 9644})
		require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)
		got := r.json(t)
		require.EqualValues(t, 250, got["batch_size"])
		require.Equal(t, false, got["is_active"], "false is written, not skipped as a zero value")
		require.Equal(t, "wug-lab.example.net", got["host"], "the same address sent again needs no password")
		require.Equal(t, "lab", got["name"], "fields not sent are kept")
		var stored models.WUGConnection
		require.NoError(t, b.db.First(&stored, id).Error)
		plain, err := stored.Password(b.sealer)
		require.NoError(t, err)
		require.Equal(t, "s3cret-pass", plain)
	})
	t.Run("with password replaces it", func(t *testing.T) {
		r := b.call(t, http.MethodPatch, url, map[string]any{"password": "new-pass"})
		require.Equal(t, http.StatusOK, r.Status)
		require.NotContains(t, string(r.Body), "new-pass")
		var stored models.WUGConnection
		require.NoError(t, b.db.First(&stored, id).Error)
		plain, err := stored.Password(b.sealer)
		require.NoError(t, err)
		require.Equal(t, "new-pass", plain)
	})
	t.Run("errors", func(t *testing.T) {
		cases := []struct {
			url    string
			body   any
			status int
		}{
			{url, map[string]any{"password": ""}, 422},
			{url, map[string]any{"name": "other"}, 409},
			{url, map[string]any{"nmae": "typo"}, 400},
			{url, map[string]any{"max_concurrent_requests": 0}, 422},
			{url, "", 400},
			{"/api/v1/connections/999", map[string]any{"batch_size": 10}, 404},
		}
		for _, tc := range cases {
			r := b.call(t, http.MethodPatch, tc.url, tc.body)
			require.Equal(t, tc.status, r.Status, "%v: %s", tc.body, r.Body)
		}
		got := b.call(t, http.MethodGet, url, nil).json(t)
		require.Equal(t, "lab", got["name"], "a refused PATCH changes nothing")
		require.EqualValues(t, 250, got["batch_size"])
	})
}

func TestDeleteConnection(t *testing.T) {
	t.Parallel()
	b := setup(t)
	id := b.createConnection(t, "lab", nil)
	busy := b.createConnection(t, "busy", nil)
	run := b.insertRun(t, busy, models.RunRunning)

	r := b.call(t, http.MethodDelete, path("/api/v1/connections/%d", busy), nil)
	require.Equal(t, http.StatusConflict, r.Status)
	require.EqualValues(t, run.ID, r.errorOf(t)["run_id"])

	r = b.call(t, http.MethodDelete, path("/api/v1/connections/%d", id), nil)
	require.Equal(t, http.StatusNoContent, r.Status)
	r = b.call(t, http.MethodGet, path("/api/v1/connections/%d", id), nil)
	require.Equal(t, http.StatusNotFound, r.Status)
	r = b.call(t, http.MethodDelete, path("/api/v1/connections/%d", id), nil)
	require.Equal(t, http.StatusNotFound, r.Status)
}

func TestConnectionRoleRulesRoundTrip(t *testing.T) {
	t.Parallel()
	b := setup(t)
	rules := []map[string]any{{"match": []string{"top of rack"}, "primary_role": "Switch", "device_type": "Cisco Switch"}}
	r := b.call(t, http.MethodPost, "/api/v1/connections", map[string]any{
		"name": "lab", "host": "wug", "username": "admin", "password": "pa55word!", "role_rules": rules,
	})
	require.Equal(t, http.StatusCreated, r.Status, "%s", r.Body)
	var stored models.WUGConnection
	require.NoError(t, b.db.First(&stored, r.json(t)["id"]).Error)
	require.Equal(t, []models.RoleRule{{Match: []string{"top of rack"}, PrimaryRole: "Switch", DeviceType: "Cisco Switch"}}, stored.RoleRules)

	r = b.call(t, http.MethodPatch, path("/api/v1/connections/%d", stored.ID), map[string]any{"role_rules": []any{}})
	require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)
	require.Equal(t, []any{}, r.json(t)["role_rules"])
}

// TestChangingTheAddressNeedsThePasswordAgain: a stored password is only
// sent to the server it was given for. Moving a connection to another
// host, port or scheme, or turning verification off, without giving the
// password again is refused and changes nothing.
func TestChangingTheAddressNeedsThePasswordAgain(t *testing.T) {
	t.Parallel()
	b := setup(t)
	id := b.createConnection(t, "lab", map[string]any{"host": "https://wug-lab.example.net:9644"})
	url := path("/api/v1/connections/%d", id)
	for _, change := range []map[string]any{
		{"host": "attacker.example.net"},
		{"host": "https://wug-lab.example.net:9645"},
		{"port": 443},
		{"use_ssl": false},
		{"verify_ssl": false},
		{"host": "http://wug-lab.example.net:9644"},
	} {
		r := b.call(t, http.MethodPatch, url, change)
		require.Equal(t, http.StatusUnprocessableEntity, r.Status, "%v: %s", change, r.Body)
		require.Contains(t, r.errorOf(t)["fields"], "password", "%v", change)
	}
	got := b.call(t, http.MethodGet, url, nil).json(t)
	require.Equal(t, "wug-lab.example.net", got["host"], "a refused PATCH changes nothing")
	require.EqualValues(t, 9644, got["port"])
	require.Equal(t, true, got["use_ssl"])
	require.Equal(t, true, got["verify_ssl"])

	r := b.call(t, http.MethodPatch, url, map[string]any{"host": "wug-new.example.net", "verify_ssl": false, "password": "new-pass"})
	require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)
	var stored models.WUGConnection
	require.NoError(t, b.db.First(&stored, id).Error)
	require.Equal(t, "wug-new.example.net", stored.Host)
	require.False(t, stored.VerifySSL)
	plain, err := stored.Password(b.sealer)
	require.NoError(t, err)
	require.Equal(t, "new-pass", plain)

	r = b.call(t, http.MethodPatch, url, map[string]any{"host": "wug-new.example.net", "verify_ssl": false, "batch_size": 50})
	require.Equal(t, http.StatusOK, r.Status, "the same address again needs no password: %s", r.Body)
}

func TestConsoleURLDefaultsToTheHostAndFollowsIt(t *testing.T) {
	t.Parallel()
	b := setup(t)
	id := b.createConnection(t, "East", nil)
	conn := path("/api/v1/connections/%d", id)
	consoleURL := func() any { return b.call(t, http.MethodGet, conn, nil).json(t)["wug_console_url"] }
	require.Equal(t, "https://wug-east.example.net/NmConsole/", consoleURL(), "DESIGN.md §10's default")

	// The default follows the host, since it was never set.
	r := b.call(t, http.MethodPatch, conn, map[string]any{"host": "wug-new.example.net", "password": "s3cret-pass"})
	require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)
	require.Equal(t, "https://wug-new.example.net/NmConsole/", consoleURL())

	// A URL with the device placeholder is kept as given, across a change
	// of host, and the model fills the id in.
	const page = "https://console.example.net/NmConsole/#v2/device/{id}"
	r = b.call(t, http.MethodPatch, conn, map[string]any{"wug_console_url": " " + page + " "})
	require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)
	require.Equal(t, page, r.json(t)["wug_console_url"])
	r = b.call(t, http.MethodPatch, conn, map[string]any{"host": "wug-third.example.net", "password": "s3cret-pass"})
	require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)
	require.Equal(t, page, consoleURL())
	var stored models.WUGConnection
	require.NoError(t, b.db.First(&stored, id).Error)
	require.Equal(t, "https://console.example.net/NmConsole/#v2/device/42", stored.ConsoleDeviceURL("42"))

	// An empty value, or the default spelt out, is the default again.
	r = b.call(t, http.MethodPatch, conn, map[string]any{"wug_console_url": ""})
	require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)
	require.Equal(t, "https://wug-third.example.net/NmConsole/", r.json(t)["wug_console_url"])
	r = b.call(t, http.MethodPatch, conn, map[string]any{"wug_console_url": "https://wug-third.example.net/NmConsole/"})
	require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)
	require.NoError(t, b.db.First(&stored, id).Error)
	require.Empty(t, stored.WUGConsoleURL, "the default is stored as the default, to follow the host")
	require.Equal(t, "https://wug-third.example.net/NmConsole/", stored.ConsoleDeviceURL("42"), "no {id}: the console's root")

	// An IPv6 host gets brackets.
	r = b.call(t, http.MethodPatch, conn, map[string]any{"host": "2001:db8::7", "password": "s3cret-pass"})
	require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)
	require.Equal(t, "https://[2001:db8::7]/NmConsole/", consoleURL())
}

// TestConnectionAnswerSaysWhenItsFirstExportComes: creating a connection
// writes nothing to WUG; the answer says when the scheduler's first run
// comes (one interval after the creation), a person's export moves it, and
// a connection without periodic export has none.
func TestConnectionAnswerSaysWhenItsFirstExportComes(t *testing.T) {
	t.Parallel()
	b := setup(t)
	r := b.call(t, http.MethodPost, "/api/v1/connections", map[string]any{"name": "new", "host": "wug.example.net",
		"username": "admin", "password": "s3cret-pass", "export_interval_minutes": 90})
	require.Equal(t, http.StatusCreated, r.Status, "%s", r.Body)
	got := r.json(t)
	id := uint(got["id"].(float64))
	created, err := time.Parse(time.RFC3339Nano, got["created_at"].(string))
	require.NoError(t, err)
	next, err := time.Parse(time.RFC3339Nano, got["next_export_at"].(string))
	require.NoError(t, err)
	require.Equal(t, created.Add(90*time.Minute).UTC(), next.UTC())
	require.Empty(t, b.queuedTasks(t, tasks.QueueDefault), "nothing is queued for WUG")

	// The database keeps created_at to the microsecond (PostgreSQL); read
	// it back as stored.
	nextOf := func(view map[string]any) (created, next time.Time) {
		created, err := time.Parse(time.RFC3339Nano, view["created_at"].(string))
		require.NoError(t, err)
		next, err = time.Parse(time.RFC3339Nano, view["next_export_at"].(string))
		require.NoError(t, err)
		return created.UTC(), next.UTC()
	}
	dry := b.insertRun(t, id, models.RunCompleted)
	require.NoError(t, b.db.Model(&dry).Update("dry_run", true).Error)
	created, next = nextOf(b.call(t, http.MethodGet, path("/api/v1/connections/%d", id), nil).json(t))
	require.Equal(t, created.Add(90*time.Minute), next, "a dry run writes nothing to WUG and moves nothing")

	run := b.insertRun(t, id, models.RunCompleted)
	require.NoError(t, b.db.Model(&run).Update("created_at", created.Add(10*time.Minute)).Error)
	for _, view := range []map[string]any{
		b.call(t, http.MethodGet, path("/api/v1/connections/%d", id), nil).json(t),
		b.call(t, http.MethodGet, "/api/v1/connections", nil).json(t)["items"].([]any)[0].(map[string]any),
	} {
		_, next := nextOf(view)
		require.Equal(t, created.Add(100*time.Minute), next, "one interval after the person's export")
	}

	r = b.call(t, http.MethodPatch, path("/api/v1/connections/%d", id), map[string]any{"enable_netbox_export": false})
	require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)
	require.Nil(t, r.json(t)["next_export_at"], "no periodic export, no next one")
}

// export_virtual_machines is off unless asked for, and round-trips through
// create, update and get; device_filters take clusters (ids and names,
// mixed) and exclude_tags.
func TestConnectionExportVirtualMachinesRoundTrip(t *testing.T) {
	t.Parallel()
	b := setup(t)
	off := b.createConnection(t, "plain", nil)
	got := b.call(t, http.MethodGet, path("/api/v1/connections/%d", off), nil).json(t)
	require.Equal(t, false, got["export_virtual_machines"], "an upgrade or a new connection exports no VM")

	id := b.createConnection(t, "vms", map[string]any{"export_virtual_machines": true,
		"device_filters": map[string]any{"clusters": []any{3, "ESX Prod"}, "exclude_tags": []any{"no-monitoring"}}})
	url := path("/api/v1/connections/%d", id)
	got = b.call(t, http.MethodGet, url, nil).json(t)
	require.Equal(t, true, got["export_virtual_machines"])
	filters := got["device_filters"].(map[string]any)
	require.Equal(t, []any{float64(3), "ESX Prod"}, filters["clusters"])
	require.Equal(t, []any{"no-monitoring"}, filters["exclude_tags"])
	var stored models.WUGConnection
	require.NoError(t, b.db.First(&stored, id).Error)
	require.True(t, stored.ExportVirtualMachines)
	require.Equal(t, models.FilterValues{"#3", "ESX Prod"}, stored.DeviceFilters.Clusters)

	r := b.call(t, http.MethodPatch, url, map[string]any{"export_virtual_machines": false})
	require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)
	require.Equal(t, false, r.json(t)["export_virtual_machines"])
	require.NoError(t, b.db.First(&stored, id).Error)
	require.False(t, stored.ExportVirtualMachines)

	r = b.call(t, http.MethodPatch, url, map[string]any{"export_virtual_machines": "yes"})
	require.Equal(t, http.StatusBadRequest, r.Status, "%s", r.Body)
	r = b.call(t, http.MethodPatch, url, map[string]any{"device_filters": map[string]any{"exclude_tags": []any{" "}}})
	require.Equal(t, http.StatusUnprocessableEntity, r.Status, "%s", r.Body)
	require.Contains(t, r.errorOf(t)["fields"], "device_filters.exclude_tags[0]")
}
