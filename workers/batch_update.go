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
