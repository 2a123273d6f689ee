package workers_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/wugsync/wugsync/models"
	"github.com/wugsync/wugsync/sim/netboxsim"
	"github.com/wugsync/wugsync/sim/wugsim"
	"github.com/wugsync/wugsync/tasks"
)

// wantDevice is what DESIGN §6 says WUG must hold for one NetBox device.
// It is worked out from the NetBox simulator's own records by the spec's
// rules, not by wugsync's mapping code, so a mapping bug cannot hide behind
// itself; TestExportMatchesTheReviewedGolden pins every other field.
type wantDevice struct {
	Name    string
	Address netip.Addr
	Site    string
}

// expected returns, by NetBox device id, the devices a connection with the
// default settings must export: status active, a primary IP (IPv4
// preferred) WUG can monitor, and no other active device with the same IP.
func (b *testBundle) expected() map[string]wantDevice {
	b.t.Helper()
	inv := b.nb.Inventory()
	ips := map[int]netboxsim.IPAddress{}
	for _, ip := range inv.IPAddresses {
		ips[ip.ID] = ip
	}
	sites := map[int]string{}
	for _, s := range inv.Sites {
		sites[s.ID] = s.Name
	}
	types := map[int]netboxsim.DeviceType{}
	for _, dt := range inv.DeviceTypes {
		types[dt.ID] = dt
	}
	makers := map[int]string{}
	for _, m := range inv.Manufacturers {
		makers[m.ID] = m.Name
	}

	out := map[string]wantDevice{}
	holders := map[netip.Addr][]string{}
	for _, d := range inv.Devices {
		ipID := d.PrimaryIP4ID
		if ipID == 0 {
			ipID = d.PrimaryIP6ID
		}
		if d.Status != "active" || ipID == 0 {
			continue
		}
		prefix, err := netip.ParsePrefix(ips[ipID].Address)
		require.NoError(b.t, err, "device %d's primary IP", d.ID)
		id := strconv.Itoa(d.ID)
		holders[prefix.Addr()] = append(holders[prefix.Addr()], id)
		if !monitorable(prefix) {
			continue
		}
		name := ""
		if d.Name != nil {
			name = strings.TrimSpace(*d.Name)
		}
		if name == "" { // NetBox's display of an unnamed device
			dt := types[d.DeviceTypeID]
			name = fmt.Sprintf("%s %s (%d)", makers[dt.ManufacturerID], dt.Model, d.ID)
		}
		out[id] = wantDevice{Name: name, Address: prefix.Addr(), Site: sites[d.SiteID]}
	}
	for _, ids := range holders {
		if len(ids) > 1 { // an IP conflict: neither device is exported
			for _, id := range ids {
				delete(out, id)
			}
		}
	}
	return out
}

// unmonitorable are the IANA special-purpose blocks DESIGN §6 rejects
// (reserved, documentation, benchmarking, future use).
var unmonitorable = []netip.Prefix{
	netip.MustParsePrefix("0.0.0.0/8"),
	netip.MustParsePrefix("192.0.0.0/24"),
	netip.MustParsePrefix("192.0.2.0/24"),
	netip.MustParsePrefix("198.18.0.0/15"),
	netip.MustParsePrefix("198.51.100.0/24"),
	netip.MustParsePrefix("203.0.113.0/24"),
	netip.MustParsePrefix("240.0.0.0/4"),
	netip.MustParsePrefix("100::/64"),
	netip.MustParsePrefix("2001:db8::/32"),
	netip.MustParsePrefix("3fff::/20"),
}

// monitorable applies DESIGN §6's address rules: no loopback, multicast,
// link-local, unspecified, broadcast or reserved address.
func monitorable(p netip.Prefix) bool {
	a := p.Addr().Unmap()
	if a.IsLoopback() || a.IsMulticast() || a.IsLinkLocalUnicast() || a.IsUnspecified() ||
		a == netip.AddrFrom4([4]byte{255, 255, 255, 255}) {
		return false
	}
	if a.Is4() && p.Bits() < 31 {
		network := p.Masked().Addr()
		broadcast := network.As4()
		for i := p.Bits(); i < 32; i++ {
			broadcast[i/8] |= 1 << (7 - i%8)
		}
		if a == network || a == netip.AddrFrom4(broadcast) {
			return false
		}
	}
	for _, r := range unmonitorable {
		if r.Contains(a) {
			return false
		}
	}
	return true
}

// requireWUGMatches checks that WUG holds every wanted device exactly once,
// and nothing else, with its name, address, site group and NetBox links.
func (b *testBundle) requireWUGMatches(want map[string]wantDevice) {
	b.t.Helper()
	got := b.wugByNetBoxID()
	for id := range want {
		_, ok := got[id]
		require.True(b.t, ok, "NetBox device %s is missing from WUG", id)
	}
	require.Equal(b.t, len(want), len(got), "WUG holds exactly the eligible devices")
	require.Equal(b.t, len(want), len(b.wug.Devices()), "no other device was created")
	rows := b.rows()
	for id, w := range want {
		d := got[id]
		require.Equal(b.t, w.Name, d.Name, "device %s name", id)
		require.Equal(b.t, w.Address.String(), d.NetworkAddress, "device %s address", id)
		require.Contains(b.t, d.Groups, "My Network/"+w.Site, "device %s group", id)
		require.Equal(b.t, w.Site, attr(d, "NetBox_Site"), "device %s site", id)
		require.Equal(b.t, "active", attr(d, "NetBox_Status"), "device %s status", id)
		require.Equal(b.t, b.nbClient.Server()+"/dcim/devices/"+id+"/", attr(d, "NetBox_URL"), "device %s link", id)
		if n, _ := strconv.ParseInt(id, 10, 64); !rows[n].Adopted {
			require.Equal(b.t, "nb-"+id, d.TemplateID, "device %s template id", id)
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
	require.Equal(t, run.DevicesSkipped+run.DevicesExcluded, skipped, "skipped rows: skips, and devices of other statuses")

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
