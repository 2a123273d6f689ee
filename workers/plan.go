package workers

import (
	"context"
	"encoding/json"
	"fmt"
	"iter"
	"net/netip"
	"sync"
	"time"

	"github.com/wugsync/wugsync/export"
	"github.com/wugsync/wugsync/models"
	"github.com/wugsync/wugsync/netbox"
	"github.com/wugsync/wugsync/wug"
)

// planPageSize is how many NetBox devices are decided and written together;
// memory per run stays bounded by it plus a few bytes per device.
const planPageSize = 500

// planScope limits a plan to some NetBox devices (a webhook or API sync of
// one device), or to some VMs when objectType says so; nil deviceIDs plans
// the connection's whole selection.
type planScope struct {
	deviceIDs []int64
	// objectType is the kind deviceIDs name; empty means devices.
	objectType models.ObjectType
	// incremental marks the scope of an incremental export: changed holds,
	// per type, the only objects it plans (plan_changes.go); a type with
	// none is not read at all.
	incremental bool
	changed     map[models.ObjectType][]int64
}

// covers reports whether the scope takes in objects of type t.
func (s planScope) covers(t models.ObjectType) bool {
	return s.full() || s.incremental || t == s.kind()
}

// ids are the objects of type t the scope names; nil in a full scope.
func (s planScope) ids(t models.ObjectType) []int64 {
	if s.incremental {
		return s.changed[t]
	}
	return s.deviceIDs
}

// empty reports an incremental scope with nothing to plan.
func (s planScope) empty() bool {
	if !s.incremental {
		return false
	}
	for _, ids := range s.changed {
		if len(ids) > 0 {
			return false
		}
	}
	return true
}

// kind is the object type deviceIDs name.
func (s planScope) kind() models.ObjectType {
	if s.objectType == "" {
		return models.ObjectDevice
	}
	return s.objectType
}

func (s planScope) full() bool { return s.deviceIDs == nil && !s.incremental }

// planner decides, for every device of a run, create / update / unchanged
// / skip / decommission, and stores the decisions as plan entries. It reads
// NetBox, the database and (for adoption only) WUG; it never writes to WUG.
type planner struct {
	w       *Worker
	run     *models.WUGSyncLog
	conn    models.WUGConnection
	client  *wug.Client
	filters models.DeviceFilters
	regions map[int64]string // NetBox site id → region name, when the group template needs it

	// primaries holds every primary address of the exported statuses
	// across NetBox, whatever the other filters (plan_primaries.go).
	primaries *primaryIndex
	// conflicts and seen grow with the run: both compact (plan_primaries.go).
	conflicts *addressClaims
	seen      *objectSet
	// creates are the planned creates adoption has not checked yet: one
	// page's in a pipelined run.
	creates []plannedCreate
	// kept holds, in an applied run, the objects whose dry-run decision
	// was copied and exports an address: one a re-planned object now
	// shares must become a conflict skip too (applyPlan).
	kept map[export.ObjectRef]bool

	// linked and wugByAddr serve adoption across the pages of a run: the
	// WUG devices rows link, and (once enough creates call for it) WUG's
	// unlinked devices by address, each read once per run.
	linked    map[string]bool
	wugByAddr map[netip.Addr]string
	// wugHeld is what the list showed of the unlinked devices at those
	// addresses, by WUG id, for the adopted entries (export.Held).
	wugHeld     map[string]export.Held
	createsSeen int

	// listed, when set (a webhook drain), collects the objects the plan
	// read from NetBox, so the batch that follows in the same task writes
	// them without reading NetBox again.
	listed map[int64]export.Object
	// mode is how this run reads NetBox (full or incremental), recorded
	// with the NetBox time the next run may ask for changes from (clock).
	mode  models.RunMode
	clock *netbox.ServerClock

	// primariesMaxAge, when set (a webhook drain), is how old a cached
	// primary-address index the plan may use (drain_primaries.go).
	primariesMaxAge time.Duration

	// adoptList, when set, is WUG's device list being read for the
	// adoptions of a cold run's first page (firstPageWork).
	adoptList *wugDevices

	// newPaths are the group paths of the creates of the page being
	// planned; pageDone creates their missing groups before the page's
	// batches run (createPageGroups). bg counts those creates and the
	// cold run's tree read, which the planner waits for before it returns.
	newPaths [][]string
	bg       sync.WaitGroup

	// cold marks the first export of a connection (no earlier complete
	// one): it will write, so the WUG group tree is read while NetBox is
	// (readGroupTree).
	cold bool

	// pipe, in a full run that writes, numbers and enqueues each page's
	// batches as soon as the page is decided, so WUG writes start while
	// NetBox is still being read (plan_pipe.go).
	pipe *batchPipe
}

// batchPipe numbers a run's writing entries into batches as pages are
// decided: a batch fills across pages, holds one object type, and is
// enqueued when full (or when the plan ends).
type batchPipe struct {
	size int
	// last is the number of the batch being filled; fill its entries.
	last     int
	fill     int
	lastType models.ObjectType
	// queued is the last batch whose tally is stored and task enqueued.
	queued int
}

type plannedCreate struct {
	ref  export.ObjectRef
	addr netip.Addr
}

func (w *Worker) newPlanner(ctx context.Context, run *models.WUGSyncLog, conn models.WUGConnection, client *wug.Client) (*planner, error) {
	p := &planner{
		w: w, run: run, conn: conn, client: client,
		filters:   conn.DeviceFilters.Merge(run.Filters),
		conflicts: newAddressClaims(),
		seen:      newObjectSet(),
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
func (w *Worker) siteRegions(ctx context.Context, groupTemplate string) (map[int64]string, error) {
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
	out := make(map[int64]string, len(sites))
	for _, s := range sites {
		if s.Region != nil {
			out[s.ID] = s.Region.Name
		}
	}
	w.regions.bySite, w.regions.fetched = out, w.now()
	return out, nil
}

func (p *planner) mapOptions(d export.Object) export.MapOptions {
	return p.w.mapOptions(p.conn, p.regions, d)
}

// mapOptions is how every code path maps an object for a connection, so a
// run, a batch and a webhook sync all compute the same template and hash.
func (w *Worker) mapOptions(conn models.WUGConnection, regions map[int64]string, d export.Object) export.MapOptions {
	return export.MapOptions{
		GroupTemplate: conn.GroupTemplate,
		Site:          export.SiteInfo{Region: regions[d.Site.ID]},
		NetBoxURL:     w.p.NetBox.Server(),
		RoleRules:     conn.RoleRules,
	}
}

func (p *planner) netboxFilter(ctx context.Context, scope planScope) (netbox.DeviceFilter, error) {
	q := export.ExplainQuery(p.filters) // every status: see markExcluded
	q.IDs = scope.deviceIDs
	if len(q.Clusters) == 0 {
		return q, nil
	}
	// NetBox filters devices by cluster id only: names become ids, once
	// per run, for both kinds.
	clusters, err := p.w.p.NetBox.ListClusters(ctx)
	if err != nil {
		return q, fmt.Errorf("list netbox clusters for the clusters filter: %w", err)
	}
	return export.ResolveClusters(q, clusters)
}

// objects lists the scope's NetBox objects of one type under the query,
// as export Objects: devices, or VMs when the connection exports them.
func (p *planner) objects(ctx context.Context, t models.ObjectType, q netbox.DeviceFilter) iter.Seq2[export.Object, error] {
	if t == models.ObjectVirtualMachine {
		return objectsOf(p.w.p.NetBox.VirtualMachines(ctx, q), export.VMObject)
	}
	return objectsOf(p.w.p.NetBox.Devices(ctx, q), export.DeviceObject)
}

// objectsOf views a NetBox listing as export Objects.
func objectsOf[T any](seq iter.Seq2[T, error], view func(T) export.Object) iter.Seq2[export.Object, error] {
	return func(yield func(export.Object, error) bool) {
		for item, err := range seq {
			if err != nil {
				yield(export.Object{}, err)
				return
			}
			if !yield(view(item), nil) {
				return
			}
		}
	}
}

// objectTypes are the kinds a connection exports: devices, and VMs when
// export_virtual_machines is on.
func objectTypes(conn models.WUGConnection) []models.ObjectType {
	if conn.ExportVirtualMachines {
		return []models.ObjectType{models.ObjectDevice, models.ObjectVirtualMachine}
	}
	return []models.ObjectType{models.ObjectDevice}
}

// build plans the scope and commits the plan: entries, batch numbers,
// counters and planned_at.
func (p *planner) build(ctx context.Context, scope planScope) error {
	if err := p.w.store.ClearPlan(ctx, p.run.ID); err != nil {
		return err
	}
	q, err := p.netboxFilter(ctx, scope)
	if err != nil {
		return err
	}
	maxAge := groupCacheTTL // the runs of one device, which come by the hundred
	switch {
	case scope.full():
		maxAge = 0
	case p.primariesMaxAge > 0:
		maxAge = p.primariesMaxAge
	}
	type listing struct {
		t models.ObjectType
		q netbox.DeviceFilter
	}
	var listings []listing
	for _, t := range objectTypes(p.conn) {
		if !scope.covers(t) {
			continue
		}
		tq := q
		if scope.incremental {
			if tq.IDs = scope.ids(t); len(tq.IDs) == 0 {
				continue // nil IDs would list them all
			}
		}
		listings = append(listings, listing{t, tq})
	}
	// The first listing's first page, and in a cold run the WUG group
	// tree, the first page's groups and WUG's device list, are read while
	// the primaries are: none of them depends on the primaries, and one
	// after the other they put two NetBox pages and several WUG calls
	// before the first template call. Only the planning of a page waits
	// for the primaries, so the conflict check across NetBox still comes
	// before any object is decided.
	var first iter.Seq2[export.Object, error]
	defer p.bg.Wait() // after stop below: the tap of the listing may start a create
	cold := p.cold && !p.run.DryRun && !scope.empty()
	if len(listings) > 0 {
		seq := p.objects(ctx, listings[0].t, listings[0].q)
		if cold && scope.full() {
			seq = p.firstPageWork(ctx, seq)
		}
		var stop func()
		first, stop = startReadAhead(ctx, seq, planPageSize)
		defer stop()
	}
	if cold {
		p.readGroupTree(ctx)
	}
	// An incremental scope read the index already to find the objects its
	// changes touch (changeScope), and one with nothing to plan needs none.
	if p.primaries == nil && !scope.empty() {
		p.primaries, err = p.w.primaries(ctx, p.filters.EffectiveStatuses(), p.conn.ExportVirtualMachines, maxAge)
		if err != nil {
			return err
		}
	}
	if (scope.full() || scope.incremental) && !p.run.DryRun {
		// Only a full run that writes pipelines: a dry run enqueues
		// nothing, and the run of one object applies its batch itself.
		last, err := p.w.store.LastBatch(ctx, p.run.ID)
		if err != nil {
			return err
		}
		if last > 0 {
			// An earlier attempt enqueued batches: their numbers stay used
			// (their tasks may still run, on entries now gone).
			if err := p.w.store.ResetTallies(ctx, p.run.ID, p.w.now()); err != nil {
				return err
			}
		}
		p.pipe = &batchPipe{size: p.batchSize(), last: last, queued: last}
	}
	for i, l := range listings {
		seq := first
		if i > 0 {
			seq = readAhead(ctx, p.objects(ctx, l.t, l.q), planPageSize)
		}
		if err := p.planListing(ctx, l.t, seq); err != nil {
			return err
		}
	}
	if p.pipe != nil {
		// The last batch of creates and updates goes before decommissions
		// are planned, which reads every linked row (in a cold run of
		// 10,000 devices, a tenth of the run's time while that batch
		// waited); the decommissions fill batches of their own.
		if err := p.closeBatches(ctx, true); err != nil {
			return err
		}
	}
	if err := p.planDecommissions(ctx, scope); err != nil {
		return err
	}
	if err := p.resolveAdoptions(ctx); err != nil {
		return err
	}
	if err := p.recordMode(ctx); err != nil {
		return err
	}
	if p.pipe != nil {
		return p.commitPipelined(ctx)
	}
	return p.commit(ctx)
}

// readGroupTree starts reading the connection's WUG group tree (and
// taking the client's token) into the process's group cache, where the
// run's first batches find it instead of reading it after the plan's
// first page. build waits for the read before it returns; a failed read
// is left to the batches to repeat. The read is not cancelled: batches
// that miss the cache meanwhile share it (groupTree).
func (p *planner) readGroupTree(ctx context.Context) {
	p.bg.Add(1)
	go func() {
		defer p.bg.Done()
		_, _ = p.w.groupTree(ctx, p.conn, p.client)
	}()
}

// firstPageWork passes seq on, and once the first planPageSize objects
// went by (the plan's first page, read while the primaries are), starts
// in the background what a cold run's first batches wait for otherwise
// until the primaries, the page's plan and the batches' pick-up:
//
//   - creating the WUG groups of the objects that are exported and mapped
//     (when the connection creates groups): their levels take a WUG call
//     each, one after the other. Devices still wait for the conflict
//     check; only a group whose every device of the page turns out to
//     share its address with another NetBox object is made for nothing
//     (and stays, empty, as a group of that site would once the conflict
//     is settled).
//   - reading WUG's device list for adoption, when the page holds enough
//     new objects for the plan to read it (AdoptListThreshold): every
//     eligible object of a cold run is a create.
//
// The planner receives the page's objects after these start (through
// the read-ahead channel), so resolveAdoptions sees adoptList set.
func (p *planner) firstPageWork(ctx context.Context, seq iter.Seq2[export.Object, error]) iter.Seq2[export.Object, error] {
	return func(yield func(export.Object, error) bool) {
		var paths [][]string
		seen := map[string]bool{}
		n, eligible := 0, 0
		start := func() {
			if n < 0 {
				return
			}
			n = -1 // once
			if len(paths) > 0 && p.conn.CreateMissingGroups {
				p.bg.Add(1)
				go func() {
					defer p.bg.Done()
					_, _ = p.w.resolveGroups(ctx, p.conn, p.client, paths)
				}()
			}
			if eligible >= p.w.p.AdoptListThreshold {
				f := &wugDevices{done: make(chan struct{})}
				p.adoptList = f
				p.bg.Add(1)
				go func() {
					defer p.bg.Done()
					defer close(f.done)
					l, err := p.readWUGDevices(ctx)
					f.linked, f.held, f.byAddr, f.err = l.linked, l.held, l.byAddr, err
				}()
			}
		}
		defer start() // a listing shorter than a page
		for d, err := range seq {
			if err == nil && n >= 0 {
				if ok, _ := export.EligibleObject(d, p.filters); ok {
					if m, err := export.MapObject(d, p.mapOptions(d)); err == nil && len(m.Fields.GroupPath) > 0 {
						eligible++
						if k := pathKey(m.Fields.GroupPath); !seen[k] {
							seen[k] = true
							paths = append(paths, m.Fields.GroupPath)
						}
					}
				}
				if n++; n == planPageSize {
					start()
				}
			}
			if !yield(d, err) {
				return
			}
		}
	}
}

// planListing plans the NetBox objects of type t that seq lists (read
// ahead: readAhead), a page of planPageSize at a time, the next page read
// while one is planned.
func (p *planner) planListing(ctx context.Context, t models.ObjectType, seq iter.Seq2[export.Object, error]) error {
	page := make([]export.Object, 0, planPageSize)
	for d, err := range seq {
		if err != nil {
			return fmt.Errorf("list netbox %ss: %w", t.Noun(), err)
		}
		page = append(page, d)
		if p.listed != nil {
			p.listed[d.ID] = d
		}
		if len(page) == planPageSize {
			if err := p.planPage(ctx, page); err != nil {
				return err
			}
			if err := p.pageDone(ctx); err != nil {
				return err
			}
			page = page[:0]
		}
	}
	if err := p.planPage(ctx, page); err != nil {
		return err
	}
	return p.pageDone(ctx)
}

// planPage plans a page of objects of one type.
func (p *planner) planPage(ctx context.Context, devices []export.Object) error {
	if len(devices) == 0 {
		return nil
	}
	kind := devices[0].Type
	rows, err := p.w.store.RowsByObject(ctx, p.conn.ID, kind, deviceIDs(devices))
	if err != nil {
		return err
	}
	entries := make([]*models.PlanEntry, 0, len(devices))
	byDevice := map[export.ObjectRef]*models.PlanEntry{}
	for _, d := range devices {
		id := d.ID
		ref := d.Ref()
		p.seen.add(ref)
		row := rows[id]
		entry := &models.PlanEntry{
			RunID: p.run.ID, ConnectionID: p.conn.ID, ObjectType: kind, NetBoxObjectID: id,
			DeviceName: d.DisplayName(),
		}
		if kind == models.ObjectDevice {
			entry.NetBoxDeviceID = id
		}
		if row != nil {
			entry.WUGDeviceID = row.WUGDeviceID
		}
		entries = append(entries, entry)
		byDevice[ref] = entry

		if ok, reason := export.EligibleObject(d, p.filters); !ok {
			p.apply(entry, export.DecideOutOfSelection(row.Previous(), reason))
			if entry.Action == models.PlanDecommission {
				entry.IPAddress = row.IPAddress
			}
			markExcluded(entry, d, p.filters)
			continue
		}
		mapped, err := export.MapObject(d, p.mapOptions(d))
		if err != nil {
			p.apply(entry, export.DecideUnmappable(err))
			entry.IPAddress = primaryText(d)
			continue
		}
		entry.IPAddress = mapped.Address.String()
		if other, dup := p.primaries.other(mapped.Address, ref); dup {
			p.apply(entry, export.DecideConflict(row.Previous(), entry.IPAddress, other))
			if err := p.unkeep(ctx, other, export.ObjectConflictReason(entry.IPAddress, ref, entry.DeviceName)); err != nil {
				return err
			}
			continue
		}
		if other, dup := p.conflicts.AddObject(ref, mapped.Address); dup {
			reason := export.ObjectConflictReason(entry.IPAddress, ref, entry.DeviceName)
			otherName := ""
			if e, here := byDevice[other]; here {
				otherName = e.DeviceName
				if e.Action != models.PlanSkip {
					p.apply(e, export.Decision{Action: models.PlanSkip, Reason: reason})
				}
			} else {
				if otherName, err = p.nameOf(ctx, other, mapped.Address); err != nil {
					return err
				}
				if err := p.markConflict(ctx, other, reason); err != nil {
					return err
				}
			}
			p.apply(entry, export.Decision{Action: models.PlanSkip,
				Reason: export.ObjectConflictReason(entry.IPAddress, other, otherName)})
			continue
		}
		entry.PayloadHash = mapped.Fields.Hash()
		p.apply(entry, export.Decide(row.Previous(), mapped.Fields))
		if entry.Action == models.PlanCreate || entry.Action == models.PlanUpdate {
			entry.Mapped = p.plannedWrite(d, mapped)
		}
		if entry.Action == models.PlanCreate {
			p.creates = append(p.creates, plannedCreate{ref: ref, addr: mapped.Address})
			if p.pipe != nil && len(mapped.Fields.GroupPath) > 0 {
				p.newPaths = append(p.newPaths, mapped.Fields.GroupPath)
			}
		}
	}
	// A device conflicting with one planned earlier on this page was
	// decided before its conflict was known: drop it from the create list.
	p.creates = dropSkipped(p.creates, byDevice)
	p.number(entries)
	if err := p.w.store.CreatePlanEntries(ctx, entries); err != nil {
		return err
	}
	if err := p.markStaleFields(ctx, devices, rows); err != nil {
		return err
	}
	if p.run.DryRun {
		return nil
	}
	return p.w.recordPlannedRows(ctx, p.run, entries, rows)
}

// plannedWrite is what the batch of a writing entry needs from NetBox,
// kept on the entry so the batch reads nothing (loadMapped).
func (p *planner) plannedWrite(d export.Object, m export.Mapped) *models.PlannedWrite {
	w := &models.PlannedWrite{Fields: m.Fields}
	if writebackOn(p.conn) {
		seen := fieldText(d.CustomFields[p.conn.NetBoxCustomField])
		w.CustomField = &seen
	}
	return w
}

func dropSkipped(creates []plannedCreate, byDevice map[export.ObjectRef]*models.PlanEntry) []plannedCreate {
	out := creates[:0]
	for _, c := range creates {
		if e, ok := byDevice[c.ref]; ok && e.Action != models.PlanCreate {
			continue
		}
		out = append(out, c)
	}
	return out
}

// apply stores a decision on its plan entry.
func (p *planner) apply(entry *models.PlanEntry, d export.Decision) {
	entry.Action, entry.Reason, entry.Diff = d.Action, d.Reason, diffJSON(d.Changes)
}

// unkeep turns the kept decision of an applied run's unchanged object
// into a conflict skip when a re-planned object now shares its address: a
// full plan would see both in NetBox and skip both, and a kept create
// would otherwise export an address in conflict.
func (p *planner) unkeep(ctx context.Context, holder export.PrimaryHolder, reason string) error {
	ref := export.ObjectRef{Type: models.ObjectDevice, ID: holder.ID}
	if holder.VirtualMachine {
		ref.Type = models.ObjectVirtualMachine
	}
	if !p.kept[ref] {
		return nil
	}
	delete(p.kept, ref)
	return p.markConflict(ctx, ref, reason)
}

// markConflict turns the already-stored entry of an earlier page into a
// conflict skip.
func (p *planner) markConflict(ctx context.Context, obj export.ObjectRef, reason string) error {
	if err := p.w.store.SkipEntry(ctx, p.run.ID, p.key(obj), reason); err != nil {
		return err
	}
	for i, c := range p.creates {
		if c.ref == obj {
			p.creates = append(p.creates[:i], p.creates[i+1:]...)
			break
		}
	}
	if p.run.DryRun {
		return nil
	}
	return p.w.store.MarkSkipped(ctx, p.run.ID, p.run.Trigger, p.w.now(), []models.Skipped{{Key: p.key(obj), Reason: reason}})
}

// nameOf names an object planned on an earlier page, for the conflict
// reason of a later one: the name the primary index holds, else the one
// its plan entry stores (a conflict the index did not foresee is rare).
func (p *planner) nameOf(ctx context.Context, obj export.ObjectRef, addr netip.Addr) (string, error) {
	if name := p.primaries.name(addr, obj); name != "" {
		return name, nil
	}
	return p.w.store.EntryName(ctx, p.run.ID, p.key(obj))
}

// key names the row of an object on the planner's connection.
func (p *planner) key(obj export.ObjectRef) models.RowKey {
	return models.RowKey{ConnectionID: p.conn.ID, ObjectType: obj.Type, ObjectID: obj.ID}
}

// planDecommissions adds the linked devices that left the selection. Only
// a full, unfiltered run may conclude that a device left: a run narrowed by
// its own filters has not looked at the others.
func (p *planner) planDecommissions(ctx context.Context, scope planScope) error {
	if scope.full() && !p.run.Filters.Empty() {
		return nil
	}
	var gone []*models.PlanEntry
	// Every type, also VMs on a connection that stopped exporting them:
	// those left the selection.
	for _, t := range models.ObjectTypes() {
		if !scope.covers(t) {
			continue
		}
		ids := scope.ids(t)
		if scope.incremental && len(ids) == 0 {
			continue // nil ids would take every linked row
		}
		listed := func(id int64) bool { return p.seen.has(export.ObjectRef{Type: t, ID: id}) }
		err := p.w.store.EachLinkedRow(ctx, p.conn.ID, t, ids, listed, func(rows []models.NetBoxIPExport) error {
			for _, r := range rows {
				e := &models.PlanEntry{
					RunID: p.run.ID, ConnectionID: p.conn.ID, ObjectType: t, NetBoxObjectID: r.NetBoxObjectID,
					NetBoxDeviceID: r.NetBoxDeviceID,
					DeviceName:     r.NetBoxDeviceName, IPAddress: r.IPAddress, WUGDeviceID: r.WUGDeviceID,
				}
				p.apply(e, export.DecideGone())
				gone = append(gone, e)
			}
			return nil
		})
		if err != nil {
			return fmt.Errorf("find %ss that left the selection: %w", t.Noun(), err)
		}
	}
	// Decided: they go down the decommission path, so a sync of one
	// device does not report it as unknown to NetBox. Added after the
	// lookups, which then search a set sorted once.
	for _, e := range gone {
		p.seen.add(export.ObjectRef{Type: e.Key().ObjectType, ID: e.NetBoxObjectID})
	}
	if len(gone) == 0 {
		return nil
	}
	p.number(gone)
	return p.w.store.CreatePlanEntries(ctx, gone)
}

// resolveAdoptions looks for the planned creates (since the last call)
// that already exist in WUG (added by hand or by another tool), so they are
// adopted and updated instead of duplicated. Many new devices in the run:
// one paged read of WUG's device list, once per run. A few: one exact-IP
// search each. A pipelined run calls it per page, before the page's
// batches are enqueued.
func (p *planner) resolveAdoptions(ctx context.Context) error {
	if len(p.creates) == 0 {
		return nil
	}
	if f := p.adoptList; f != nil {
		// Read while the primaries were (firstPageWork): taken as read
		// now, since no batch of this run ran before its first page.
		p.adoptList = nil
		<-f.done
		if f.err == nil {
			p.linked, p.wugHeld, p.wugByAddr = f.linked, f.held, f.byAddr
		}
	}
	p.createsSeen += len(p.creates)
	useList := p.wugByAddr != nil || p.createsSeen >= p.w.p.AdoptListThreshold
	if p.linked == nil && (!useList || p.wugByAddr != nil) {
		linked, err := p.w.store.LinkedWUGDevices(ctx, p.conn.ID)
		if err != nil {
			return err
		}
		p.linked = linked
	}
	matches := map[export.ObjectRef]string{}
	// What WUG showed of each device it may adopt goes on the entry, so the
	// batch writes only what differs, without reading the device again.
	held := map[string]export.Held{}
	if useList {
		if p.wugByAddr == nil {
			// Read afresh with the list: batches of earlier pages have
			// linked devices since.
			l, err := p.readWUGDevices(ctx)
			if err != nil {
				return err
			}
			p.linked, p.wugHeld, p.wugByAddr = l.linked, l.held, l.byAddr
		}
		for _, c := range p.creates {
			if id, ok := p.wugByAddr[c.addr]; ok && !p.linked[id] {
				matches[c.ref] = id
				p.linked[id] = true
				if h, ok := p.wugHeld[id]; ok {
					held[id] = h
				}
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
			if id := export.OldestUnlinked(found, p.linked); id != "" {
				matches[c.ref] = id
				p.linked[id] = true
				export.KeepHeld(held, found, func(netip.Addr) bool { return true })
			}
		}
	}
	for obj, wugID := range matches {
		var facts json.RawMessage
		if h, ok := held[wugID]; ok {
			facts = diffJSON(h.Changes())
		}
		if err := p.w.store.AdoptEntryHeld(ctx, p.run.ID, p.key(obj), wugID, export.AdoptReason(wugID), facts); err != nil {
			return err
		}
	}
	p.creates = p.creates[:0]
	return nil
}

// wugDevices is what a read of WUG's device list keeps for adoption.
type wugDevices struct {
	linked map[string]bool
	held   map[string]export.Held
	byAddr map[netip.Addr]string
	// done is closed when a read begun in the background ends, with err.
	done chan struct{}
	err  error
}

// readWUGDevices reads the WUG devices rows link and WUG's unlinked
// devices by address (the oldest at each), with what WUG shows of them.
func (p *planner) readWUGDevices(ctx context.Context) (wugDevices, error) {
	linked, err := p.w.store.LinkedWUGDevices(ctx, p.conn.ID)
	if err != nil {
		return wugDevices{}, err
	}
	held := map[string]export.Held{}
	byAddr, err := retryRead(ctx, func(ctx context.Context) (map[netip.Addr]string, error) {
		byAddr := map[netip.Addr]string{}
		err := p.client.ListDevices(ctx, wug.RootGroupID, func(page []wug.DeviceOverview) error {
			export.AddOldestByAddress(byAddr, page, linked)
			// Only unlinked devices can be adopted: their facts are
			// all the run keeps of the list (few, after a first run).
			export.KeepHeld(held, page, func(a netip.Addr) bool { _, ok := byAddr[a]; return ok })
			return nil
		})
		return byAddr, err
	})
	if err != nil {
		return wugDevices{}, fmt.Errorf("read WUG device list for adoption: %w", err)
	}
	return wugDevices{linked: linked, held: held, byAddr: byAddr}, nil
}

// commit numbers the batches in device order, stores the counters and
// marks the plan complete. A dry run, or a run with nothing to write, ends
// here.
func (p *planner) commit(ctx context.Context) error {
	batches, err := p.w.store.NumberBatches(ctx, p.run.ID, p.batchSize(), export.WriteActions(), p.w.now())
	if err != nil {
		return err
	}
	if err := p.w.commitPlanCounts(ctx, p.run); err != nil {
		return err
	}
	return p.w.store.MarkRunPlanned(ctx, p.run, p.w.now(), batches)
}

// undecided lists the devices of a scope the plan has no entry for: NetBox
// did not list them under the connection's filters, and no linked row sends
// them down the decommission path.
func (p *planner) undecided(scope planScope) []int64 {
	var out []int64
	for _, id := range scope.deviceIDs {
		if !p.seen.has(export.ObjectRef{Type: scope.kind(), ID: id}) {
			out = append(out, id)
		}
	}
	return out
}

// pendingRow is the row of an object the run is about to create.
func pendingRow(run *models.WUGSyncLog, e *models.PlanEntry) models.NetBoxIPExport {
	key := e.Key()
	return models.NetBoxIPExport{
		ConnectionID: run.ConnectionID, NetBoxDeviceID: e.NetBoxDeviceID,
		ObjectType: key.ObjectType, NetBoxObjectID: key.ObjectID,
		NetBoxDeviceName: e.DeviceName, IPAddress: e.IPAddress,
		ExportReason: export.ReasonForTrigger(run.Trigger, true), ExportStatus: models.ExportPending,
		LastRunID: &run.ID,
	}
}

func deviceIDs(devices []export.Object) []int64 {
	ids := make([]int64, len(devices))
	for i, d := range devices {
		ids[i] = d.ID
	}
	return ids
}

func primaryText(d export.Object) string {
	for _, ip := range []*netbox.IPRef{d.PrimaryIP4, d.PrimaryIP6, d.PrimaryIP} {
		if ip != nil {
			return ip.Host()
		}
	}
	return ""
}

// diffJSON is the stored form of a plan entry's diff; nil for none.
func diffJSON(changes export.Changes) json.RawMessage {
	if len(changes) == 0 {
		return nil
	}
	b, err := json.Marshal(changes)
	if err != nil {
		return nil
	}
	return b
}

// recordPlannedRows writes what planning learnt to the export rows: a
// skipped device gets its reason. A new device's row is its batch's to
// insert, already claimed for its template call (batch.claim): inserted
// pending here it would be written once more before its device exists,
// by the planner that every batch waits for.
func (w *Worker) recordPlannedRows(ctx context.Context, run *models.WUGSyncLog, entries []*models.PlanEntry, rows map[int64]*models.NetBoxIPExport) error {
	var skips []models.Skipped
	for _, e := range entries {
		if e.Action == models.PlanSkip && !keepsDecommissioned(e, rows) {
			skips = append(skips, models.Skipped{Key: e.Key(), Reason: e.Reason,
				Named: true, Name: e.DeviceName, IP: e.IPAddress})
		}
	}
	return w.store.MarkSkipped(ctx, run.ID, run.Trigger, w.now(), skips)
}
