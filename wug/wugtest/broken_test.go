package wugtest_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/wugsync/wugsync/wug/wugtest"
)

// A tamper breaks one promise of the server on purpose, between the client and the simulator,
// to show that the case guarding it fails. (Breaking the client itself, e.g. paging that stops
// after page 1, fails the same cases; that was checked by hand.)
type tamper func(next http.Handler) http.Handler

func matches(r *http.Request, method, path string) bool {
	return r.Method == method && regexp.MustCompile("^"+path+"$").MatchString(r.URL.Path)
}

// editAnswer lets edit change the JSON answer of matching requests.
func editAnswer(method, path string, edit func(status int, body map[string]any) int) tamper {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if !matches(r, method, path) {
				next.ServeHTTP(w, r)
				return
			}
			rec := httptest.NewRecorder()
			next.ServeHTTP(rec, r)
			var body map[string]any
			status := rec.Code
			if json.Unmarshal(rec.Body.Bytes(), &body) == nil {
				status = edit(status, body)
			}
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(status)
			_ = json.NewEncoder(w).Encode(body)
		})
	}
}

// editRequest lets edit change the JSON body of matching requests before the simulator reads it.
func editRequest(method, path string, edit func(body map[string]any)) tamper {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if matches(r, method, path) {
				var body map[string]any
				raw, _ := io.ReadAll(r.Body)
				if json.Unmarshal(raw, &body) == nil {
					edit(body)
					raw, _ = json.Marshal(body)
				}
				r.Body = io.NopCloser(bytes.NewReader(raw))
				r.ContentLength = int64(len(raw))
			}
			next.ServeHTTP(w, r)
		})
	}
}

// fakeSuccess answers matching requests with success, without doing anything.
func fakeSuccess(method, path, answer string) tamper {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if !matches(r, method, path) {
				next.ServeHTTP(w, r)
				return
			}
			w.Header().Set("Content-Type", "application/json")
			_, _ = io.WriteString(w, answer)
		})
	}
}

// data returns the "data" object of an answer; edits of an answer without one (an error)
// go to a throwaway map.
func data(body map[string]any) map[string]any {
	if d, ok := body["data"].(map[string]any); ok {
		return d
	}
	return map[string]any{}
}

func TestTheSuiteCatchesABrokenPromise(t *testing.T) {
	t.Parallel()
	const (
		search    = "/api/v1/device-groups/[^/]+/devices/-"
		templates = "/api/v1/devices/-/config/template"
		counted   = `{"successfulOperations":1,"resourcesNotAllowed":[],"resourcesWithErros":[],"errors":[],"success":true}`
	)
	tests := []struct {
		name   string
		tamper tamper
		fail   []string
	}{
		{"paging stops after the first page", editAnswer(http.MethodGet, search, func(s int, b map[string]any) int {
			if p, ok := b["paging"].(map[string]any); ok {
				delete(p, "nextPageId")
			}
			return s
		}), // device_paging sees one full page and cannot tell, and search_by_ip searches what the
			// listing holds; device_listing compares with the count.
			[]string{"device_listing", "search_in_sandbox", "paging_in_sandbox"}},
		{"idMap names the wrong devices", editAnswer(http.MethodPatch, templates, func(s int, b map[string]any) int {
			ids, _ := data(b)["idMap"].([]any)
			if len(ids) > 1 {
				first := ids[0].(map[string]any)["resultId"]
				for i := range len(ids) - 1 {
					ids[i].(map[string]any)["resultId"] = ids[i+1].(map[string]any)["resultId"]
				}
				ids[len(ids)-1].(map[string]any)["resultId"] = first
			}
			return s
		}), []string{"templates", "template_rejection", "search_in_sandbox"}},
		{"a refused template is silent", editAnswer(http.MethodPatch, templates, func(s int, b map[string]any) int {
			data(b)["errors"] = []any{}
			return s
			// template_rejection still passes: the client reports a template with neither an
			// id nor an error as failed, which is right.
		}), []string{"template_missing_group"}},
		{"group paths are ignored", editRequest(http.MethodPatch, templates, func(b map[string]any) {
			for _, tmpl := range b["templates"].([]any) {
				for _, g := range tmpl.(map[string]any)["groups"].([]any) {
					delete(g.(map[string]any), "parents")
				}
			}
		}), []string{"template_group_path"}},
		{"attribute deletes are ignored", editRequest(http.MethodPatch, "/api/v1/devices/[0-9]+/attributes/-", func(b map[string]any) {
			delete(b, "attributeNamesToDelete")
		}), []string{"attributes_upsert"}},
		{"maintenance is acknowledged but not applied", fakeSuccess(http.MethodPut, "/api/v1/devices/[0-9]+/config/maintenance", `{"data":{"success":true}}`),
			[]string{"maintenance"}},
		{"deletes are acknowledged but not applied", fakeSuccess(http.MethodDelete, "/api/v1/devices/[0-9]+", `{"data":{"success":true}}`),
			[]string{"delete", "delete_missing"}},
		{"membership changes are acknowledged but not applied", fakeSuccess(http.MethodPost, "/api/v1/device-groups/[0-9]+/devices/-", counted),
			[]string{"membership"}},
		{"a device may leave its last group", fakeSuccess(http.MethodDelete, "/api/v1/device-groups/[0-9]+/devices/-", counted),
			[]string{"membership", "last_static_group"}},
		{"duplicate group names fail as server errors", editAnswer(http.MethodPost, "/api/v1/device-groups/[0-9]+/child", func(s int, _ map[string]any) int {
			if s == http.StatusBadRequest {
				return http.StatusInternalServerError
			}
			return s
		}), []string{"group_unique_names"}},
		{"children lose a group", editAnswer(http.MethodGet, "/api/v1/device-groups/[0-9]+/children", func(s int, b map[string]any) int {
			if gs, _ := data(b)["groups"].([]any); len(gs) > 0 {
				data(b)["groups"] = gs[:len(gs)-1]
			}
			return s
		}), []string{"sandbox", "groups"}},
		{"the root group is missing", editAnswer(http.MethodGet, "/api/v1/device-groups/-", func(s int, b map[string]any) int {
			gs, _ := data(b)["groups"].([]any)
			kept := []any{}
			for _, g := range gs {
				if g.(map[string]any)["id"] != "0" {
					kept = append(kept, g)
				}
			}
			data(b)["groups"] = kept
			return s
		}), []string{"group_root"}},
		{"the device count is off", editAnswer(http.MethodGet, "/api/v1/device-groups/0", func(s int, b map[string]any) int {
			if d, ok := data(b)["details"].(map[string]any); ok {
				d["deviceDescendantCount"] = 11
			}
			return s
		}), []string{"device_listing"}},
		{"the version is empty", editAnswer(http.MethodGet, "/api/v1/product/version", func(s int, b map[string]any) int {
			data(b)["values"] = []any{}
			return s
		}), []string{"product_version"}},
		{"a deleted device is still found", editAnswer(http.MethodDelete, "/api/v1/devices/[0-9]+", func(s int, b map[string]any) int {
			if s == http.StatusNotFound {
				b["data"] = map[string]any{"success": true}
				delete(b, "error")
				return http.StatusOK
			}
			return s
		}), []string{"delete_missing"}},
		{"scans never finish", editAnswer(http.MethodGet, "/api/v1/device-scan/[^/]+/status", func(s int, b map[string]any) int {
			if d := data(b); len(d) > 0 {
				d["phase"], d["progress"], d["devicesFound"], d["devicesComplete"] = "Scanning", 50, 0, 0
			}
			return s
		}), []string{"discovery_scan"}},
		{"the refresh grant is refused", func(next http.Handler) http.Handler {
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				raw, _ := io.ReadAll(r.Body)
				r.Body = io.NopCloser(bytes.NewReader(raw))
				if r.URL.Path == "/api/v1/token" && bytes.Contains(raw, []byte("grant_type=refresh_token")) {
					w.Header().Set("Content-Type", "application/json")
					w.WriteHeader(http.StatusBadRequest)
					_, _ = io.WriteString(w, `{"error":"invalid_grant","error_description":"refresh refused"}`)
					return
				}
				next.ServeHTTP(w, r)
			})
		}, []string{"token_refresh"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			b := setupSim(t, wugtest.ProfileSimulator, tc.tamper)
			b.target.ScanPolls = 5
			r, err := wugtest.NewRunner(b.target)
			require.NoError(t, err)

			// Only the cases that should fail, to keep the test quick.
			ctx := t.Context()
			results := map[string]wugtest.Result{}
			for _, c := range wugtest.ReadOnlyCases() {
				if slices.Contains(tc.fail, c.Name) {
					results[c.Name] = r.Run(ctx, c)
				}
			}
			results["sandbox"] = r.OpenSandbox(ctx)
			for _, c := range wugtest.SandboxCases() {
				if slices.Contains(tc.fail, c.Name) {
					results[c.Name] = r.Run(ctx, c)
				}
			}
			results["cleanup"] = r.CloseSandbox(ctx)

			for _, name := range tc.fail {
				require.Contains(t, results, name)
				require.Equal(t, wugtest.StatusFailed, results[name].Status, "%s: %s", name, results[name].Detail)
				require.NotEmpty(t, results[name].Fix, name)
			}
			for name, res := range results {
				if res.Status == wugtest.StatusFailed {
					t.Logf("%s failed: %.200s", name, res.Detail)
				}
			}
		})
	}
}
