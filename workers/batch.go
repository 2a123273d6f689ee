package workers

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/hibiken/asynq"
	"github.com/sirupsen/logrus"

	"github.com/wugsync/wugsync/export"
	"github.com/wugsync/wugsync/models"
	"github.com/wugsync/wugsync/netbox"
	"github.com/wugsync/wugsync/tasks"
	"github.com/wugsync/wugsync/wug"
)

// batch applies one batch of plan entries to WUG with as few calls as the
// API allows: one template call for every new device, group membership
// batched per group, maintenance and deletion batched, and per-device calls
// only where WUG has no batch form (rename, note, interface address,
// attributes).
type batch struct {
	w      *Worker
	run    *models.WUGSyncLog
	conn   models.WUGConnection
	client *wug.Client
	log    *logrus.Entry

	entries []*models.PlanEntry
	rows    map[int64]*models.NetBoxIPExport
	// devices holds the batch's NetBox objects; a batch is of one object
	// type (NumberBatches never mixes them), so ids are enough as keys.
	devices map[int64]export.Object
	mapped  map[int64]export.Mapped
	groupOf map[int64]string // target WUG group id per device
	pending []success        // exported devices not yet stored
	// elsewhere holds the planned creates whose device another task made
	// after the plan: they are linked, not created (export.OutcomeLinked).
	elsewhere map[int64]bool
}

// applyBatch runs every entry of (run, batchNo) that has no outcome yet.
// Entries finished by an earlier attempt are not touched again. A temporary
// WUG failure returns an error so the task is retried; permanent failures
// are recorded on their entries and rows.
func (w *Worker) applyBatch(ctx context.Context, run *models.WUGSyncLog, batchNo int) error {
	conn, err := w.loadConnection(ctx, run.ConnectionID)
	if err != nil {
		return err
	}
	entries, err := w.store.PendingEntries(ctx, run.ID, batchNo)
	if err != nil {
		return err
	}
	if len(entries) > 0 {
		client, _, err := w.wugClient(conn)
		if err != nil {
			return err
		}
		b := &batch{w: w, run: run, conn: conn, client: client, entries: entries,
			log: w.connectionLog(conn).WithFields(logrus.Fields{"run_id": run.ID, "batch": batchNo})}
		if err := b.apply(ctx); err != nil {
			// Counters still move, and NetBox hears, for what did finish.
			if ctx.Err() == nil {
				_ = w.writeBackBatch(ctx, conn, run.ID, batchNo)
			}
			_ = w.finishBatch(context.WithoutCancel(ctx), run.ID, batchNo)
			return err
		}
	}
	if err := w.writeBackBatch(ctx, conn, run.ID, batchNo); err != nil {
		// The batch is not finished while NetBox lacks its write-back: a
		// finished last batch would close the run, and the retry of a
		// closed run's batch does nothing.
		return err
	}
	return w.finishBatch(ctx, run.ID, batchNo)
}

func (b *batch) apply(ctx context.Context) error {
	var ids []int64
	for _, e := range b.entries {
		ids = append(ids, e.NetBoxObjectID)
	}
	rows, err := b.w.store.RowsByObject(ctx, b.conn.ID, b.kind(), ids)
	if err != nil {
		return err
	}
	b.rows = rows
	if err := b.loadDevices(ctx); err != nil {
		return err
	}
	if err := b.resolveGroups(ctx); err != nil {
		return err
	}

	var creates, updates, decommissions []*models.PlanEntry
	for _, e := range b.entries {
		if e.Outcome != "" {
			continue // failed while loading or mapping
		}
		switch b.step(e) {
		case export.StepCreate:
			creates = append(creates, e)
		case export.StepUpdate, export.StepAdopt, export.StepRelink:
			updates = append(updates, e) // a relinked create: linked by a previous attempt
		case export.StepDecommission:
			decommissions = append(decommissions, e)
		}
	}
	if err := b.decommission(ctx, decommissions); err != nil {
		return err
	}
	creates, linkedElsewhere, busy, err := b.claim(ctx, creates)
	if err != nil {
		return err
	}
	updates = append(updates, linkedElsewhere...)
	linked, err := b.findEarlierCreates(ctx, creates)
	if err != nil {
		return err
	}
	updates = append(updates, linked...)
	if err := b.create(ctx, creates); err != nil {
		return err
	}
	if err := b.update(ctx, updates); err != nil {
		return err
	}
	if busy > 0 {
		return &SnoozeError{RetryIn: b.w.p.ClaimRetry,
			Reason: fmt.Sprintf("another task is creating %d of these devices", busy)}
	}
	return nil
}

// kind is the object type of the batch's entries.
func (b *batch) kind() models.ObjectType {
	if len(b.entries) == 0 {
		return models.ObjectDevice
	}
	return b.entries[0].Key().ObjectType
}

// step classifies an entry against the row as the batch loaded it.
func (b *batch) step(e *models.PlanEntry) export.Step {
	linked := ""
	if row := b.rows[e.NetBoxObjectID]; row != nil {
		linked = row.WUGDeviceID
	}
	return export.Classify(e.Action, e.WUGDeviceID, linked)
}

// claimStale is how long a create claim protects a device; a claimer that
// died longer ago than this is assumed gone.
const claimStale = 10 * time.Minute

// claim takes the right to create each new device. A device another task is
// creating right now is left for a later attempt (busy); one that another
// task created meanwhile is updated instead of created again.
func (b *batch) claim(ctx context.Context, creates []*models.PlanEntry) (mine, linkedElsewhere []*models.PlanEntry, busy int, err error) {
	if len(creates) == 0 {
		return nil, nil, 0, nil
	}
	claimer, ok := asynq.GetTaskID(ctx)
	if !ok {
		claimer = fmt.Sprintf("run:%d", b.run.ID)
	}
	ids := make([]int64, 0, len(creates))
	for _, e := range creates {
		if b.rows[e.NetBoxObjectID] == nil {
			if err := upsertRow(ctx, b.w.store, e, models.RowPending{}); err != nil {
				return nil, nil, 0, err
			}
		}
		ids = append(ids, e.NetBoxObjectID)
	}
	now := b.w.now()
	if err := b.w.store.ClaimCreates(ctx, b.conn.ID, b.kind(), ids, claimer, now, now.Add(-claimStale)); err != nil {
		return nil, nil, 0, err
	}
	fresh, err := b.w.store.RowsByObject(ctx, b.conn.ID, b.kind(), ids)
	if err != nil {
		return nil, nil, 0, err
	}
	for _, e := range creates {
		row := fresh[e.NetBoxObjectID]
		switch {
		case row.WUGDeviceID != "":
			e.WUGDeviceID = row.WUGDeviceID
			linkedElsewhere = append(linkedElsewhere, e)
			if b.elsewhere == nil {
				b.elsewhere = map[int64]bool{}
			}
			b.elsewhere[e.NetBoxObjectID] = true
		case row.CreateClaim == claimer:
			mine = append(mine, e)
		default:
			busy++
		}
	}
	return mine, linkedElsewhere, busy, nil
}

// finishBatch stores the batch's tally and refreshes the run.
func (w *Worker) finishBatch(ctx context.Context, runID uint, batchNo int) error {
	if err := w.tallyBatch(ctx, runID, batchNo); err != nil {
		return err
	}
	return w.refreshRun(ctx, runID)
}

// loadDevices reads the batch's devices fresh from NetBox in one call, so a
// batch always writes the latest data, and maps them.
func (b *batch) loadDevices(ctx context.Context) error {
	var ids []int64
	for _, e := range b.entries {
		if e.Action != models.PlanDecommission {
			ids = append(ids, e.NetBoxObjectID)
		}
	}
	b.devices = map[int64]export.Object{}
	b.mapped = map[int64]export.Mapped{}
	if len(ids) == 0 {
		return nil
	}
	listing := objectsOf(b.w.p.NetBox.Devices(ctx, netbox.DeviceFilter{IDs: ids}), export.DeviceObject)
	if b.kind() == models.ObjectVirtualMachine {
		listing = objectsOf(b.w.p.NetBox.VirtualMachines(ctx, netbox.DeviceFilter{IDs: ids}), export.VMObject)
	}
	for d, err := range listing {
		if err != nil {
			return fmt.Errorf("read batch %ss from netbox: %w", b.kind().Noun(), err)
		}
		b.devices[d.ID] = d
	}
	regions, err := b.w.siteRegions(ctx, b.conn.GroupTemplate)
	if err != nil {
		return err
	}
	for _, e := range b.entries {
		if e.Action == models.PlanDecommission {
			continue
		}
		d, ok := b.devices[e.NetBoxObjectID]
		if !ok {
			if err := b.fail(ctx, e, b.kind().Noun()+" is no longer in NetBox; the next run decommissions it", false); err != nil {
				return err
			}
			continue
		}
		m, err := export.MapObject(d, b.w.mapOptions(b.conn, regions, d))
		if err != nil {
			if err := b.fail(ctx, e, "cannot export: "+err.Error(), false); err != nil {
				return err
			}
			continue
		}
		b.mapped[e.NetBoxObjectID] = m
	}
	return nil
}

// resolveGroups makes sure every target group exists (creating it once when
// allowed) and records its id per device.
func (b *batch) resolveGroups(ctx context.Context) error {
	b.groupOf = map[int64]string{}
	for _, e := range b.entries {
		m, ok := b.mapped[e.NetBoxObjectID]
		if !ok || e.Outcome != "" {
			continue
		}
		ids, err := b.w.resolveGroups(ctx, b.conn, b.client, [][]string{m.Fields.GroupPath})
		if errors.Is(err, errGroupMissing) {
			if err := b.fail(ctx, e, err.Error(), false); err != nil {
				return err
			}
			continue
		}
		if err != nil {
			return err
		}
		b.groupOf[e.NetBoxObjectID] = ids[pathKey(m.Fields.GroupPath)]
	}
	return nil
}

// findEarlierCreates handles devices whose creation was attempted before
// without a stored answer: the call may have created them before the
// answer was lost, so WUG is searched by exact IP first. Each answer is
// stored at once (the link, or "not there, safe to create"), so a retry
// after a failed search does not search again.
func (b *batch) findEarlierCreates(ctx context.Context, creates []*models.PlanEntry) ([]*models.PlanEntry, error) {
	var linked []*models.PlanEntry
	for _, e := range creates {
		row := b.rows[e.NetBoxObjectID]
		m, ok := b.mapped[e.NetBoxObjectID]
		if !ok || row == nil || row.CreateAttemptedAt == nil || row.WUGDeviceID != "" {
			continue
		}
		found, err := retryRead(ctx, func(ctx context.Context) ([]wug.DeviceOverview, error) {
			return b.client.FindDevicesByIP(ctx, m.Address.String())
		})
		if err != nil {
			return nil, fmt.Errorf("look for an earlier create of %s: %w", m.Address, err)
		}
		id := export.OldestNamed(found, m.Template.DisplayName)
		if id == "" {
			if _, err := b.w.store.UpdateRow(ctx, e.Key(), models.RowCreateAttempt{}); err != nil {
				return nil, err
			}
			row.CreateAttemptedAt = nil
			continue
		}
		if _, err := b.w.store.UpdateRow(ctx, e.Key(), models.RowLinked{WUGDeviceID: id}); err != nil {
			return nil, err
		}
		if err := b.w.store.LinkEntry(ctx, e, id, export.EarlierCreateReason(id)); err != nil {
			return nil, err
		}
		linked = append(linked, e)
	}
	return linked, nil
}

// create makes every new device of the batch with one template call.
func (b *batch) create(ctx context.Context, creates []*models.PlanEntry) error {
	var todo []*models.PlanEntry
	var templates []wug.DeviceTemplate
	for _, e := range creates {
		m, ok := b.mapped[e.NetBoxObjectID]
		if !ok || e.Outcome != "" || e.WUGDeviceID != "" {
			continue
		}
		todo = append(todo, e)
		templates = append(templates, m.Template)
	}
	if len(todo) == 0 {
		return nil
	}
	// Mark first, call second: if the process dies after WUG created the
	// devices, the retry sees the mark and searches before creating.
	if err := b.w.markCreateAttempted(ctx, b.conn.ID, todo, b.w.now()); err != nil {
		return err
	}
	results, err := b.client.ApplyTemplates(ctx, templates)
	if err != nil {
		return fmt.Errorf("create %d devices in WUG: %w", len(templates), err)
	}
	var scan []*models.PlanEntry
	for _, e := range todo {
		m := b.mapped[e.NetBoxObjectID]
		res, ok := results[m.Template.TemplateID]
		switch {
		case ok && res.DeviceID != "":
			if len(res.Errors) > 0 {
				b.log.WithFields(logrus.Fields{"device_id": e.NetBoxObjectID, "warnings": res.Errors}).
					Warn("WUG created the device with warnings")
			}
			b.succeed(e, res.DeviceID, export.StepCreate)
		case b.conn.AutoScanExportedIPs:
			scan = append(scan, e)
		default:
			msg := "WUG refused the template"
			if ok && len(res.Errors) > 0 {
				msg += ": " + strings.Join(res.Errors, "; ")
			}
			if err := b.fail(ctx, e, msg, true); err != nil {
				return err
			}
		}
	}
	if err := b.flush(ctx); err != nil {
		return err
	}
	return b.startScans(ctx, scan, results)
}

// startScans hands devices whose template failed to a WUG discovery scan,
// one scan per target group.
func (b *batch) startScans(ctx context.Context, entries []*models.PlanEntry, results map[string]wug.TemplateResult) error {
	byGroup := map[string][]*models.PlanEntry{}
	for _, e := range entries {
		byGroup[b.groupOf[e.NetBoxObjectID]] = append(byGroup[b.groupOf[e.NetBoxObjectID]], e)
	}
	for _, group := range sortedKeys(byGroup) {
		list := byGroup[group]
		ips := make([]string, len(list))
		for i, e := range list {
			ips[i] = b.mapped[e.NetBoxObjectID].Address.String()
		}
		if group == "" {
			group = wug.RootGroupID
		}
		scanID, err := b.client.StartNewDeviceScan(ctx, group, ips, wug.ScanOptions{})
		if err != nil {
			return fmt.Errorf("start WUG discovery scan for %d devices: %w", len(ips), err)
		}
		now := b.w.now()
		for _, e := range list {
			m := b.mapped[e.NetBoxObjectID]
			why := "template failed"
			if r, ok := results[m.Template.TemplateID]; ok && len(r.Errors) > 0 {
				why += ": " + strings.Join(r.Errors, "; ")
			}
			_, err := b.w.store.UpdateRow(ctx, e.Key(), models.RowScanStarted{ScanID: scanID, Why: why,
				Name: m.Template.DisplayName, IP: m.Address.String(), At: now, RunID: b.run.ID})
			if err != nil {
				return err
			}
			if err := b.w.store.SetOutcome(ctx, e, models.OutcomeScan, ""); err != nil {
				return err
			}
		}
		b.w.p.Metrics.Devices(b.conn.Name, "scan_triggered", len(list))
		if err := b.w.p.Enqueuer.Enqueue(ctx, tasks.ScanStatusPayload{ConnectionID: b.conn.ID, ScanID: scanID,
			Delay: b.w.p.ScanPollBase}); err != nil && !errors.Is(err, tasks.ErrAlreadyQueued) {
			return err
		}
	}
	return nil
}

// update brings existing (or adopted) devices in line with NetBox: only
// the fields that changed are written.
func (b *batch) update(ctx context.Context, updates []*models.PlanEntry) error {
	type move struct{ from, to string }
	moves := map[move][]string{}
	var leaveMaintenance []string
	var applied []*models.PlanEntry
	steps := map[*models.PlanEntry]export.Step{}
	for _, e := range updates {
		m, ok := b.mapped[e.NetBoxObjectID]
		if !ok || e.Outcome != "" {
			continue
		}
		row := b.rows[e.NetBoxObjectID]
		wugID := e.WUGDeviceID
		step := b.step(e)
		steps[e] = step
		adopting := step.Rewrites()
		plan, err := b.updatePlan(ctx, e, step, m.Fields)
		if err != nil {
			return err
		}
		err = b.updateDevice(ctx, wugID, m, plan)
		if errors.Is(err, wug.ErrNotFound) {
			if err := b.relinkDeleted(ctx, e, wugID); err != nil {
				return err
			}
			continue
		}
		var apiErr *wug.APIError
		if errors.As(err, &apiErr) && !apiErr.Temporary() {
			if err := b.fail(ctx, e, err.Error(), true); err != nil {
				return err
			}
			continue
		}
		if err != nil {
			return err
		}
		if plan.Group || adopting {
			from := ""
			if !adopting && row != nil && row.WUGGroupID != b.groupOf[e.NetBoxObjectID] {
				from = row.WUGGroupID
			}
			mv := move{from: from, to: b.groupOf[e.NetBoxObjectID]}
			moves[mv] = append(moves[mv], wugID)
		}
		if row != nil && row.ExportStatus == models.ExportDecommissioned {
			leaveMaintenance = append(leaveMaintenance, wugID)
		}
		applied = append(applied, e)
	}

	// Group membership: add to the new group first, then leave the old one,
	// because WUG refuses to remove a device's last static group.
	for _, mv := range sortedMoves(moves) {
		if mv.to == "" {
			continue
		}
		if _, err := b.client.AddDevicesToGroup(ctx, mv.to, moves[mv]); err != nil {
			return fmt.Errorf("add %d devices to WUG group %s: %w", len(moves[mv]), mv.to, err)
		}
	}
	for _, mv := range sortedMoves(moves) {
		if mv.from == "" || mv.from == mv.to {
			continue
		}
		if _, err := b.client.RemoveDevicesFromGroup(ctx, mv.from, moves[mv]); err != nil && !errors.Is(err, wug.ErrNotFound) {
			return fmt.Errorf("remove %d devices from WUG group %s: %w", len(moves[mv]), mv.from, err)
		}
	}
	if len(leaveMaintenance) > 0 {
		if _, err := b.client.SetMaintenance(ctx, leaveMaintenance, false, "Back in the NetBox selection (wugsync)"); err != nil {
			return fmt.Errorf("take %d devices out of maintenance: %w", len(leaveMaintenance), err)
		}
	}
	for _, e := range applied {
		b.succeed(e, e.WUGDeviceID, steps[e])
	}
	return b.flush(ctx)
}

// updatePlan is the WUG calls of one update: the plan's diff when NetBox
// still maps the object to the Fields the plan decided on, else the diff of
// a new decision (recorded on the entry, so the plan shows what was
// written). An adopted or relinked device is rewritten whole.
func (b *batch) updatePlan(ctx context.Context, e *models.PlanEntry, step export.Step, current export.Fields) (export.UpdatePlan, error) {
	if step.Rewrites() {
		return export.Rewrite(current), nil
	}
	if e.Action == models.PlanUpdate && e.PayloadHash == current.Hash() {
		var planned export.Changes
		if len(e.Diff) == 0 || json.Unmarshal(e.Diff, &planned) == nil {
			return planned.Update(), nil
		}
	}
	d := export.Decide(b.rows[e.NetBoxObjectID].Previous(), current)
	if err := b.w.store.ReplanEntry(ctx, e, diffJSON(d.Changes), current.Hash()); err != nil {
		return export.UpdatePlan{}, err
	}
	return d.Changes.Update(), nil
}

// updateDevice writes the per-device changes WUG has no batch form for.
func (b *batch) updateDevice(ctx context.Context, wugID string, m export.Mapped, plan export.UpdatePlan) error {
	if plan.Properties() {
		u := wug.DevicePropertiesUpdate{}
		if plan.Rename {
			u.DisplayName = &m.Template.DisplayName
		}
		if plan.Note {
			u.Note = &m.Template.Note
		}
		if err := b.client.UpdateDeviceProperties(ctx, wugID, u); err != nil {
			return fmt.Errorf("update properties of WUG device %s: %w", wugID, err)
		}
	}
	if plan.Address {
		if err := b.updateAddress(ctx, wugID, m); err != nil {
			return err
		}
	}
	if batch := plan.AttributeBatch(); len(batch.DeleteNames) > 0 {
		if _, err := b.client.PatchAttributes(ctx, wugID, batch); err != nil {
			return fmt.Errorf("update attributes of WUG device %s: %w", wugID, err)
		}
	}
	return nil
}

func (b *batch) updateAddress(ctx context.Context, wugID string, m export.Mapped) error {
	ifaces, err := retryRead(ctx, func(ctx context.Context) ([]wug.Interface, error) {
		return b.client.ListInterfaces(ctx, wugID)
	})
	if err != nil {
		return fmt.Errorf("list interfaces of WUG device %s: %w", wugID, err)
	}
	target := -1
	for i, iface := range ifaces {
		if iface.Default {
			target = i
		}
	}
	if target < 0 && len(ifaces) > 0 {
		target = 0
	}
	if target < 0 {
		return fmt.Errorf("WUG device %s has no interface to readdress: %w", wugID, wug.ErrRejected)
	}
	iface := ifaces[target]
	iface.Address = m.Address.String()
	iface.HostName = m.Fields.NetworkName
	if _, err := b.client.UpdateInterface(ctx, wugID, iface); err != nil {
		return fmt.Errorf("readdress WUG device %s: %w", wugID, err)
	}
	return nil
}

// relinkDeleted handles a linked WUG device that someone deleted in WUG:
// the link is cleared so the next run creates the device again.
func (b *batch) relinkDeleted(ctx context.Context, e *models.PlanEntry, wugID string) error {
	if _, err := b.w.store.UpdateRow(ctx, e.Key(), models.RowUnlinked{}); err != nil {
		return err
	}
	return b.fail(ctx, e, "WUG device "+wugID+" no longer exists in WUG; the next run creates it again", true)
}

// decommission applies the connection's decommission action to devices that
// left NetBox or the selection, batched in one call.
func (b *batch) decommission(ctx context.Context, entries []*models.PlanEntry) error {
	if len(entries) == 0 {
		return nil
	}
	ids := make([]string, 0, len(entries))
	for _, e := range entries {
		ids = append(ids, e.WUGDeviceID)
	}
	action := b.conn.DecommissionAction
	var err error
	switch action {
	case models.DecommissionMaintenance:
		_, err = b.client.SetMaintenance(ctx, ids, true, "Removed from NetBox or from the wugsync selection")
	case models.DecommissionDelete:
		_, err = b.client.DeleteDevices(ctx, ids)
	}
	if err != nil && !errors.Is(err, wug.ErrNotFound) {
		return fmt.Errorf("decommission %d WUG devices (%s): %w", len(ids), action, err)
	}
	now := b.w.now()
	for _, e := range entries {
		note, unlink := action.Decommissioned(e.WUGDeviceID)
		change := models.RowDecommissioned{Note: note, Deleted: unlink, At: now, RunID: b.run.ID}
		if _, err := b.w.store.UpdateRow(ctx, e.Key(), b.withDecommissionWriteback(change)); err != nil {
			return err
		}
		if err := b.w.store.SetOutcome(ctx, e, models.OutcomeDone, ""); err != nil {
			return err
		}
	}
	b.w.p.Metrics.Devices(b.conn.Name, "decommissioned", len(entries))
	return nil
}

// success is a device WUG now holds as NetBox says, waiting to be stored.
type success struct {
	entry   *models.PlanEntry
	change  models.RowChange // a models.RowExported, with the write-back it owes
	outcome models.Outcome
}

// succeed queues the link of a row to its WUG device and what was written;
// flush stores the whole batch's successes in one transaction.
func (b *batch) succeed(e *models.PlanEntry, wugID string, step export.Step) {
	m := b.mapped[e.NetBoxObjectID]
	fields, _ := json.Marshal(m.Fields) // plain strings and maps: cannot fail
	reason := export.RowReason(b.run.Trigger, e.Action, b.rows[e.NetBoxObjectID].Previous(), m.Address.String())
	change := models.RowExported{
		WUGDeviceID: wugID, WUGGroupID: b.groupOf[e.NetBoxObjectID], Reason: reason,
		PayloadHash: m.Fields.Hash(), Fields: string(fields),
		Name: m.Template.DisplayName, IP: m.Address.String(),
		At: b.w.now(), RunID: b.run.ID, Adopted: step == export.StepAdopt,
	}
	e.WUGDeviceID = wugID
	outcome := models.OutcomeDone
	if b.elsewhere[e.NetBoxObjectID] {
		outcome = models.OutcomeLinked
	}
	b.pending = append(b.pending, success{entry: e, change: b.withWriteback(e, wugID, step, change), outcome: outcome})
}

// flush stores the queued successes. One transaction per batch instead of
// two statements per device keeps SQLite and PostgreSQL off the hot path.
func (b *batch) flush(ctx context.Context) error {
	if len(b.pending) == 0 {
		return nil
	}
	err := b.w.store.Transaction(ctx, func(tx models.Store) error {
		for _, s := range b.pending {
			if err := upsertRow(ctx, tx, s.entry, s.change); err != nil {
				return err
			}
			if err := tx.SetOutcome(ctx, s.entry, s.outcome, ""); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("store %d exported devices: %w", len(b.pending), err)
	}
	for _, s := range b.pending {
		if s.outcome == models.OutcomeLinked {
			continue // the task that created the device counted it
		}
		outcome := "updated"
		if s.entry.Action == models.PlanCreate {
			outcome = "created"
		}
		b.w.p.Metrics.Devices(b.conn.Name, outcome, 1)
	}
	b.pending = b.pending[:0]
	return nil
}

// fail records a permanent failure of one device: its row goes to error with
// the message, and the attempt is kept in the history.
func (b *batch) fail(ctx context.Context, e *models.PlanEntry, msg string, countAttempt bool) error {
	now := b.w.now()
	if err := upsertRow(ctx, b.w.store, e, models.RowFailed{Message: msg, At: now, RunID: b.run.ID}); err != nil {
		return err
	}
	if countAttempt {
		if err := b.w.store.RecordAttempt(ctx, e.Key(), b.run.ID, tasks.TypeExportBatch, msg, now); err != nil {
			return err
		}
	}
	b.log.WithField("device_id", e.NetBoxObjectID).Warn(msg)
	b.w.p.Metrics.Devices(b.conn.Name, "failed", 1)
	return b.w.store.SetOutcome(ctx, e, models.OutcomeFailed, msg)
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func sortedMoves[K interface{ comparable }, V any](m map[K]V) []K {
	keys := make([]K, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool { return fmt.Sprint(keys[i]) < fmt.Sprint(keys[j]) })
	return keys
}
