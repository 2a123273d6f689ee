package workers

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/wugsync/wugsync/export"
	"github.com/wugsync/wugsync/models"
	"github.com/wugsync/wugsync/wug"
)

// update brings existing (or adopted) devices in line with NetBox: only
// the fields that changed are written, each with the fewest calls WUG
// allows (export.UpdatePlan.DeviceCalls): a rename or a note is one
// properties PUT, an address the interface list and PUT, any attribute
// change one PATCH, a group move one add per target group and one remove
// per former group for the whole batch. A role, type, brand or OS change costs no call of
// its own: WUG cannot make it, the NetBox_* attributes record it, and the
// entry ends export.OutcomeRecorded.
//
// WUG's batch form of properties (PATCH /devices/-/properties) sets one
// value on many devices and cannot rename; a note carries its device's
// NetBox link, so no two devices share one, and the per-device PUT is the
// only form that fits.
//
// An adopted device, or one an earlier attempt created, is compared with
// what WUG showed of it (export.Held, from the plan's listing or the
// batch's search), not rewritten blind.
func (b *batch) update(ctx context.Context, updates []*models.PlanEntry) error {
	if err := b.refreshElsewhere(ctx, updates); err != nil {
		return err
	}
	// Group membership is batched per group, not per device: every device
	// of the batch going into one group is added in one call, every device
	// leaving one group removed in one call.
	adds, removes := map[string][]string{}, map[string][]string{}
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
		plan, note, err := b.updatePlan(ctx, e, step, m.Fields)
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
			if b.later(err) {
				continue // this device waits for the retry; the others go on
			}
			return err
		}
		if plan.Group || adopting {
			from := ""
			if !adopting && row != nil && row.WUGGroupID != b.groupOf[e.NetBoxObjectID] {
				from = row.WUGGroupID
			}
			to := b.groupOf[e.NetBoxObjectID]
			if to != "" {
				adds[to] = append(adds[to], wugID)
			}
			if from != "" && from != to {
				removes[from] = append(removes[from], wugID)
			}
		}
		if row != nil && row.ExportStatus == models.ExportDecommissioned {
			leaveMaintenance = append(leaveMaintenance, wugID)
		}
		if note != (updateNote{}) {
			if b.notes == nil {
				b.notes = map[int64]updateNote{}
			}
			b.notes[e.NetBoxObjectID] = note
		}
		applied = append(applied, e)
	}

	// Group membership: add to the new group first, then leave the old one,
	// because WUG refuses to remove a device's last static group. A call
	// that fails for a while leaves unsettled only the devices it carried.
	unsettled := map[string]bool{}
	groupCall := func(ids []string, call func() error) error {
		err := call()
		if err != nil && b.later(err) {
			for _, id := range ids {
				unsettled[id] = true
			}
			return nil
		}
		return err
	}
	for _, to := range sortedKeys(adds) {
		err := groupCall(adds[to], func() error {
			if _, err := b.client.AddDevicesToGroup(ctx, to, adds[to]); err != nil {
				return fmt.Errorf("add %d devices to WUG group %s: %w", len(adds[to]), to, err)
			}
			return nil
		})
		if err != nil {
			return err
		}
	}
	for _, from := range sortedKeys(removes) {
		err := groupCall(removes[from], func() error {
			if _, err := b.client.RemoveDevicesFromGroup(ctx, from, removes[from]); err != nil && !errors.Is(err, wug.ErrNotFound) {
				return fmt.Errorf("remove %d devices from WUG group %s: %w", len(removes[from]), from, err)
			}
			return nil
		})
		if err != nil {
			return err
		}
	}
	if len(leaveMaintenance) > 0 {
		err := groupCall(leaveMaintenance, func() error {
			if _, err := b.client.SetMaintenance(ctx, leaveMaintenance, false, "Back in the NetBox selection (wugsync)"); err != nil {
				return fmt.Errorf("take %d devices out of maintenance: %w", len(leaveMaintenance), err)
			}
			return nil
		})
		if err != nil {
			return err
		}
	}
	for _, e := range applied {
		if !unsettled[e.WUGDeviceID] {
			b.succeed(e, e.WUGDeviceID, steps[e])
		}
	}
	return b.flush(ctx)
}

// updatePlan is the WUG calls of one update, and what to report of it:
// the plan's diff when NetBox still maps the object to the Fields the plan
// decided on, else the diff of a new decision (recorded on the entry, so
// the plan shows what was written). An adopted or relinked device is
// compared with what WUG showed of it; only when nothing was shown (a plan
// stored by an older version) is it rewritten whole.
func (b *batch) updatePlan(ctx context.Context, e *models.PlanEntry, step export.Step, current export.Fields) (export.UpdatePlan, updateNote, error) {
	if step.Rewrites() {
		held, ok := b.heldFacts(e)
		if !ok {
			return export.Rewrite(current), updateNote{}, nil
		}
		// The entry keeps the Held facts as its diff (a retry compares
		// again, with the same result); the reason says what differed.
		changes := held.Diff(current)
		plan := changes.Update()
		return plan, updateNote{reason: export.HeldReason(b.heldReasonBase(e, step), changes), recorded: plan.RoleBrandOS}, nil
	}
	if e.Action == models.PlanUpdate && e.PayloadHash == current.Hash() {
		var planned export.Changes
		if len(e.Diff) == 0 || json.Unmarshal(e.Diff, &planned) == nil {
			plan := planned.Update()
			return plan, updateNote{recorded: plan.RoleBrandOS}, nil
		}
	}
	d := export.Decide(b.rows[e.NetBoxObjectID].Previous(), current)
	if err := b.w.store.ReplanEntry(ctx, e, diffJSON(d.Changes), current.Hash()); err != nil {
		return export.UpdatePlan{}, updateNote{}, err
	}
	plan := d.Changes.Update()
	note := updateNote{recorded: plan.RoleBrandOS}
	if plan.RoleBrandOS && e.Action == models.PlanUpdate {
		note.reason = d.Reason // the plan's reason did not know of the change
	}
	return plan, note, nil
}

// heldFacts is what WUG showed of an entry's device: from this batch's
// search for an earlier create, else from this run's adoption listing. A
// run that applies a dry run's plan copied the dry run's facts, up to an
// hour old; a person may have edited the device since, and a field
// skipped as equal would then never be written (later runs diff against
// what wugsync wrote), so such a run rewrites the device instead.
func (b *batch) heldFacts(e *models.PlanEntry) (export.Held, bool) {
	if h, ok := b.held[e.NetBoxObjectID]; ok {
		return h, true
	}
	if b.run.AppliedFrom != nil {
		return export.Held{}, false
	}
	return export.HeldIn(e.Diff)
}

// keepHeld records what WUG showed of the device wugID among found, for
// the update of entry e in this batch.
func (b *batch) keepHeld(e *models.PlanEntry, wugID string, found []wug.DeviceOverview) {
	for _, d := range found {
		if d.ID == wugID {
			if b.held == nil {
				b.held = map[int64]export.Held{}
			}
			b.held[e.NetBoxObjectID] = export.HeldBy(d)
		}
	}
}

// heldReasonBase is the reason the plan or the search gave the entry,
// rebuilt rather than read back, so a retry does not repeat what the first
// attempt appended.
func (b *batch) heldReasonBase(e *models.PlanEntry, step export.Step) string {
	if step == export.StepAdopt {
		return export.AdoptReason(e.WUGDeviceID)
	}
	return export.EarlierCreateReason(e.WUGDeviceID)
}

// refreshElsewhere re-reads the rows of the planned creates another task
// created meanwhile (claim links them): the batch loaded those rows before
// the other task stored its create, and the fresh row says exactly what it
// wrote, so the update is the diff against that, usually nothing, instead
// of a rewrite of a device nobody knows. One query for the batch.
func (b *batch) refreshElsewhere(ctx context.Context, updates []*models.PlanEntry) error {
	var ids []int64
	for _, e := range updates {
		if b.elsewhere[e.NetBoxObjectID] {
			ids = append(ids, e.NetBoxObjectID)
		}
	}
	if len(ids) == 0 {
		return nil
	}
	fresh, err := b.w.store.RowsByObject(ctx, b.conn.ID, b.kind(), ids)
	if err != nil {
		return err
	}
	for id, row := range fresh {
		b.rows[id] = row
	}
	return nil
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
