package api

import (
	"encoding/json"
	"errors"
	"reflect"
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
	f.Fuzz(func(t *testing.T, body []byte, create bool) {
		var in connectionInput
		if err := decodeStrict(body, &in, false); err != nil {
			requireAPIError(t, err)
			return
		}
		requireNoControlText(t, reflect.ValueOf(in), "")
		conn := models.NewWUGConnection()
		if !create {
			conn.Name, conn.Host, conn.Username = "stored", "wug", "admin"
		}
		if apiErr := requireAPIError(t, in.apply(&conn, sealer, wug.DefaultDenyList(), create)); apiErr != nil {
			if len(apiErr.Fields) != 1 {
				t.Fatalf("a validation error names one field: %+v", apiErr)
			}
			return
		}
		if err := conn.Validate(); err != nil {
			t.Fatalf("accepted a connection that does not validate: %v", err)
		}
		if create && !conn.HasPassword() {
			t.Fatal("created without a password")
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

func FuzzExportInputs(f *testing.F) {
	for _, seed := range []string{
		`{"device_filters": {"sites": ["fra1"]}, "dry_run": true}`,
		`{"device_filters": {"device_roles": ["core"], "sites": [1, 2]}, "exclude_recent_exports": true}`,
		`{"device_filters": {"colour": ["red"]}}`, `{"dry_run": "yes"}`, `{}`, ``,
		`{"device_filters": {"sites": ["\u0000"]}}`, `{"device_filters": {"s\u0000": ["a"]}}`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		var v1 exportInput
		if err := decodeStrict(body, &v1, true); err != nil {
			requireAPIError(t, err)
		} else if requireNoControlText(t, reflect.ValueOf(v1), ""); v1.DeviceFilters != nil {
			_, err := cleanFilters(*v1.DeviceFilters, "device_filters")
			requireAPIError(t, err)
		}
		var seed seedExportInput
		if err := decodeStrict(body, &seed, true); err != nil {
			requireAPIError(t, err)
			return
		}
		requireNoControlText(t, reflect.ValueOf(seed), "")
		_, err := seed.toExportInput()
		requireAPIError(t, err)
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
