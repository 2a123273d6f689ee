package api

import (
	"encoding/json"
	"errors"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/wugsync/wugsync/models"
	"github.com/wugsync/wugsync/netbox"
	"github.com/wugsync/wugsync/wug"
)

// Fuzz targets for every body the API decodes. Their seed corpora run with
// the normal tests; `go test -fuzz FuzzX ./api/` explores further. Each
// asserts that bad input is an *Error naming what is wrong, never a panic
// or an unexplained failure.

// requireAPIError fails unless err is nil or an *Error with a status and
// a message.
func requireAPIError(t *testing.T, err error) *Error {
	t.Helper()
	if err == nil {
		return nil
	}
	var apiErr *Error
	if !errors.As(err, &apiErr) {
		t.Fatalf("error is not an API error: %v", err)
	}
	if apiErr.Status < 400 || apiErr.Status > 499 || apiErr.Message == "" {
		t.Fatalf("unhelpful error: %+v", apiErr)
	}
	return apiErr
}

// requireNoControlText fails when a decoded body holds a control character
// that its field does not allow: decodeStrict must have refused it.
func requireNoControlText(t *testing.T, v reflect.Value, rule string) {
	t.Helper()
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if !v.IsNil() {
			requireNoControlText(t, v.Elem(), rule)
		}
	case reflect.String:
		if p := controlProblem(v.String(), rule); p != "" {
			t.Fatalf("accepted %q: %s", v.String(), p)
		}
	case reflect.Slice, reflect.Array:
		if v.Type().Elem().Kind() == reflect.Uint8 { // json.RawMessage: decoded later, checked there
			var s string
			if json.Unmarshal(v.Bytes(), &s) == nil {
				requireNoControlText(t, reflect.ValueOf(s), rule)
			}
			return
		}
		for i := range v.Len() {
			requireNoControlText(t, v.Index(i), rule)
		}
	case reflect.Map:
		for _, k := range v.MapKeys() {
			requireNoControlText(t, k, "")
			requireNoControlText(t, v.MapIndex(k), rule)
		}
	case reflect.Struct:
		for i := range v.NumField() {
			if v.Type().Field(i).IsExported() {
				requireNoControlText(t, v.Field(i), v.Type().Field(i).Tag.Get("text"))
			}
		}
	}
}

func FuzzConnectionInput(f *testing.F) {
	for _, seed := range []string{
		`{"name": "lab", "host": "https://wug:9644", "username": "admin", "password": "x"}`,
		`{"name": "lab", "host": "[::1]:1", "username": "u", "password": "p", "batch_size": 499, "device_filters": {"sites": ["a"]}}`,
		// Valid but for the password: a create must refuse these naming
		// "password", a PATCH must keep the stored one (or, for the new
		// host, refuse naming "password").
		`{"name": "lab", "host": "wug", "username": "admin"}`,
		`{"name": "lab", "host": "wug", "username": "admin", "password": ""}`,
		`{"name": "lab", "host": "wug", "username": "admin", "password": null}`,
		`{"name": " lab ", "username": " admin "}`, `{"use_ssl": false}`, `{"port": 9645, "password": "n"}`,
		`{"name": "lab", "host": "wug", "port": 70000}`,
		`{"device_filters": {"regions": []}}`,
		`{"group_template": "{tenant}/{site}/{role}", "decommission_action": "maintenance"}`,
		`{"ca_cert_pem": "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----"}`,
		`{"name": null, "port": 1e400}`, `[]`, `{`, ``, `{"a":1}{"b":2}`,
		`{"device_filters": {"sites": ["\u0000"]}}`, `{"name": "a\u001bb", "ca_cert_pem": "x\ny"}`,
		`{"device_filters": {"statuses": ["custom:x", "actve"]}}`, `{"host": "169.254.169.254"}`,
	} {
		f.Add([]byte(seed), true)
		f.Add([]byte(seed), false)
	}
	sealer, err := models.NewSealer(make([]byte, 32))
	if err != nil {
		f.Fatal(err)
	}
	const storedPassword = "stored-password"
	// stored is what apply starts from: defaults for a create, a complete
	// connection with a password for a PATCH.
	stored := func(t *testing.T, create bool) models.WUGConnection {
		conn := models.NewWUGConnection()
		if !create {
			conn.ID, conn.Name, conn.Host, conn.Username = 1, "stored", "wug", "admin"
			if err := conn.SetPassword(sealer, storedPassword); err != nil {
				t.Fatal(err)
			}
		}
		return conn
	}
	f.Fuzz(func(t *testing.T, body []byte, create bool) {
		var in connectionInput
		if err := decodeStrict(body, &in, false); err != nil {
			requireAPIError(t, err)
			return
		}
		requireNoControlText(t, reflect.ValueOf(in), "")
		conn := stored(t, create)
		before := endpointOf(conn)
		apiErr := requireAPIError(t, in.apply(&conn, sealer, wug.DefaultDenyList(), create))
		if apiErr != nil && len(apiErr.Fields) != 1 {
			t.Fatalf("a validation error names one field: %+v", apiErr)
		}
		noPassword := in.Password == nil || *in.Password == ""
		if create && noPassword {
			if apiErr == nil {
				t.Fatal("created without a password")
			}
			// When the same body with a password is accepted, the
			// password is the one thing wrong, and the error says so.
			withPassword, pw := in, "fuzz-password"
			withPassword.Password = &pw
			other := stored(t, true)
			if withPassword.apply(&other, sealer, wug.DefaultDenyList(), true) == nil {
				if _, ok := apiErr.Fields["password"]; !ok || apiErr.Status != 422 {
					t.Fatalf("a create without a password failed without naming it: %+v", apiErr)
				}
			}
			return
		}
		if apiErr != nil {
			return
		}
		if err := conn.Validate(); err != nil {
			t.Fatalf("accepted a connection that does not validate: %v", err)
		}
		// What was accepted is what the handler stores.
		if in.Name != nil && conn.Name != strings.TrimSpace(*in.Name) {
			t.Fatalf("name %q stored as %q", *in.Name, conn.Name)
		}
		if in.Username != nil && conn.Username != strings.TrimSpace(*in.Username) {
			t.Fatalf("username %q stored as %q", *in.Username, conn.Username)
		}
		for _, v := range []struct {
			name string
			sent *int
			got  int
		}{
			{"port", in.Port, conn.Port}, {"batch_size", in.BatchSize, conn.BatchSize},
			{"rate_limit_per_second", in.RateLimitPerSecond, conn.RateLimitPerSecond},
			{"max_concurrent_requests", in.MaxConcurrentRequests, conn.MaxConcurrentRequests},
			{"export_interval_minutes", in.ExportIntervalMinutes, conn.ExportIntervalMinutes},
		} {
			if v.sent != nil && *v.sent != v.got {
				t.Fatalf("%s %d stored as %d", v.name, *v.sent, v.got)
			}
		}
		password, err := conn.Password(sealer)
		if err != nil {
			t.Fatal(err)
		}
		switch {
		case in.Password != nil && password != *in.Password:
			t.Fatalf("password sent is not the one stored")
		case in.Password == nil && password != storedPassword:
			t.Fatalf("a PATCH without a password lost the stored one")
		case in.Password == nil && endpointOf(conn) != before:
			// The stored password would go to a server it was not given for.
			t.Fatalf("endpoint changed from %+v to %+v without the password", before, endpointOf(conn))
		}
	})
}

func FuzzBulkExportInput(f *testing.F) {
	for _, seed := range []string{
		`{"connection_id": 1, "device_ids": [1, 2]}`,
		`{"connection_id": 1, "ip_addresses": ["10.0.0.1/24", "2001:db8::1", "x"]}`,
		`{"connection_id": -1}`, `{"device_ids": [0]}`, `{"connection_id": 1, "device_ids": [1], "ip_addresses": []}`,
		`{"connection_id": 1, "ip_addresses": ["10.0.0.1\u0000"]}`, `{"connection_id": 1, "device_ids": [2147483648]}`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		var in bulkExportInput
		if err := decodeStrict(body, &in, false); err != nil {
			requireAPIError(t, err)
			return
		}
		requireNoControlText(t, reflect.ValueOf(in), "")
		ips, err := in.validate()
		if requireAPIError(t, err) != nil {
			return
		}
		for _, ip := range ips {
			if norm, ok := normalizeIP(ip); !ok || norm != ip {
				t.Fatalf("address %q is not normalised", ip)
			}
		}
	})
}

// filterLists names the lists of f as the API spells them, in the order
// cleanFilters checks them.
func filterLists(f *models.DeviceFilters) []struct {
	name string
	list *[]string
} {
	return []struct {
		name string
		list *[]string
	}{
		{"sites", (*[]string)(&f.Sites)}, {"roles", (*[]string)(&f.Roles)}, {"tags", (*[]string)(&f.Tags)},
		{"statuses", &f.Statuses}, {"platforms", (*[]string)(&f.Platforms)}, {"tenants", (*[]string)(&f.Tenants)},
	}
}

// onlyField returns the one field an error names.
func onlyField(t *testing.T, apiErr *Error) string {
	t.Helper()
	if len(apiErr.Fields) != 1 {
		t.Fatalf("a validation error names one field: %+v", apiErr)
	}
	for k := range apiErr.Fields {
		return k
	}
	return ""
}

var filterElement = regexp.MustCompile(`^device_filters\.([a-z_]+)\[(\d+)\]$`)

// requireCleanedFilters checks cleanFilters(in) = out, err independently:
// accepted filters are the sent ones trimmed, in order, and survive a
// round trip through JSON (the run stores them so) unchanged; a rejection
// names the first value that is blank or not a status.
func requireCleanedFilters(t *testing.T, in, out models.DeviceFilters, err error) {
	t.Helper()
	if apiErr := requireAPIError(t, err); apiErr != nil {
		field := onlyField(t, apiErr)
		m := filterElement.FindStringSubmatch(field)
		if m == nil {
			for _, l := range filterLists(&in) {
				if field != "device_filters."+l.name {
					continue
				}
				if len(*l.list) > 1000 {
					return
				}
				// A list of ids and slugs both (tags may mix): NetBox
				// would need a device to match both kinds.
				if values := models.FilterValues(*l.list); l.name != "tags" && len(values.IDs()) > 0 && len(values.Slugs()) > 0 {
					if !strings.Contains(apiErr.Error(), "mixes NetBox ids") {
						t.Fatalf("rejection of %s = %q says: %v", field, *l.list, apiErr)
					}
					return
				}
			}
			t.Fatalf("rejection names %q, not a filter value: %+v", field, apiErr)
		}
		for _, l := range filterLists(&in) {
			if l.name != m[1] {
				continue
			}
			i, _ := strconv.Atoi(m[2])
			if i >= len(*l.list) {
				t.Fatalf("rejection names %s, past the end of %q", field, *l.list)
			}
			for _, earlier := range (*l.list)[:i] {
				if strings.TrimSpace(earlier) == "" {
					t.Fatalf("rejection names %s, but an earlier value %q is blank", field, earlier)
				}
			}
			v := strings.TrimSpace((*l.list)[i])
			if v != "" && (l.name != "statuses" || checkStatus(v) == nil) {
				t.Fatalf("rejection names %s = %q, which is a good value: %+v", field, v, apiErr)
			}
			return
		}
		t.Fatalf("rejection names %q, no filter list", field)
	}
	outLists := filterLists(&out)
	for k, l := range filterLists(&in) {
		got := *outLists[k].list
		if len(*l.list) == 0 {
			if got != nil {
				t.Fatalf("empty %s cleaned to %q", l.name, got)
			}
			continue
		}
		if len(got) != len(*l.list) {
			t.Fatalf("%s %q cleaned to %q", l.name, *l.list, got)
		}
		for i, v := range *l.list {
			if got[i] == "" || got[i] != strings.TrimSpace(v) {
				t.Fatalf("%s[%d] %q cleaned to %q", l.name, i, v, got[i])
			}
			if l.name == "statuses" && !netbox.KnownStatus(got[i]) && !strings.HasPrefix(got[i], models.CustomStatusPrefix) {
				t.Fatalf("accepted status %q, neither NetBox's nor custom", got[i])
			}
		}
	}
	stored, err := json.Marshal(exportInput{DeviceFilters: &out})
	if err != nil {
		t.Fatal(err)
	}
	var again exportInput
	if err := decodeStrict(stored, &again, true); err != nil {
		t.Fatalf("accepted filters %s do not decode again: %v", stored, err)
	}
	if again.DeviceFilters == nil {
		again.DeviceFilters = &models.DeviceFilters{}
	}
	twice, err := cleanFilters(*again.DeviceFilters, "device_filters")
	if err != nil || !reflect.DeepEqual(twice, out) {
		t.Fatalf("accepted filters %+v do not survive a round trip: %+v, %v", out, twice, err)
	}
}

func FuzzExportInputs(f *testing.F) {
	for _, seed := range []string{
		`{"device_filters": {"sites": ["fra1"]}, "dry_run": true}`,
		`{"device_filters": {"device_roles": ["core"], "sites": [1, 2]}, "exclude_recent_exports": true}`,
		`{"device_filters": {"sites": [" fra1 ", "ams"], "statuses": ["active", "custom:retired"], "tenants": []}}`,
		`{"device_filters": {"roles": ["core", " "]}}`, `{"device_filters": {"status": ["planned", "actve"]}}`,
		`{"device_filters": {"colour": ["red"]}}`, `{"dry_run": "yes"}`, `{}`, ``,
		`{"device_filters": {"sites": ["\u0000"]}}`, `{"device_filters": {"s\u0000": ["a"]}}`,
		`{"device_filters": {"sites[0]": ["a"]}}`, `{"device_filters": {"tags": ["a", 2]}}`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		var v1 exportInput
		if err := decodeStrict(body, &v1, true); err != nil {
			requireAPIError(t, err)
		} else if requireNoControlText(t, reflect.ValueOf(v1), ""); v1.DeviceFilters != nil {
			out, err := cleanFilters(*v1.DeviceFilters, "device_filters")
			requireCleanedFilters(t, *v1.DeviceFilters, out, err)
		}
		var seed seedExportInput
		if err := decodeStrict(body, &seed, true); err != nil {
			// A filter value that is neither an id nor a slug, or a key
			// that is not a filter: the error names where.
			requireAPIError(t, err)
			return
		}
		requireNoControlText(t, reflect.ValueOf(seed), "")
		exp, err := seed.toExportInput()
		if err != nil {
			t.Fatalf("decoded seed body %s not converted: %v", body, err)
		}
		if exp.DryRun != seed.DryRun {
			t.Fatalf("dry_run %t became %t", seed.DryRun, exp.DryRun)
		}
		if seed.DeviceFilters == nil {
			if exp.DeviceFilters != nil {
				t.Fatalf("no filters sent, %+v used", exp.DeviceFilters)
			}
			return
		}
		// Every id and slug lands, in order, in the list its key names; the
		// seed's aliases (device_roles, status) add to the same list after
		// ours.
		sent := seed.DeviceFilters
		want := map[string][]string{
			"sites": sent.Sites, "roles": append(append([]string{}, sent.Roles...), sent.DeviceRoles...),
			"tags": sent.Tags, "statuses": append(append([]string{}, sent.Statuses...), sent.Status...),
			"platforms": sent.Platforms, "tenants": sent.Tenants,
		}
		for _, l := range filterLists(exp.DeviceFilters) {
			if len(*l.list)+len(want[l.name]) > 0 && !reflect.DeepEqual(*l.list, want[l.name]) {
				t.Fatalf("%s: sent %q, used %q", l.name, want[l.name], *l.list)
			}
		}
		out, err := cleanFilters(*exp.DeviceFilters, "device_filters")
		requireCleanedFilters(t, *exp.DeviceFilters, out, err)
	})
}

func FuzzWebhook(f *testing.F) {
	for _, seed := range []string{
		`{"event": "updated", "timestamp": "2025-06-12T14:03:27.601825+00:00", "object_type": "dcim.device", "model": "device", "data": {"id": 42, "name": "sw"}, "snapshots": {"prechange": null, "postchange": {}}}`,
		`{"event": "deleted", "model": "device", "data": {"id": 1}}`,
		`{"event": "created", "object_type": "ipam.ipaddress", "data": {"id": 3, "address": "10.0.0.1/24", "assigned_object": {"id": 1, "device": {"id": 9}}}, "snapshots": {"prechange": {"address": "10.0.0.2/24"}}}`,
		`{"event": "updated", "object_type": "ipam.ipaddress", "data": {"id": 3, "address": 5}}`,
		`{"event": "job_ended", "object_type": "dcim.device"}`,
		`{"event": "updated", "object_type": "dcim.site", "data": {"id": 1}}`,
		`{"event": 1}`, `[]`, `null`, ``,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		ev, err := netbox.ParseWebhook(body)
		if err != nil {
			if !errors.Is(err, netbox.ErrWebhookPayload) {
				t.Fatalf("parse error does not wrap ErrWebhookPayload: %v", err)
			}
			return
		}
		act, err := planWebhook(ev)
		if err != nil {
			if !errors.Is(err, netbox.ErrWebhookPayload) {
				t.Fatalf("plan error does not wrap ErrWebhookPayload: %v", err)
			}
			return
		}
		switch act.Kind {
		case webhookIgnored:
			if act.Reason == "" {
				t.Fatal("an ignored event says why")
			}
		case webhookSync, webhookDecommission:
			if len(act.DeviceIDs) == 0 && len(act.Addresses) == 0 {
				t.Fatalf("%s with nothing to act on", act.Kind)
			}
			for _, id := range act.DeviceIDs {
				if id <= 0 {
					t.Fatalf("device id %d", id)
				}
			}
		default:
			t.Fatalf("unknown action %q", act.Kind)
		}
	})
}

func FuzzParseHost(f *testing.F) {
	for _, seed := range []string{"wug", "wug:9644", "https://wug:9644/api/v1", "[::1]:80", "::1", "http://u@h", "a..b", ""} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, in string) {
		spec, err := parseHost(in)
		if err != nil {
			return
		}
		if spec.Host == "" || spec.Port < 0 || spec.Port > 65535 {
			t.Fatalf("%q parsed to %+v", in, spec)
		}
		again, err := parseHost(spec.Host)
		if err != nil || again.Host != spec.Host {
			t.Fatalf("%q: normalised host %q does not parse to itself: %+v %v", in, spec.Host, again, err)
		}
	})
}
