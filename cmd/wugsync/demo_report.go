package main

import (
	"cmp"
	"context"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/wugsync/wugsync/export"
	"github.com/wugsync/wugsync/internal/process"
	"github.com/wugsync/wugsync/models"
	"github.com/wugsync/wugsync/sim/netboxsim"
	"github.com/wugsync/wugsync/sim/wugsim"
)

// demoReport is what the demo prints after its export.
type demoReport struct {
	NetBoxURL, WUGURL       string
	Devices, Sites, Regions int
	Redis                   *process.Redis
	TempDatabase            string // "" when WUGSYNC_DATABASE_URL was given
	DryRun, Export          models.WUGSyncLog
	Planned                 map[models.PlanAction]int // the dry run's plan
	Skipped                 []reasonCount             // the export's skips, by reason
	Conflicts               []ipConflict
	Groups                  []wugsim.Group
	SampleDevice            *models.PlanEntry // a created device to change by hand
	// Statuses are the statuses the connection exports; OtherStatus counts
	// the NetBox devices with another one, as the export explained them
	// (devices_excluded: each has a skipped row naming its status), and
	// ByStatus counts them by status.
	Statuses    []string
	OtherStatus int
	ByStatus    []reasonCount
	Writeback   demoWriteback
	// VMs, VMOtherStatus and the per-kind tallies account for virtual
	// machines apart from devices (the run's counters hold both).
	VMs, VMOtherStatus int
	DeviceRun, VMRun   models.WUGSyncLog
	ExportsVMs         bool
}

type reasonCount struct {
	Reason string
	Count  int
}

// ipConflict is one address claimed as primary IP by several devices.
type ipConflict struct {
	IP      string
	Devices []string
}

// buildDemoReport reads the two runs' plans and the simulated WUG.
func buildDemoReport(ctx context.Context, svc *process.Services, sims *simulators, dryRun, run models.WUGSyncLog) (demoReport, error) {
	inv := sims.netbox.Inventory()
	r := demoReport{
		NetBoxURL: sims.netboxURL, WUGURL: sims.wugURL,
		Devices: len(inv.Devices), Sites: len(inv.Sites), Regions: len(inv.Regions),
		DryRun: dryRun, Export: run, Planned: map[models.PlanAction]int{},
		Groups: sims.wug.Groups(),
	}
	var conn models.WUGConnection
	if err := svc.DB.WithContext(ctx).First(&conn, run.ConnectionID).Error; err != nil {
		return r, fmt.Errorf("read the demo connection: %w", err)
	}
	r.Statuses = conn.DeviceFilters.Merge(run.Filters).EffectiveStatuses()
	r.Writeback = writebackOf(conn, inv)
	r.OtherStatus = run.DevicesExcluded
	r.ExportsVMs, r.VMs = conn.ExportVirtualMachines, len(inv.VirtualMachines)
	var planned []models.PlanEntry
	if err := svc.DB.WithContext(ctx).Where("sync_log_id = ?", dryRun.ID).Find(&planned).Error; err != nil {
		return r, fmt.Errorf("read the dry run's plan: %w", err)
	}
	for _, e := range planned {
		r.Planned[e.Action]++
	}
	var entries []models.PlanEntry
	if err := svc.DB.WithContext(ctx).Where("sync_log_id = ?", run.ID).Order("netbox_device_id").Find(&entries).Error; err != nil {
		return r, fmt.Errorf("read the export's plan: %w", err)
	}
	r.Skipped, r.Conflicts = summarizeSkips(entries)
	r.ByStatus = excludedByStatus(entries)
	r.DeviceRun, r.VMRun = tallyByKind(entries)
	if r.ExportsVMs {
		r.OtherStatus, r.VMOtherStatus = r.DeviceRun.DevicesExcluded, r.VMRun.DevicesExcluded
	}
	for i, e := range entries {
		if e.Action == models.PlanCreate && e.Key().ObjectType == models.ObjectDevice && plainName.MatchString(e.DeviceName) {
			r.SampleDevice = &entries[i]
			break
		}
	}
	return r, nil
}

// tallyByKind counts the export's entries for devices and for VMs apart,
// as the run counts them all together.
func tallyByKind(entries []models.PlanEntry) (devices, vms models.WUGSyncLog) {
	var t [2]export.Tally
	for _, e := range entries {
		i := 0
		if e.Key().ObjectType == models.ObjectVirtualMachine {
			i = 1
		}
		if e.Excluded {
			t[i].Excluded++ // outside the total, as the run counts it
			continue
		}
		t[i].Add(e.Action, e.Outcome, 1, false)
	}
	run := func(t export.Tally) models.WUGSyncLog {
		return models.WUGSyncLog{DevicesTotal: t.Total, DevicesCreated: t.Created, DevicesUpdated: t.Updated,
			DevicesUnchanged: t.Unchanged, DevicesSkipped: t.Skipped, DevicesFailed: t.Failed, DevicesExcluded: t.Excluded}
	}
	return run(t[0]), run(t[1])
}

// plainName matches device names that need no quoting in a shell or JSON.
var plainName = regexp.MustCompile(`^[A-Za-z0-9._-]+$`)

// summarizeSkips counts skipped devices by reason category and lists the IP
// conflicts, each address once with every device that claims it.
func summarizeSkips(entries []models.PlanEntry) ([]reasonCount, []ipConflict) {
	counts := map[string]int{}
	claims := map[string][]string{}
	for _, e := range entries {
		if e.Action != models.PlanSkip || e.Excluded {
			continue // status exclusions are accounted for on their own
		}
		category := skipCategory(e.Reason)
		counts[category]++
		if category == conflictCategory {
			claims[e.IPAddress] = append(claims[e.IPAddress], fmt.Sprintf("%s (#%d)", e.DeviceName, e.NetBoxDeviceID))
		}
	}
	skipped := sortedCounts(counts)
	var conflicts []ipConflict
	for ip, devices := range claims {
		conflicts = append(conflicts, ipConflict{IP: ip, Devices: devices})
	}
	slices.SortFunc(conflicts, func(a, b ipConflict) int { return strings.Compare(a.IP, b.IP) })
	return skipped, conflicts
}

// sortedCounts lists counts, largest first, then by reason.
func sortedCounts(counts map[string]int) []reasonCount {
	var out []reasonCount
	for reason, n := range counts {
		out = append(out, reasonCount{reason, n})
	}
	slices.SortFunc(out, func(a, b reasonCount) int {
		return cmp.Or(b.Count-a.Count, strings.Compare(a.Reason, b.Reason))
	})
	return out
}

// excludedStatus finds the status an exclusion's reason names.
var excludedStatus = regexp.MustCompile(`status "([^"]*)"`)

// excludedByStatus counts the devices the export left out for their status,
// by status, from their plan entries' reasons.
func excludedByStatus(entries []models.PlanEntry) []reasonCount {
	counts := map[string]int{}
	for _, e := range entries {
		if !e.Excluded {
			continue
		}
		status := "unknown"
		if m := excludedStatus.FindStringSubmatch(e.Reason); m != nil {
			status = m[1]
		}
		counts[status]++
	}
	return sortedCounts(counts)
}

// conflictCategory is the category of a device skipped for an IP conflict.
const conflictCategory = "IP conflict"

// mapDevicePrefix is how the planner prefixes mapping errors ("map device 12: …").
var mapDevicePrefix = regexp.MustCompile(`^map device \d+: `)

// skipCategory reduces a skip reason to its kind, dropping the device's own
// details, so skips can be counted: "no primary IP", "IP rejected:
// loopback", "not selected: status".
func skipCategory(reason string) string {
	switch {
	case strings.HasPrefix(reason, conflictCategory):
		return conflictCategory
	case strings.Contains(reason, export.ErrNoPrimaryIP.Error()):
		return "no primary IP"
	case strings.Contains(reason, export.ErrIncompleteDevice.Error()):
		return "incomplete NetBox data"
	case strings.HasPrefix(reason, "not selected: "):
		filter, _, _ := strings.Cut(strings.TrimPrefix(reason, "not selected: "), " ")
		return "not selected: " + filter
	}
	if _, why, found := strings.Cut(reason, " rejected: "); found {
		return "IP rejected: " + why
	}
	return mapDevicePrefix.ReplaceAllString(reason, "")
}

// accountLine accounts for every NetBox device after an export: "500
// devices: 416 created, 34 skipped, 50 not active (not exported)". Counts
// that are zero are left out, except created and skipped; devices the run
// did not reach (it failed) are counted as such, so the parts always add
// up to the total.
func accountLine(devices int, run models.WUGSyncLog, otherStatus int, statuses []string) string {
	return accountLineOf("devices", devices, run, otherStatus, statuses)
}

// accountLineOf is accountLine for objects called noun ("virtual
// machines").
func accountLineOf(noun string, devices int, run models.WUGSyncLog, otherStatus int, statuses []string) string {
	parts := []string{fmt.Sprintf("%d created", run.DevicesCreated)}
	for _, p := range []struct {
		n    int
		what string
	}{{run.DevicesUpdated, "updated"}, {run.DevicesUnchanged, "unchanged"}} {
		if p.n > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", p.n, p.what))
		}
	}
	parts = append(parts, fmt.Sprintf("%d skipped", run.DevicesSkipped))
	if run.DevicesFailed > 0 {
		parts = append(parts, fmt.Sprintf("%d failed", run.DevicesFailed))
	}
	if otherStatus > 0 {
		what := "not active"
		if len(statuses) != 1 || !strings.EqualFold(statuses[0], "active") {
			what = "with another status than " + strings.Join(statuses, ", ")
		}
		parts = append(parts, fmt.Sprintf("%d %s (not exported)", otherStatus, what))
	}
	counted := run.DevicesCreated + run.DevicesUpdated + run.DevicesUnchanged + run.DevicesSkipped + run.DevicesFailed + otherStatus
	if rest := devices - counted; rest > 0 {
		parts = append(parts, fmt.Sprintf("%d not reached by the run", rest))
	}
	return fmt.Sprintf("%d %s: %s", devices, noun, strings.Join(parts, ", "))
}

func (r demoReport) write(w io.Writer) {
	fmt.Fprintf(w, "\nNetBox simulator  %s/api/  (%d devices in %d sites across %d regions)\n", r.NetBoxURL, r.Devices, r.Sites, r.Regions)
	fmt.Fprintf(w, "WUG simulator     %s  (user %s, password %s)\n", r.WUGURL, wugsim.DefaultUsername, wugsim.DefaultPassword)
	if r.Redis != nil && r.Redis.Embedded() {
		fmt.Fprintf(w, "Redis             %s (keeps nothing after exit)\n", r.Redis.Description)
	}
	if r.TempDatabase != "" {
		fmt.Fprintf(w, "Database          SQLite %s (removed at exit)\n", r.TempDatabase)
	}

	fmt.Fprintf(w, "\nDry run #%d: %d to create, %d to update, %d unchanged, %d to skip (nothing sent to WUG)\n",
		r.DryRun.ID, r.Planned[models.PlanCreate], r.Planned[models.PlanUpdate], r.Planned[models.PlanUnchanged], r.Planned[models.PlanSkip])
	e := r.Export
	duration := ""
	if e.StartedAt != nil && e.EndedAt != nil {
		duration = " in " + e.EndedAt.Sub(*e.StartedAt).Round(time.Millisecond).String()
	}
	fmt.Fprintf(w, "Export  #%d %s%s: %d created, %d updated, %d unchanged, %d skipped, %d failed\n",
		e.ID, e.Status, duration, e.DevicesCreated, e.DevicesUpdated, e.DevicesUnchanged, e.DevicesSkipped, e.DevicesFailed)
	if e.ErrorMessage != "" {
		fmt.Fprintf(w, "  error: %s\n", e.ErrorMessage)
	}
	if !r.ExportsVMs {
		fmt.Fprintf(w, "\n%s\n", accountLine(r.Devices, e, r.OtherStatus, r.Statuses))
	} else {
		fmt.Fprintf(w, "\n%s\n", accountLine(r.Devices, r.DeviceRun, r.OtherStatus, r.Statuses))
		fmt.Fprintf(w, "%s\n", accountLineOf("virtual machines", r.VMs, r.VMRun, r.VMOtherStatus, r.Statuses))
	}
	r.Writeback.write(w)

	if len(r.Skipped) > 0 {
		fmt.Fprintln(w, "\nSkipped, by reason:")
		writeCounts(w, r.Skipped)
	}
	if len(r.ByStatus) > 0 {
		fmt.Fprintf(w, "\nNot exported for their status (each has a skipped row naming it; the connection exports %s):\n",
			strings.Join(r.Statuses, ", "))
		writeCounts(w, r.ByStatus)
	}
	if len(r.Conflicts) > 0 {
		fmt.Fprintln(w, "\nIP conflicts (one primary IP on several NetBox devices; none of them is exported):")
		for _, c := range r.Conflicts {
			fmt.Fprintf(w, "  %-16s %s\n", c.IP, strings.Join(c.Devices, ", "))
		}
	}
	fmt.Fprintln(w, "\nWUG group tree (devices in each group):")
	writeGroupTree(w, r.Groups)
}

// writeGroupTree prints the groups as an indented tree, children sorted by
// name, each with its number of devices.
func writeGroupTree(w io.Writer, groups []wugsim.Group) {
	children := map[string][]wugsim.Group{}
	for _, g := range groups {
		children[g.ParentID] = append(children[g.ParentID], g)
	}
	for _, list := range children {
		slices.SortFunc(list, func(a, b wugsim.Group) int { return strings.Compare(a.Name, b.Name) })
	}
	var walk func(parent string, depth int)
	walk = func(parent string, depth int) {
		for _, g := range children[parent] {
			fmt.Fprintf(w, "  %s%s (%d)\n", strings.Repeat("  ", depth), g.Name, len(g.DeviceIDs))
			walk(g.ID, depth+1)
		}
	}
	walk("", 0)
}

// demoNextSteps is what a person can do with the running demo.
type demoNextSteps struct {
	APIURL, APIToken  string
	TokenGenerated    bool
	NetBoxURL, WUGURL string
	Device            *models.PlanEntry
	Once              bool
}

func writeDemoNextSteps(w io.Writer, s demoNextSteps) {
	fmt.Fprintf(w, "\nDashboard:   %s%s  (sign in with the API token)\n", s.APIURL, dashboardPath)
	fmt.Fprintf(w, "Queues:      %s/monitoring/\n", s.APIURL)
	if s.TokenGenerated {
		fmt.Fprintf(w, "API token:   %s  (generated for this run)\n", s.APIToken)
	} else {
		fmt.Fprintln(w, "API token:   the one in WUGSYNC_API_TOKEN")
	}
	if s.Once {
		return
	}
	if s.Device != nil {
		newName := s.Device.DeviceName + "-renamed"
		fmt.Fprintf(w, "\nRename a device in the simulated NetBox; its webhook reaches wugsync and WUG follows within seconds:\n")
		fmt.Fprintf(w, "  curl -s -X PATCH -H 'Authorization: Token %s' -H 'Content-Type: application/json' -d '{\"name\": \"%s\"}' %s/api/dcim/devices/%d/\n",
			netboxsim.DefaultToken, newName, s.NetBoxURL, s.Device.NetBoxDeviceID)
		fmt.Fprintf(w, "Then find it in the simulated WUG:\n")
		fmt.Fprintf(w, "  curl -s %s/_sim/devices | grep -o '\"name\":\"%s\"'\n", s.WUGURL, newName)
	}
	fmt.Fprintln(w, "\nServing until Ctrl-C.")
}

// writeCounts prints reason counts as an aligned two-column list.
func writeCounts(w io.Writer, counts []reasonCount) {
	width := 0
	for _, c := range counts {
		width = max(width, len(c.Reason)+1)
	}
	for _, c := range counts {
		fmt.Fprintf(w, "  %-*s %5d\n", width, c.Reason+":", c.Count)
	}
}
