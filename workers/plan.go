package workers

import (
	"context"
	"encoding/json"
	"fmt"
	"net/netip"
	"sort"
	"strings"
	"unicode/utf8"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/wugsync/wugsync/export"
	"github.com/wugsync/wugsync/models"
	"github.com/wugsync/wugsync/netbox"
	"github.com/wugsync/wugsync/wug"
)

// planPageSize is how many NetBox devices are decided and written together;
// memory per run stays bounded by it plus a few bytes per device.
const planPageSize = 500

// planScope limits a plan to some NetBox devices (a webhook or API sync of
// one device); nil deviceIDs plans the connection's whole selection.
type planScope struct {
	deviceIDs []int
}

func (s planScope) full() bool { return s.deviceIDs == nil }

// planner decides, for every device of a run, create / update / unchanged
// / skip / decommission, and stores the decisions as plan entries. It reads
// NetBox, the database and (for adoption only) WUG; it never writes to WUG.
type planner struct {
	w       *Worker
	run     *models.WUGSyncLog
	conn    models.WUGConnection
	client  *wug.Client
	filters models.DeviceFilters
	regions map[int]string // NetBox site id → region name, when the group template needs it

	conflicts *export.ConflictTracker
	// firstName is the name of the first device holding each address, for
	// the conflict message of a later one.
	firstName map[netip.Addr]string
	seen      map[int64]struct{}
	creates   []plannedCreate
}

type plannedCreate struct {
	deviceID int64
	addr     netip.Addr
}

func (w *Worker) newPlanner(ctx context.Context, run *models.WUGSyncLog, conn models.WUGConnection, client *wug.Client) (*planner, error) {
	p := &planner{
		w: w, run: run, conn: conn, client: client,
		filters:   conn.DeviceFilters.Merge(run.Filters),
		conflicts: export.NewConflictTracker(0),
		firstName: map[netip.Addr]string{},
		seen:      map[int64]struct{}{},
	}
	regions, err := w.siteRegions(ctx, conn.GroupTemplate)
	if err != nil {
		return nil, err
	}
	p.regions = regions
	return p, nil
}

// siteRegions returns the NetBox site → region map when the group template
// uses {region} (a device's nested site carries no region). The map is
// read once per minute per process, not once per batch.
func (w *Worker) siteRegions(ctx context.Context, groupTemplate string) (map[int]string, error) {
	gt, err := export.ParseGroupTemplate(groupTemplate)
	if err != nil || !gt.NeedsRegion() {
		return nil, nil // a bad template fails each device's mapping, with its reason
	}
	w.regions.mu.Lock()
	defer w.regions.mu.Unlock()
	if w.regions.bySite != nil && w.now().Sub(w.regions.fetched) < groupCacheTTL {
		return w.regions.bySite, nil
	}
	sites, err := w.p.NetBox.ListSites(ctx)
	if err != nil {
		return nil, fmt.Errorf("list netbox sites for {region}: %w", err)
	}
	out := make(map[int]string, len(sites))
	for _, s := range sites {
		if s.Region != nil {
			out[s.ID] = s.Region.Name
		}
	}
	w.regions.bySite, w.regions.fetched = out, w.now()
	return out, nil
}

func (p *planner) mapOptions(d netbox.Device) export.MapOptions {
	return p.w.mapOptions(p.conn, p.regions, d)
}

// mapOptions is how every code path maps a device for a connection, so a
// run, a batch and a webhook sync all compute the same template and hash.
func (w *Worker) mapOptions(conn models.WUGConnection, regions map[int]string, d netbox.Device) export.MapOptions {
	return export.MapOptions{
		GroupTemplate: conn.GroupTemplate,
		Site:          export.SiteInfo{Region: regions[d.Site.ID]},
		NetBoxURL:     w.p.NetBox.Server(),
		RoleRules:     conn.RoleRules,
	}
}

func (p *planner) netboxFilter(scope planScope) netbox.DeviceFilter {
	q := export.NetBoxQuery(p.filters)
	q.IDs = scope.deviceIDs
	return q
}

// build plans the scope and commits the plan: entries, batch numbers,
// counters and planned_at.
func (p *planner) build(ctx context.Context, scope planScope) error {
	db := p.w.p.DB.WithContext(ctx)
	if err := db.Where("sync_log_id = ?", p.run.ID).Delete(&models.PlanEntry{}).Error; err != nil {
		return fmt.Errorf("clear earlier partial plan: %w", err)
	}
	page := make([]netbox.Device, 0, planPageSize)
	for d, err := range p.w.p.NetBox.Devices(ctx, p.netboxFilter(scope)) {
		if err != nil {
			return fmt.Errorf("list netbox devices: %w", err)
		}
		page = append(page, d)
		if len(page) == planPageSize {
			if err := p.planPage(ctx, page); err != nil {
				return err
			}
			page = page[:0]
		}
	}
	if err := p.planPage(ctx, page); err != nil {
		return err
	}
	if err := p.planDecommissions(ctx, scope); err != nil {
		return err
	}
	if err := p.resolveAdoptions(ctx); err != nil {
		return err
	}
	return p.commit(ctx)
}

func (p *planner) planPage(ctx context.Context, devices []netbox.Device) error {
	if len(devices) == 0 {
		return nil
	}
	rows, err := p.w.rowsByDevice(ctx, p.conn.ID, deviceIDs(devices))
	if err != nil {
		return err
	}
	entries := make([]*models.PlanEntry, 0, len(devices))
	byDevice := map[int64]*models.PlanEntry{}
	for _, d := range devices {
		id := int64(d.ID)
		p.seen[id] = struct{}{}
		row := rows[id]
		entry := &models.PlanEntry{
			SyncLogID: p.run.ID, ConnectionID: p.conn.ID, NetBoxDeviceID: id,
			DeviceName: d.DisplayName(),
		}
		if row != nil {
			entry.WUGDeviceID = row.WUGDeviceID
		}
		entries = append(entries, entry)
		byDevice[id] = entry

		if ok, reason := export.Eligible(d, p.filters); !ok {
			p.decideOutOfSelection(entry, row, reason)
			continue
		}
		mapped, err := export.Map(d, p.mapOptions(d))
		if err != nil {
			entry.Action, entry.Reason = models.PlanSkip, err.Error()
			entry.IPAddress = primaryText(d)
			continue
		}
		entry.IPAddress = mapped.Address.String()
		if otherID, dup := p.conflicts.Add(d.ID, mapped.Address); dup {
			entry.Action = models.PlanSkip
			entry.Reason = fmt.Sprintf("IP conflict: %s is also the primary IP of NetBox device %d (%s)", entry.IPAddress, otherID, p.firstName[mapped.Address])
			reason := fmt.Sprintf("IP conflict: %s is also the primary IP of NetBox device %d (%s)", entry.IPAddress, id, entry.DeviceName)
			if e, here := byDevice[int64(otherID)]; here {
				if e.Action != models.PlanSkip {
					e.Action, e.Reason, e.Diff = models.PlanSkip, reason, nil
				}
			} else if err := p.markConflict(ctx, int64(otherID), reason); err != nil {
				return err
			}
			continue
		}
		p.firstName[mapped.Address] = entry.DeviceName
		p.decide(entry, row, mapped)
	}
	// A device conflicting with one planned earlier on this page was
	// decided before its conflict was known: drop it from the create list.
	p.creates = dropSkipped(p.creates, byDevice)
	if err := p.w.p.DB.WithContext(ctx).CreateInBatches(entries, 200).Error; err != nil {
		return fmt.Errorf("store plan entries: %w", err)
	}
	if p.run.DryRun {
		return nil
	}
	return p.w.recordPlannedRows(ctx, p.run, entries, rows)
}

func dropSkipped(creates []plannedCreate, byDevice map[int64]*models.PlanEntry) []plannedCreate {
	out := creates[:0]
	for _, c := range creates {
		if e, ok := byDevice[c.deviceID]; ok && e.Action != models.PlanCreate {
			continue
		}
		out = append(out, c)
	}
	return out
}

// decide compares the mapped device with what was last exported.
func (p *planner) decide(entry *models.PlanEntry, row *models.NetBoxIPExport, mapped export.Mapped) {
	switch {
	case row == nil || row.WUGDeviceID == "":
		entry.Action, entry.Reason = models.PlanCreate, "new device"
		if row != nil && row.CreateAttemptedAt != nil {
			entry.Reason = "new device (an earlier create may have reached WUG; it is looked up first)"
		}
		p.creates = append(p.creates, plannedCreate{deviceID: entry.NetBoxDeviceID, addr: mapped.Address})
	case row.ExportStatus == models.ExportScanTriggered:
		entry.Action, entry.Reason = models.PlanUnchanged, "waiting for discovery scan "+row.WUGScanID
	case row.ExportStatus == models.ExportDecommissioned:
		entry.Action, entry.Reason = models.PlanUpdate, "back in the selection: leaves maintenance"
		entry.Diff = diffJSON(storedFields(row), mapped.Fields)
	case row.PayloadHash == mapped.Fields.Hash() &&
		(row.ExportStatus == models.ExportExported || row.ExportStatus == models.ExportScanCompleted):
		entry.Action, entry.Reason = models.PlanUnchanged, "no change since the last export"
	default:
		old := storedFields(row)
		changes := export.Diff(old, mapped.Fields)
		entry.Action = models.PlanUpdate
		entry.Diff = diffJSON(old, mapped.Fields)
		switch {
		case row.ExportStatus == models.ExportError:
			entry.Reason = "retry after error: " + truncateText(row.ErrorMessage, 200)
		case len(changes) == 0:
			entry.Reason = "re-apply: the last export did not finish"
		default:
			entry.Reason = "changed: " + changedFields(changes)
		}
	}
}

// decideOutOfSelection handles a device NetBox returned that the
// connection's filters exclude (possible for webhook syncs of one device).
func (p *planner) decideOutOfSelection(entry *models.PlanEntry, row *models.NetBoxIPExport, reason string) {
	if row != nil && row.WUGDeviceID != "" && row.ExportStatus != models.ExportDecommissioned {
		entry.Action, entry.Reason = models.PlanDecommission, "left the selection: "+reason
		entry.IPAddress = row.IPAddress
		return
	}
	entry.Action, entry.Reason = models.PlanSkip, "not selected: "+reason
}

// markConflict turns the already-stored entry of an earlier page into a
// conflict skip.
func (p *planner) markConflict(ctx context.Context, deviceID int64, reason string) error {
	err := p.w.p.DB.WithContext(ctx).Model(&models.PlanEntry{}).
		Where("sync_log_id = ? AND netbox_device_id = ? AND action <> ?", p.run.ID, deviceID, models.PlanSkip).
		Updates(map[string]any{"action": models.PlanSkip, "reason": reason, "diff": nil}).Error
	if err != nil {
		return fmt.Errorf("mark IP conflict on device %d: %w", deviceID, err)
	}
	for i, c := range p.creates {
		if c.deviceID == deviceID {
			p.creates = append(p.creates[:i], p.creates[i+1:]...)
			break
		}
	}
	if p.run.DryRun {
		return nil
	}
	return p.w.markRowsSkipped(ctx, p.conn.ID, p.run.ID, map[int64]string{deviceID: reason})
}

// planDecommissions adds the linked devices that left the selection. Only
// a full, unfiltered run may conclude that a device left: a run narrowed by
// its own filters has not looked at the others.
func (p *planner) planDecommissions(ctx context.Context, scope planScope) error {
	if scope.full() && !filtersEmpty(p.run.Filters) {
		return nil
	}
	q := p.w.p.DB.WithContext(ctx).Model(&models.NetBoxIPExport{}).
		Where("connection_id = ? AND wug_device_id <> '' AND export_status <> ?", p.conn.ID, models.ExportDecommissioned)
	if !scope.full() {
		ids := make([]int64, len(scope.deviceIDs))
		for i, id := range scope.deviceIDs {
			ids[i] = int64(id)
		}
		q = q.Where("netbox_device_id IN ?", ids)
	}
	var gone []*models.PlanEntry
	var rows []models.NetBoxIPExport
	err := q.FindInBatches(&rows, 1000, func(tx *gorm.DB, _ int) error {
		for _, r := range rows {
			if _, ok := p.seen[r.NetBoxDeviceID]; ok {
				continue
			}
			gone = append(gone, &models.PlanEntry{
				SyncLogID: p.run.ID, ConnectionID: p.conn.ID, NetBoxDeviceID: r.NetBoxDeviceID,
				DeviceName: r.NetBoxDeviceName, IPAddress: r.IPAddress, WUGDeviceID: r.WUGDeviceID,
				Action: models.PlanDecommission, Reason: "deleted in NetBox or left the selection",
			})
		}
		return nil
	}).Error
	if err != nil {
		return fmt.Errorf("find devices that left the selection: %w", err)
	}
	if len(gone) == 0 {
		return nil
	}
	if err := p.w.p.DB.WithContext(ctx).CreateInBatches(gone, 200).Error; err != nil {
		return fmt.Errorf("store decommission entries: %w", err)
	}
	return nil
}

// resolveAdoptions looks for new devices that already exist in WUG (added
// by hand or by another tool), so they are adopted and updated instead of
// duplicated. Many new devices: one paged read of WUG's device list. A few:
// one exact-IP search each.
func (p *planner) resolveAdoptions(ctx context.Context) error {
	if len(p.creates) == 0 {
		return nil
	}
	linked, err := p.w.linkedWUGDevices(ctx, p.conn.ID)
	if err != nil {
		return err
	}
	matches := map[int64]string{}
	if len(p.creates) >= p.w.p.AdoptListThreshold {
		byAddr, err := retryRead(ctx, func(ctx context.Context) (map[netip.Addr]string, error) {
			byAddr := map[netip.Addr]string{}
			err := p.client.ListDevices(ctx, wug.RootGroupID, func(page []wug.DeviceOverview) error {
				for _, d := range page {
					addr, err := netip.ParseAddr(strings.TrimSpace(d.NetworkAddress))
					if err != nil || linked[d.ID] {
						continue
					}
					if cur, ok := byAddr[addr.Unmap()]; !ok || lessID(d.ID, cur) {
						byAddr[addr.Unmap()] = d.ID
					}
				}
				return nil
			})
			return byAddr, err
		})
		if err != nil {
			return fmt.Errorf("read WUG device list for adoption: %w", err)
		}
		for _, c := range p.creates {
			if id, ok := byAddr[c.addr]; ok {
				matches[c.deviceID] = id
				linked[id] = true
			}
		}
	} else {
		for _, c := range p.creates {
			found, err := retryRead(ctx, func(ctx context.Context) ([]wug.DeviceOverview, error) {
				return p.client.FindDevicesByIP(ctx, c.addr.String())
			})
			if err != nil {
				return fmt.Errorf("look up %s in WUG: %w", c.addr, err)
			}
			if id := oldestUnlinked(found, linked); id != "" {
				matches[c.deviceID] = id
				linked[id] = true
			}
		}
	}
	for deviceID, wugID := range matches {
		err := p.w.p.DB.WithContext(ctx).Model(&models.PlanEntry{}).
			Where("sync_log_id = ? AND netbox_device_id = ?", p.run.ID, deviceID).
			Updates(map[string]any{"action": models.PlanUpdate, "wug_device_id": wugID,
				"reason": "adopt WUG device " + wugID + ": it already monitors this IP"}).Error
		if err != nil {
			return fmt.Errorf("record adoption of WUG device %s: %w", wugID, err)
		}
	}
	return nil
}

func oldestUnlinked(found []wug.DeviceOverview, linked map[string]bool) string {
	best := ""
	for _, d := range found {
		if linked[d.ID] {
			continue
		}
		if best == "" || lessID(d.ID, best) {
			best = d.ID
		}
	}
	return best
}

// commit numbers the batches in device order, stores the counters and
// marks the plan complete. A dry run, or a run with nothing to write, ends
// here.
func (p *planner) commit(ctx context.Context) error {
	db := p.w.p.DB.WithContext(ctx)
	size := max(1, min(p.conn.BatchSize, models.MaxBatchSize))
	// UPDATE … FROM numbers every entry in one pass on both databases; a
	// correlated subquery would recompute the numbering per row.
	err := db.Exec(`UPDATE sync_plan_entries SET batch = numbered.b
		FROM (SELECT id, (ROW_NUMBER() OVER (ORDER BY netbox_device_id) - 1) / ? + 1 AS b
		      FROM sync_plan_entries WHERE sync_log_id = ? AND action IN ?) AS numbered
		WHERE sync_plan_entries.id = numbered.id`,
		size, p.run.ID, writeActions).Error
	if err != nil {
		return fmt.Errorf("number plan batches: %w", err)
	}
	var batches int
	if err := db.Model(&models.PlanEntry{}).Where("sync_log_id = ?", p.run.ID).
		Select("COALESCE(MAX(batch), 0)").Scan(&batches).Error; err != nil {
		return fmt.Errorf("count plan batches: %w", err)
	}
	// Every batch starts with a tally row of its pending entries, so the
	// run's sums are complete before any batch has run.
	if err := db.Where("sync_log_id = ?", p.run.ID).Delete(&models.RunBatch{}).Error; err != nil {
		return fmt.Errorf("clear batch tallies: %w", err)
	}
	err = db.Exec(`INSERT INTO sync_run_batches (sync_log_id, batch, pending, updated_at)
		SELECT sync_log_id, batch, COUNT(*), ? FROM sync_plan_entries
		WHERE sync_log_id = ? AND batch > 0 GROUP BY sync_log_id, batch`, p.w.now(), p.run.ID).Error
	if err != nil {
		return fmt.Errorf("create batch tallies: %w", err)
	}
	if err := p.w.commitPlanCounts(ctx, p.run); err != nil {
		return err
	}
	now := p.w.now()
	if err := db.Model(p.run).Updates(map[string]any{"planned_at": now, "batches_total": batches}).Error; err != nil {
		return fmt.Errorf("mark run planned: %w", err)
	}
	p.run.PlannedAt, p.run.BatchesTotal = &now, batches
	return nil
}

// writeActions are the plan actions a batch applies to WUG.
var writeActions = []models.PlanAction{models.PlanCreate, models.PlanUpdate, models.PlanDecommission}

func filtersEmpty(f models.DeviceFilters) bool {
	return len(f.Sites)+len(f.Roles)+len(f.Tags)+len(f.Statuses)+len(f.Platforms)+len(f.Tenants) == 0
}

func deviceIDs(devices []netbox.Device) []int64 {
	ids := make([]int64, len(devices))
	for i, d := range devices {
		ids[i] = int64(d.ID)
	}
	return ids
}

func primaryText(d netbox.Device) string {
	for _, ip := range []*netbox.IPRef{d.PrimaryIP4, d.PrimaryIP6, d.PrimaryIP} {
		if ip != nil {
			return ip.Host()
		}
	}
	return ""
}

func storedFields(row *models.NetBoxIPExport) export.Fields {
	var f export.Fields
	if row != nil && row.ExportedFields != "" {
		_ = json.Unmarshal([]byte(row.ExportedFields), &f) // unreadable history: treat as never exported
	}
	return f
}

func diffJSON(old, new export.Fields) json.RawMessage {
	changes := export.Diff(old, new)
	if len(changes) == 0 {
		return nil
	}
	b, err := json.Marshal(changes)
	if err != nil {
		return nil
	}
	return b
}

func changedFields(changes []export.Change) string {
	seen := map[string]bool{}
	var names []string
	for _, c := range changes {
		name := c.Field
		if strings.HasPrefix(name, "attributes.") {
			name = "attributes"
		}
		if !seen[name] {
			seen[name] = true
			names = append(names, name)
		}
	}
	sort.Strings(names)
	return strings.Join(names, ", ")
}

// truncateText shortens s to at most n bytes without splitting a rune.
func truncateText(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}

// rowsByDevice loads the export rows of some devices on one connection.
func (w *Worker) rowsByDevice(ctx context.Context, connID uint, ids []int64) (map[int64]*models.NetBoxIPExport, error) {
	out := make(map[int64]*models.NetBoxIPExport, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	var rows []*models.NetBoxIPExport
	if err := w.p.DB.WithContext(ctx).Where("connection_id = ? AND netbox_device_id IN ?", connID, ids).
		Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("load export rows: %w", err)
	}
	for _, r := range rows {
		out[r.NetBoxDeviceID] = r
	}
	return out, nil
}

// linkedWUGDevices is the set of WUG device ids already linked to a NetBox
// device on this connection; adoption never steals one of them.
func (w *Worker) linkedWUGDevices(ctx context.Context, connID uint) (map[string]bool, error) {
	var ids []string
	if err := w.p.DB.WithContext(ctx).Model(&models.NetBoxIPExport{}).
		Where("connection_id = ? AND wug_device_id <> ''", connID).Pluck("wug_device_id", &ids).Error; err != nil {
		return nil, fmt.Errorf("load linked WUG devices: %w", err)
	}
	out := make(map[string]bool, len(ids))
	for _, id := range ids {
		out[id] = true
	}
	return out, nil
}

// recordPlannedRows writes what planning learnt to the export rows: a
// skipped device gets its reason, a new one a pending row.
func (w *Worker) recordPlannedRows(ctx context.Context, run *models.WUGSyncLog, entries []*models.PlanEntry, rows map[int64]*models.NetBoxIPExport) error {
	skipped := map[int64]string{}
	var pending []models.NetBoxIPExport
	for _, e := range entries {
		switch e.Action {
		case models.PlanSkip:
			skipped[e.NetBoxDeviceID] = e.Reason
		case models.PlanCreate:
			if rows[e.NetBoxDeviceID] == nil {
				pending = append(pending, models.NetBoxIPExport{
					ConnectionID: run.ConnectionID, NetBoxDeviceID: e.NetBoxDeviceID,
					NetBoxDeviceName: e.DeviceName, IPAddress: e.IPAddress,
					ExportReason: reasonForTrigger(run.Trigger, true), ExportStatus: models.ExportPending,
					LastRunID: &run.ID,
				})
			}
		}
	}
	if len(pending) > 0 {
		err := w.p.DB.WithContext(ctx).Clauses(clause.OnConflict{DoNothing: true}).CreateInBatches(pending, 200).Error
		if err != nil {
			return fmt.Errorf("record pending rows: %w", err)
		}
	}
	names := map[int64][2]string{}
	for _, e := range entries {
		names[e.NetBoxDeviceID] = [2]string{e.DeviceName, e.IPAddress}
	}
	return w.markRowsSkippedNamed(ctx, run.ConnectionID, run.ID, skipped, names)
}

func (w *Worker) markRowsSkipped(ctx context.Context, connID, runID uint, reasons map[int64]string) error {
	return w.markRowsSkippedNamed(ctx, connID, runID, reasons, nil)
}

// markRowsSkippedNamed upserts skipped rows. A skipped device keeps its WUG
// link: skipping is not a decommission.
func (w *Worker) markRowsSkippedNamed(ctx context.Context, connID, runID uint, reasons map[int64]string, names map[int64][2]string) error {
	if len(reasons) == 0 {
		return nil
	}
	now := w.now()
	// A row first seen skipped names what touched it: a person's export is
	// not "scheduled".
	var triggers []models.Trigger
	if err := w.p.DB.WithContext(ctx).Model(&models.WUGSyncLog{}).Where("id = ?", runID).Pluck("trigger", &triggers).Error; err != nil {
		return fmt.Errorf("read the trigger of run %d: %w", runID, err)
	}
	trigger := models.TriggerManual
	if len(triggers) == 1 {
		trigger = triggers[0]
	}
	rows := make([]models.NetBoxIPExport, 0, len(reasons))
	for id, reason := range reasons {
		run := runID
		row := models.NetBoxIPExport{
			ConnectionID: connID, NetBoxDeviceID: id, ExportReason: reasonForTrigger(trigger, false),
			ExportStatus: models.ExportSkipped, SkipReason: reason, SkippedAt: &now, LastRunID: &run,
		}
		if n, ok := names[id]; ok {
			row.NetBoxDeviceName, row.IPAddress = n[0], n[1]
		}
		rows = append(rows, row)
	}
	cols := []string{"export_status", "skip_reason", "skipped_at", "last_run_id", "updated_at"}
	if names != nil {
		cols = append(cols, "netbox_device_name", "ip_address")
	}
	err := w.p.DB.WithContext(ctx).Clauses(clause.OnConflict{
		Columns:   []clause.Column{{Name: "connection_id"}, {Name: "netbox_device_id"}},
		DoUpdates: clause.AssignmentColumns(cols),
	}).CreateInBatches(rows, 200).Error
	if err != nil {
		return fmt.Errorf("record skipped rows: %w", err)
	}
	return nil
}

// reasonForTrigger is the export_reason of a row touched by a run.
func reasonForTrigger(t models.Trigger, isNew bool) models.ExportReason {
	switch {
	case isNew:
		return models.ReasonNewDevice
	case t == models.TriggerScheduled:
		return models.ReasonScheduled
	case t == models.TriggerWebhook:
		return models.ReasonWebhook
	default:
		return models.ReasonManual
	}
}
