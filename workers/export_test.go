package workers_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/wugsync/wugsync/export"
	"github.com/wugsync/wugsync/models"
	"github.com/wugsync/wugsync/netbox"
	"github.com/wugsync/wugsync/sim/wugsim"
	"github.com/wugsync/wugsync/tasks"
)

// expected computes, independently of the worker, which NetBox devices a
// default connection must export and how each must look in WUG.
func (b *testBundle) expected() map[string]export.Mapped {
	b.t.Helper()
	out := map[string]export.Mapped{}
	byAddr := map[netip.Addr][]string{}
	for d, err := range b.nbClient.Devices(context.Background(), netbox.DeviceFilter{Statuses: []string{"active"}}) {
		require.NoError(b.t, err)
		m, err := export.Map(d, export.MapOptions{GroupTemplate: b.conn.GroupTemplate, NetBoxURL: b.nbClient.Server()})
		if err != nil {
			continue
		}
		id := strconv.Itoa(d.ID)
		out[id] = m
		byAddr[m.Address] = append(byAddr[m.Address], id)
	}
	for _, ids := range byAddr {
		if len(ids) > 1 {
			for _, id := range ids {
				delete(out, id)
			}
		}
	}
	return out
}

func (b *testBundle) requireWUGMatches(want map[string]export.Mapped) {
	b.t.Helper()
	got := b.wugByNetBoxID()
	for id := range want {
		_, ok := got[id]
		require.True(b.t, ok, "NetBox device %s is missing from WUG", id)
	}
	require.Equal(b.t, len(want), len(got), "WUG holds exactly the eligible devices")
	require.Equal(b.t, len(want), len(b.wug.Devices()), "no other device was created")
	for id, m := range want {
		d, ok := got[id]
		require.True(b.t, ok, "NetBox device %s missing from WUG", id)
		require.Equal(b.t, m.Template.DisplayName, d.Name, "device %s name", id)
		require.Equal(b.t, m.Address.String(), d.NetworkAddress, "device %s address", id)
		require.Equal(b.t, m.Template.PrimaryRole, d.Role, "device %s role", id)
		if m.Template.Brand != "" { // WUG shows its own default for an empty one
			require.Equal(b.t, m.Template.Brand, d.Brand, "device %s brand", id)
		}
		if m.Template.OS != "" {
			require.Equal(b.t, m.Template.OS, d.OS, "device %s os", id)
		}
		require.Equal(b.t, m.Template.Note, d.Note, "device %s note", id)
		wantGroup := "My Network/" + strings.Join(m.Fields.GroupPath, "/")
		require.Contains(b.t, d.Groups, wantGroup, "device %s group", id)
		for name, value := range m.Fields.Attributes {
			require.Equal(b.t, value, attr(d, name), "device %s attribute %s", id, name)
		}
	}
}

func TestExportCreatesEveryEligibleDeviceExactlyOnce(t *testing.T) {
	t.Parallel()
	b := setup(t, bundleOptions{devices: 1200})
	want := b.expected()
	require.Greater(t, len(want), 900, "most of the inventory is eligible")

	run := b.export(tasks.ExportRequest{})
	require.Equal(t, models.RunCompleted, run.Status, run.ErrorMessage)
	require.Equal(t, len(want), run.DevicesCreated)
	require.Zero(t, run.DevicesFailed)
	require.Equal(t, run.DevicesTotal, run.DevicesCreated+run.DevicesSkipped)
	b.requireWUGMatches(want)

	rows := b.rows()
	for id := range want {
		n, _ := strconv.ParseInt(id, 10, 64)
		require.Equal(t, models.ExportExported, rows[n].ExportStatus, "row of device %s", id)
		require.NotEmpty(t, rows[n].WUGDeviceID)
		require.NotNil(t, rows[n].ExportedAt)
	}
	var skipped int
	for _, r := range rows {
		if r.ExportStatus == models.ExportSkipped {
			skipped++
			require.NotEmpty(t, r.SkipReason, "device %d skipped without a reason", r.NetBoxDeviceID)
		}
	}
	require.Equal(t, run.DevicesSkipped, skipped)

	// A second run of the unchanged inventory writes nothing to WUG.
	b.wug.ResetStats()
	second := b.export(tasks.ExportRequest{})
	require.Equal(t, models.RunCompleted, second.Status)
	require.Equal(t, len(want), second.DevicesUnchanged)
	require.Zero(t, second.DevicesCreated+second.DevicesUpdated)
	for _, r := range b.wug.RequestLog() {
		require.Equal(t, "GET", r.Method, "the second run wrote to WUG: %s %s", r.Method, r.Path)
	}
	require.Len(t, b.wug.Devices(), len(want))
}

func TestNestedGroupsAreCreatedOnceUnderConcurrentBatches(t *testing.T) {
	t.Parallel()
	b := setup(t, bundleOptions{devices: 200, concurrency: 8, conn: func(c *models.WUGConnection) {
		c.GroupTemplate, c.BatchSize = "{ Region }/{role}", 2 // spacing and case as people type them
	}})
	run := b.export(tasks.ExportRequest{})
	require.Equal(t, models.RunCompleted, run.Status, run.ErrorMessage)
	require.Zero(t, run.DevicesFailed)

	paths := map[string]int{}
	for _, g := range b.wug.Groups() {
		paths[strings.ToLower(g.Path)]++
		require.NotEqual(t, "No Region", g.Name, "regions were looked up")
	}
	for path, n := range paths {
		require.Equal(t, 1, n, "group %q exists %d times", path, n)
	}
	var attempts int64
	require.NoError(t, b.db.Model(&models.ExportAttempt{}).Where("sync_log_id = ?", run.ID).Count(&attempts).Error)
	require.Zero(t, attempts, "no batch failed on a group another batch was creating")
	for _, d := range b.wug.Devices() {
		require.Len(t, strings.Split(d.Groups[0], "/"), 3, "My Network/<region>/<role>: %v", d.Groups)
	}
}

func TestConnectionRoleRulesDecideTheWUGRole(t *testing.T) {
	t.Parallel()
	b := setup(t, bundleOptions{devices: 40, conn: func(c *models.WUGConnection) {
		c.RoleRules = []models.RoleRule{{Match: []string{"access switch"}, PrimaryRole: "Switch", DeviceType: "Cisco Switch"}}
	}})
	run := b.export(tasks.ExportRequest{})
	require.Equal(t, models.RunCompleted, run.Status, run.ErrorMessage)
	var access, others int
	for _, d := range b.wug.Devices() {
		if attr(d, "NetBox_Role") == "Access Switch" {
			access++
			require.Equal(t, "Switch", d.Role)
			require.Equal(t, "Cisco Switch", d.DeviceType)
		} else {
			others++
			require.Equal(t, "Device", d.Role, "only the connection's rules apply: %s", attr(d, "NetBox_Role"))
		}
	}
	require.Positive(t, access)
	require.Positive(t, others)
}

// raceGroupCreation creates each top-level group in WUG itself just before
// wugsync's own create request reaches the server, as a person working in
// the WUG console at the same moment would.
type raceGroupCreation struct {
	wug *wugsim.Server
	t   *testing.T
}

func (h raceGroupCreation) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method == http.MethodPost && r.URL.Path == "/api/v1/device-groups/0/child" {
		body, err := io.ReadAll(r.Body)
		require.NoError(h.t, err)
		var in struct {
			Name string `json:"name"`
		}
		require.NoError(h.t, json.Unmarshal(body, &in))
		_, err = h.wug.AddGroup(in.Name)
		require.NoError(h.t, err)
		r.Body = io.NopCloser(bytes.NewReader(body))
	}
	h.wug.ServeHTTP(w, r)
}

func TestGroupCreatedOutsideMeanwhileIsUsed(t *testing.T) {
	t.Parallel()
	b := setup(t, bundleOptions{devices: 40})
	b.routeWUGThrough(raceGroupCreation{wug: b.wug, t: t})
	run := b.export(tasks.ExportRequest{})
	require.Equal(t, models.RunCompleted, run.Status, run.ErrorMessage)
	require.Zero(t, run.DevicesFailed)
	require.Equal(t, len(b.expected()), run.DevicesCreated)
	var attempts int64
	require.NoError(t, b.db.Model(&models.ExportAttempt{}).Where("sync_log_id = ?", run.ID).Count(&attempts).Error)
	require.Zero(t, attempts, "the refused create was resolved in place, not by failing the batch")
	names := map[string]int{}
	for _, g := range b.wug.Groups() {
		names[g.Path]++
	}
	for path, n := range names {
		require.Equal(t, 1, n, "group %q exists %d times", path, n)
	}
}
