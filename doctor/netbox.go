package doctor

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/wugsync/wugsync/config"
	"github.com/wugsync/wugsync/export"
	"github.com/wugsync/wugsync/models"
	"github.com/wugsync/wugsync/netbox"
)

// netboxTimeout bounds each NetBox request of doctor; it does not retry, so
// a person waits for one timeout, not for a back-off.
const netboxTimeout = 20 * time.Second

// Fixes of the NetBox checks.
const (
	fixNetBoxToken = "check " + config.EnvNetBoxToken + ": a v1 key (40 hex characters, \"Token\") or, on NetBox 4.5+, a v2 token (nbt_…), not expired, of an active user"
	fixNetBoxReach = "check " + config.EnvNetBoxURL + " (scheme, host, port, BASE_PATH), DNS, the firewall and NetBox's TLS certificate"
	fixViewRight   = "give the token's user the view permission on %s (NetBox: Admin > Authentication > Permissions)"
)

// netbox checks the NetBox wugsync reads: it answers, accepts the token,
// runs a supported version with webhook workers, lets the token read what
// the export reads, and resolves the filters of the connections.
func (r *run) netbox(ctx context.Context) {
	cfg := r.p.Config
	if cfg.NetBoxURL == "" || cfg.NetBoxToken == "" {
		s := r.section("NetBox")
		for _, v := range []struct{ name, value string }{{config.EnvNetBoxURL, cfg.NetBoxURL}, {config.EnvNetBoxToken, cfg.NetBoxToken}} {
			if v.value == "" {
				s.fail(v.name, "not set: worker and all need it to read NetBox", "set "+v.name)
			}
		}
		return
	}
	s := r.section("NetBox " + cfg.NetBoxURL)
	if r.invalid(config.EnvNetBoxURL) || r.invalid(config.EnvNetBoxToken) {
		s.skip("reachable", "not checked: the NetBox settings are invalid (see Configuration)", "")
		return
	}
	recorder := &dateRecorder{next: http.DefaultTransport.(*http.Transport).Clone(), now: r.now}
	client := func(pageSize int) (*netbox.Client, error) {
		return netbox.New(netbox.Config{
			URL: cfg.NetBoxURL, Token: cfg.NetBoxToken, Timeout: netboxTimeout, MaxRetries: -1, PageSize: pageSize,
			HTTPClient: &http.Client{Transport: recorder},
		})
	}
	// One object per page is enough to learn whether a list is readable.
	probe, err := client(1)
	if err != nil {
		s.fail("configuration", err.Error(), "fix "+config.EnvNetBoxURL+" and "+config.EnvNetBoxToken)
		return
	}
	full, err := client(0)
	if err != nil {
		s.fail("configuration", err.Error(), "fix "+config.EnvNetBoxURL+" and "+config.EnvNetBoxToken)
		return
	}
	st, err := probe.Status(ctx)
	if sample, ok := recorder.first(); ok {
		r.clock("NetBox", sample)
	}
	switch {
	case errors.Is(err, netbox.ErrAuth):
		s.pass("reachable", "NetBox answers")
		s.fail("token", err.Error(), fixNetBoxToken)
		s.skip("read rights", "not checked: the token was refused", "")
		return
	case err != nil:
		s.fail("reachable", err.Error(), fixNetBoxReach)
		return
	}
	s.pass("reachable", "NetBox answers")
	s.pass("token", "accepted")
	if majorVersion(st.NetBoxVersion) == 4 {
		s.pass("version", fmt.Sprintf("NetBox %s (API %s)", st.NetBoxVersion, st.APIVersion))
	} else {
		s.fail("version", fmt.Sprintf("NetBox %q: wugsync reads the NetBox 4.x API", st.NetBoxVersion), "upgrade NetBox to a 4.x release")
	}
	if st.RQWorkersRunning > 0 {
		s.pass("background workers", fmt.Sprintf("%d running: NetBox sends webhooks", st.RQWorkersRunning))
	} else {
		s.fail("background workers", "none running: NetBox queues webhooks but never sends them, so changes reach WUG only at the next periodic export",
			"start NetBox's worker (manage.py rqworker, or the netbox-worker container)")
	}

	readable := func(name, permission string, read func() error) {
		err := read()
		switch {
		case err == nil:
			s.pass(name, "allowed (object permissions with constraints may still hide some objects; doctor cannot see which)")
		case errors.Is(err, netbox.ErrAuth):
			s.fail(name, err.Error(), fmt.Sprintf(fixViewRight, permission))
		default:
			s.fail(name, err.Error(), fixNetBoxReach)
		}
	}
	readable("read devices", "dcim.device", func() error { _, _, err := first(probe.Devices(ctx, netbox.DeviceFilter{})); return err })
	readable("read IP addresses", "ipam.ipaddress", func() error {
		_, _, err := first(probe.IPAddresses(ctx, netbox.IPFilter{}))
		return err
	})
	readable("read sites", "dcim.site", func() error { _, err := full.ListSites(ctx); return err })
	r.netboxWriteRights(ctx, s, full)
	r.netboxFilters(ctx, s, probe)
}

// netboxWriteRights reports the rights wugsync's NetBox writes need.
func (r *run) netboxWriteRights(ctx context.Context, s section, nb *netbox.Client) {
	if r.p.NetBoxWriteRights != nil {
		status, detail, fix := r.p.NetBoxWriteRights(ctx, nb)
		s.add("write rights", status, detail, fix)
		return
	}
	s.skip("write rights", "not checked: NetBox has no read-only way to test whether a token may add or change objects. "+
		"wugsync writes to NetBox only for `wugsync netbox-setup` (custom field, custom link, webhook, event rule) and, where a connection turns them on, "+
		"WUG device ids on devices and VMs and journal entries",
		"if you use those, give the token write access and add/change on extras.customfield, extras.customlink, extras.webhook, "+
			"extras.eventrule, dcim.device, virtualization.virtualmachine and extras.journalentry")
}

// netboxFilters lists the first device each connection in scope selects:
// NetBox answers 400 for a filter value it does not know (a site slug that
// does not exist), which the client reports as a FilterError.
func (r *run) netboxFilters(ctx context.Context, s section, nb *netbox.Client) {
	if r.db == nil {
		s.skip("connection filters", "not checked: "+r.dbErr, "")
		return
	}
	for _, conn := range r.scope() {
		name := fmt.Sprintf("filters of %q", conn.Name)
		d, found, err := firstSelected(ctx, nb, conn.DeviceFilters)
		switch {
		case errors.Is(err, netbox.ErrConfig):
			s.fail(name, err.Error(), fmt.Sprintf("correct the connection's device_filters (PATCH /api/v1/connections/%d)", conn.ID))
		case err != nil:
			s.fail(name, err.Error(), fixNetBoxReach)
		case !found:
			s.pass(name, describeFilters(conn.DeviceFilters)+": valid, but no NetBox device matches them yet")
		default:
			s.pass(name, fmt.Sprintf("%s: valid; selects %q among others", describeFilters(conn.DeviceFilters), d.DisplayName()))
		}
	}
}

// firstSelected is the first device the filters select, by the query an
// export sends: cluster names are resolved to ids first, as the planner
// does (NetBox filters devices by cluster id only).
func firstSelected(ctx context.Context, nb *netbox.Client, f models.DeviceFilters) (netbox.Device, bool, error) {
	q := export.NetBoxQuery(f)
	if len(q.Clusters) > 0 {
		clusters, err := nb.ListClusters(ctx)
		if err != nil {
			return netbox.Device{}, false, err
		}
		if q, err = export.ResolveClusters(q, clusters); err != nil {
			return netbox.Device{}, false, err
		}
	}
	return first(nb.Devices(ctx, q))
}

// describeFilters renders a connection's filters as the NetBox query they
// become (export.NetBoxQuery, the query an export sends).
func describeFilters(f models.DeviceFilters) string {
	q := export.NetBoxQuery(f)
	parts := []string{"status=" + strings.Join(q.Statuses, ",")}
	for _, l := range []struct {
		name   string
		values []string
	}{{"site", q.Sites}, {"role", q.Roles}, {"tag", q.Tags}, {"platform", q.Platforms}, {"tenant", q.Tenants}, {"cluster", q.Clusters}} {
		if len(l.values) > 0 {
			parts = append(parts, l.name+"="+strings.Join(l.values, ","))
		}
	}
	for _, l := range []struct {
		name string
		ids  []int64
	}{{"site_id", q.SiteIDs}, {"role_id", q.RoleIDs}, {"tag_id", q.TagIDs}, {"platform_id", q.PlatformIDs}, {"tenant_id", q.TenantIDs}, {"cluster_id", q.ClusterIDs}} {
		if len(l.ids) > 0 {
			ids := make([]string, len(l.ids))
			for i, id := range l.ids {
				ids[i] = strconv.FormatInt(id, 10)
			}
			parts = append(parts, l.name+"="+strings.Join(ids, ","))
		}
	}
	return strings.Join(parts, " ")
}

// first returns the first item of a NetBox listing and stops it there.
func first[T any](seq iter.Seq2[T, error]) (T, bool, error) {
	for item, err := range seq {
		return item, err == nil, err
	}
	var zero T
	return zero, false, nil
}
