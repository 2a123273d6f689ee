package wug

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/wugsync/wugsync/internal/testclock"
	"github.com/wugsync/wugsync/sim/wugsim"
)

func readFixture(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	require.NoError(t, err)
	return string(b)
}

// newRecordingServer answers the token route with fixture F2 and every other route with a
// product version, and hands every token request to record.
func newRecordingServer(t *testing.T, record func(r *http.Request, body string)) *httptest.Server {
	t.Helper()
	f2 := readFixture(t, "f02_token_response.json")
	var mu sync.Mutex
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		w.Header().Set("Content-Type", "application/json")
		if r.URL.Path == "/api/v1/token" {
			mu.Lock()
			record(r, string(body))
			mu.Unlock()
			_, _ = io.WriteString(w, f2)
			return
		}
		_, _ = io.WriteString(w, `{"data":{"values":[{"name":"Version","value":"2024.0.1"}]}}`)
	}))
	t.Cleanup(srv.Close)
	return srv
}

// replayRoute answers requests matching method and path with a recorded body.
type replayRoute struct {
	method string
	path   *regexp.Regexp
	status int
	file   string
}

// newReplayServer is a fake WUG that answers with the recorded responses of section 6;
// unknown routes are 404 as on a real server.
func newReplayServer(t *testing.T, routes ...replayRoute) *httptest.Server {
	t.Helper()
	routes = append(routes, replayRoute{method: http.MethodPost, path: regexp.MustCompile(`^/api/v1/token$`), status: 200, file: "f02_token_response.json"})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		for _, rt := range routes {
			if rt.method == r.Method && rt.path.MatchString(r.URL.Path) {
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(rt.status)
				_, _ = io.WriteString(w, readFixture(t, rt.file))
				return
			}
		}
		http.NotFound(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv
}

func replayClient(t *testing.T, routes ...replayRoute) *Client {
	t.Helper()
	srv := newReplayServer(t, routes...)
	c, err := New(Config{Name: "replay", BaseURL: srv.URL, Username: "admin", Password: "p@ssw0rd", Timeout: 5 * time.Second})
	require.NoError(t, err)
	return c
}

func route(method, pattern, file string) replayRoute {
	return replayRoute{method: method, path: regexp.MustCompile(pattern), status: http.StatusOK, file: file}
}

// requireSameForm compares two form bodies field by field.
func requireSameForm(t *testing.T, want, got string) {
	t.Helper()
	w, err := url.ParseQuery(want)
	require.NoError(t, err)
	g, err := url.ParseQuery(got)
	require.NoError(t, err)
	require.Equal(t, w, g)
}

func TestFixtureF1AndF4TokenRequests(t *testing.T) {
	t.Parallel()
	var bodies []string
	srv := newRecordingServer(t, func(_ *http.Request, body string) { bodies = append(bodies, body) })
	c, err := New(Config{Name: "rec", BaseURL: srv.URL, Username: "admin", Password: "p@ssw0rd"})
	require.NoError(t, err)
	clock := testclock.New(time.Now())
	c.now = clock.Now

	_, err = c.ProductVersion(t.Context())
	require.NoError(t, err)
	clock.Advance(24 * time.Hour) // past expires_in: the next call refreshes first
	_, err = c.ProductVersion(t.Context())
	require.NoError(t, err)

	require.Len(t, bodies, 2)
	requireSameForm(t, readFixture(t, "f01_token_request.txt"), bodies[0])
	f2Refresh := url.QueryEscape("X03w.....dziTwmA")
	requireSameForm(t, strings.Replace(readFixture(t, "f04_refresh_request.txt"), "REFRESH", f2Refresh, 1), bodies[1])
}

func TestFixtureF2TokenResponse(t *testing.T) {
	t.Parallel()
	var tok wireToken
	require.NoError(t, json.Unmarshal([]byte(readFixture(t, "f02_token_response.json")), &tok))
	require.Equal(t, "X03w.....dziTwmA", tok.AccessToken)
	require.Equal(t, "bearer", tok.TokenType)
	require.EqualValues(t, 86399, tok.ExpiresIn)
	require.Equal(t, flexString("X03w.....dziTwmA"), tok.RefreshToken)
}

func TestFixtureF3TokenFailure(t *testing.T) {
	t.Parallel()
	c := replayClient(t, replayRoute{method: http.MethodPost, path: regexp.MustCompile(`^/api/v1/token$`), status: http.StatusBadRequest, file: "f03_token_failure.json"})
	_, err := c.ProductVersion(t.Context())
	require.ErrorIs(t, err, ErrBadCredentials)
	var apiErr *APIError
	require.ErrorAs(t, err, &apiErr)
	require.Equal(t, "invalid_grant", apiErr.Code)
	require.Equal(t, "Invalid username/password or not allowed to sign on from this location.", apiErr.Message)
}

func TestFixtureF7TemplateResults(t *testing.T) {
	t.Parallel()
	cases := []struct {
		file       string
		templateID string
		want       TemplateResult
	}{
		{"f07_template_response_live.json", "4", TemplateResult{TemplateID: "4", DeviceID: "6433", OK: true}},
		{"f07_template_response_full.json", "nb-42", TemplateResult{TemplateID: "nb-42", DeviceID: "6433", OK: true}},
		{"f07_template_response_failure.json", "nb-42", TemplateResult{TemplateID: "nb-42", Errors: []string{"<error text>"}}},
	}
	for _, tc := range cases {
		t.Run(tc.file, func(t *testing.T) {
			t.Parallel()
			c := replayClient(t, route(http.MethodPatch, `^/api/v1/devices/-/config/template$`, tc.file))
			res, err := c.ApplyTemplates(t.Context(), []DeviceTemplate{template(tc.templateID, "dev", "192.168.1.1")})
			require.NoError(t, err)
			require.Equal(t, map[string]TemplateResult{tc.templateID: tc.want}, res)
		})
	}
}

func TestFixtureF8NewDeviceScan(t *testing.T) {
	t.Parallel()
	c := replayClient(t, route(http.MethodPatch, `^/api/v1/device-groups/0/newDevice$`, "f08_new_device_response.json"))
	id, err := c.StartNewDeviceScan(t.Context(), RootGroupID, []string{"127.0.0.2"}, ScanOptions{})
	require.NoError(t, err)
	require.Equal(t, "b2cf2d31-a0ec-c956-d113-08de7beeb7bd", id)
}

func TestFixtureF9DeviceSearch(t *testing.T) {
	t.Parallel()
	c := replayClient(t, route(http.MethodGet, `^/api/v1/device-groups/-?[0-9]+/devices/-$`, "f09_device_search.json"))
	var pages [][]DeviceOverview
	require.NoError(t, c.ListDevices(t.Context(), RootGroupID, func(p []DeviceOverview) error {
		pages = append(pages, p)
		return nil
	}))
	require.Equal(t, [][]DeviceOverview{{
		{ID: "14", Name: "192.168.37.1", HostName: "192.168.37.1", NetworkAddress: "192.168.37.1", BestState: "Up", WorstState: "Up"},
		{ID: "16", Name: "192.168.37.100", HostName: "192.168.37.100", NetworkAddress: "192.168.37.100", BestState: "Maintenance", WorstState: "Maintenance"},
	}}, pages)
	require.False(t, pages[0][0].InMaintenance())
	require.True(t, pages[0][1].InMaintenance())
}

func TestFixtureF11DeleteResponse(t *testing.T) {
	t.Parallel()
	c := replayClient(t, route(http.MethodDelete, `^/api/v1/devices/6433$`, "f11_delete_response.json"))
	require.NoError(t, c.DeleteDevice(t.Context(), "6433"))
	require.ErrorIs(t, c.DeleteDevice(t.Context(), "6434"), ErrNotFound)
}

func TestFixtureF12TemplateRead(t *testing.T) {
	t.Parallel()
	templates, errs, err := decodeTemplateRead([]byte(readFixture(t, "f12_group_templates.json")))
	require.NoError(t, err)
	require.Empty(t, errs)
	require.Len(t, templates, 1)
	tmpl := templates[0]
	autoRefresh := true
	require.Equal(t, DeviceTemplate{
		TemplateID: "46", DisplayName: "S2", DeviceType: "Cisco Switch", SNMPOID: "1.3.6.1.4.1.9.1.1227",
		PrimaryRole: "Switch", SubRoles: []string{"Switch", "Unix"}, OS: "Cisco IOS", Brand: "Cisco",
		Note: "This device was scanned by discovery on 12/31/2020 2:27:09 PM.", AutoRefresh: &autoRefresh,
		Credentials: []TemplateCredential{{Type: "SNMP v3", Name: "skahhong"}, {Type: "SSH", Name: "Cisco"}},
		Interfaces:  []TemplateInterface{{Default: true, NetworkAddress: "10.0.0.2", NetworkName: "10.0.0.2"}},
		Attributes: []NameValue{{"Contact", ""}, {"Model", "Cisco Catalyst 3560X-48T-L,S Switch (WS-C3560X-48T-L,WS-C3560X-48T-S)"},
			{"SerialNumber", "9I03RXYA7H2"}},
		CustomLinks:    []NameValue{{"Browse", "http://%Device.UrlAddress/"}},
		ActiveMonitors: []TemplateMonitor{{ClassID: "2655476e-36b0-455f-9cce-940b6f8e07bf", Name: "Ping"}},
		Groups:         []GroupRef{{Name: "Discovered Devices", Parents: []string{"My Network"}}},
	}, tmpl)
}

func TestFixtureF13GroupChildren(t *testing.T) {
	t.Parallel()
	c := replayClient(t, route(http.MethodGet, `^/api/v1/device-groups/51/children$`, "f13_group_children.json"))
	groups, err := c.ChildGroups(t.Context(), "51")
	require.NoError(t, err)
	require.Equal(t, []Group{
		{ID: "3", Name: "All routers", Description: "All routers (dynamic group)", ParentID: "51"},
		{ID: "46", Name: "subnet_16", Description: "subnet_16", ParentID: "51"},
	}, groups)
}

// backend is one WUG the conformance suite runs against: the simulator, or a replay of the
// recorded live responses. device and group return ids of objects with the given facts,
// creating them where the backend can.
type backend struct {
	name   string
	client *Client
	device func(t *testing.T, name, ip string) string
	parent func(t *testing.T) string // a group with a static child "subnet_16" and a dynamic child
}

func backends(t *testing.T) []backend {
	t.Helper()
	sim := setup(t, wugsim.Options{})
	replay := replayClient(t,
		route(http.MethodPatch, `^/api/v1/devices/-/config/template$`, "f07_template_response_live.json"),
		route(http.MethodGet, `^/api/v1/device-groups/-1/devices/-$`, "f09_device_search.json"),
		route(http.MethodDelete, `^/api/v1/devices/[0-9]+$`, "f11_delete_response.json"),
		route(http.MethodPatch, `^/api/v1/device-groups/0/newDevice$`, "f08_new_device_response.json"),
		route(http.MethodGet, `^/api/v1/devices/46/config/template$`, "f12_group_templates.json"),
		route(http.MethodGet, `^/api/v1/device-groups/51/children$`, "f13_group_children.json"),
	)
	replayIDs := map[string]string{"192.168.37.1": "14", "192.168.37.100": "16", "10.0.0.2": "46"}
	return []backend{
		{
			name:   "simulator",
			client: sim.client,
			device: func(t *testing.T, name, ip string) string { return sim.seed(t, name, ip) },
			parent: func(t *testing.T) string {
				g, err := sim.sim.AddGroup("Lab/subnet_16")
				require.NoError(t, err)
				_, err = sim.sim.AddDynamicGroup("Lab", "All routers")
				require.NoError(t, err)
				return g.ParentID
			},
		},
		{
			name:   "replay",
			client: replay,
			device: func(t *testing.T, _, ip string) string {
				id, ok := replayIDs[ip]
				require.True(t, ok, "no recorded device at %s", ip)
				return id
			},
			parent: func(*testing.T) string { return "51" },
		},
	}
}

// TestConformance runs the same client checks against the simulator and against the recorded
// responses of a real server, so the simulator cannot drift from what real servers send.
func TestConformance(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		run  func(t *testing.T, b backend)
	}{
		{"apply template returns the new device id", func(t *testing.T, b backend) {
			res, err := b.client.ApplyTemplates(t.Context(), []DeviceTemplate{template("4", "Example New Device", "192.168.1.1")})
			require.NoError(t, err)
			require.True(t, res["4"].OK)
			require.NotEmpty(t, res["4"].DeviceID)
			require.Empty(t, res["4"].Errors)
		}},
		{"find by IP keeps exact matches only", func(t *testing.T, b backend) {
			want := b.device(t, "192.168.37.1", "192.168.37.1")
			b.device(t, "192.168.37.100", "192.168.37.100")
			found, err := b.client.FindDevicesByIP(t.Context(), "192.168.37.1")
			require.NoError(t, err)
			require.Len(t, found, 1)
			require.Equal(t, want, found[0].ID)
			require.Equal(t, "192.168.37.1", found[0].NetworkAddress)
		}},
		{"delete device", func(t *testing.T, b backend) {
			id := b.device(t, "192.168.37.100", "192.168.37.100")
			require.NoError(t, b.client.DeleteDevice(t.Context(), id))
		}},
		{"new device scan returns a scan id", func(t *testing.T, b backend) {
			id, err := b.client.StartNewDeviceScan(t.Context(), RootGroupID, []string{"127.0.0.2"}, ScanOptions{})
			require.NoError(t, err)
			require.Regexp(t, `^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`, id)
		}},
		{"device template read back", func(t *testing.T, b backend) {
			id := b.device(t, "S2", "10.0.0.2")
			tmpl, err := b.client.GetDeviceTemplate(t.Context(), id)
			require.NoError(t, err)
			require.Equal(t, "S2", tmpl.DisplayName)
			require.Equal(t, "10.0.0.2", tmpl.Interfaces[0].NetworkAddress)
			require.True(t, tmpl.Interfaces[0].Default)
			require.Equal(t, []GroupRef{{Name: "Discovered Devices", Parents: []string{"My Network"}}}, tmpl.Groups)
		}},
		{"group children", func(t *testing.T, b backend) {
			parent := b.parent(t)
			groups, err := b.client.ChildGroups(t.Context(), parent)
			require.NoError(t, err)
			require.Len(t, groups, 2)
			names := []string{groups[0].Name, groups[1].Name}
			require.ElementsMatch(t, []string{"All routers", "subnet_16"}, names)
			for _, g := range groups {
				require.Equal(t, parent, g.ParentID)
				require.NotEmpty(t, g.ID)
			}
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			for _, b := range backends(t) {
				t.Run(b.name, func(t *testing.T) { tc.run(t, b) })
			}
		})
	}
}
