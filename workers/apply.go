package workers

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"time"

	"github.com/wugsync/wugsync/export"
	"github.com/wugsync/wugsync/models"
	"github.com/wugsync/wugsync/netbox"
)

// replanMargin widens the window of "changed since the plan" backwards: the
// dry run read NetBox between its start and its planned_at, and NetBox's
// clock is not ours. Deciding a few objects again costs a little; missing
// a change would apply a stale decision.
const replanMargin = time.Minute

// errPlanGone is the permanent failure of an applied run whose dry run (and
// so its plan) was deleted before the run started.
var errPlanGone = errors.New("the dry run to apply no longer exists")

// applyPlan plans an applied run (POST /sync-logs/{id}/apply) from the
// stored plan of dry run sourceID instead of from scratch.
//
// The rule: an object keeps the dry run's decision (action, reason, diff,
// the WUG device an adoption chose) unless NetBox changed it after the plan,
// in which case it is decided again exactly as a new run would, and listed
// in the run's replanned. Two kinds of object are decided again although
// NetBox did not change them, because their decision depends on a changed
// object: those that shared an address with one (the IP conflict may be
// gone), and those a changed object now conflicts with (the conflict
// tracker is seeded with the kept decisions, so a changed object taking an
// address turns its holder into a conflict skip). Nothing else is re-read:
// what WUG and the store hold at write time is checked by the batch, as for
// every run (stored link, create claim, earlier create, a device deleted in
// WUG), so a kept decision is never applied blindly.
//
// Objects deleted in NetBox after the plan leave no trace in last_updated,
// and the batch writes what the plan mapped without reading NetBox again
// (loadMapped): the next full run decommissions them.
func (p *planner) applyPlan(ctx context.Context, sourceID uint) error {
	store := p.w.store
	if err := store.ClearPlan(ctx, p.run.ID); err != nil {
		return err
	}
	source, err := store.Run(ctx, sourceID)
	if models.IsNotFound(err) {
		return fmt.Errorf("run %d: %w", sourceID, errPlanGone)
	}
	if err != nil {
		return err
	}
	changed, err := p.changedSince(ctx, planStart(source).Add(-replanMargin))
	if err != nil {
		return err
	}
	partners, err := store.AddressPartners(ctx, source.ID, changed)
	if err != nil {
		return err
	}
	replan := models.SortedRefs(slices.Concat(changed, partners))

	if err := p.copyPlan(ctx, source.ID, replan); err != nil {
		return err
	}
	if len(replan) > 0 {
		if err := p.replan(ctx, replan); err != nil {
			return err
		}
	}
	if err := p.resolveAdoptions(ctx); err != nil {
		return err
	}
	if err := store.StoreReplanned(ctx, p.run, replannedIDs(replan)); err != nil {
		return err
	}
	return p.commit(ctx)
}

// replannedIDs is the run's replanned list: the NetBox ids of the objects
// decided again (devices' and virtual machines' ids together, as the
// contract's list of NetBox object ids; the run's plan entries say which
// kind each is).
func replannedIDs(refs []export.ObjectRef) []int64 {
	ids := make([]int64, 0, len(refs))
	for _, r := range refs {
		ids = append(ids, r.ID)
	}
	slices.Sort(ids)
	return slices.Compact(ids)
}

// planStart is when the dry run began reading NetBox.
func planStart(r models.WUGSyncLog) time.Time {
	switch {
	case r.StartedAt != nil:
		return *r.StartedAt
	case r.PlannedAt != nil:
		return *r.PlannedAt
	}
	return r.CreatedAt
}

// changedSince lists the NetBox objects whose own record changed at or
// after since (devices, and VMs when the connection exports them), and
// those whose primary address was edited since (NetBox does not count an
// IP address edit as a change of its object).
func (p *planner) changedSince(ctx context.Context, since time.Time) ([]export.ObjectRef, error) {
	var out []export.ObjectRef
	for _, t := range objectTypes(p.conn) {
		nbType := netbox.ObjectTypeDevice
		if t == models.ObjectVirtualMachine {
			nbType = netbox.ObjectTypeVirtualMachine
		}
		ids, err := p.w.p.NetBox.ChangedSince(ctx, nbType, since, nil)
		if err != nil {
			return nil, fmt.Errorf("find NetBox %ss changed since the plan: %w", t.Noun(), err)
		}
		for _, id := range ids {
			out = append(out, export.ObjectRef{Type: t, ID: id})
		}
	}
	for ip, err := range p.w.p.NetBox.IPAddresses(ctx, netbox.IPFilter{LastUpdatedGTE: since}) {
		if err != nil {
			return nil, fmt.Errorf("find NetBox IP addresses changed since the plan: %w", err)
		}
		a := ip.AssignedObject
		switch {
		case a == nil:
		case a.Device != nil && a.Device.ID > 0:
			out = append(out, export.ObjectRef{Type: models.ObjectDevice, ID: a.Device.ID})
		case a.VirtualMachine != nil && a.VirtualMachine.ID > 0 && p.conn.ExportVirtualMachines:
			out = append(out, export.ObjectRef{Type: models.ObjectVirtualMachine, ID: a.VirtualMachine.ID})
		}
	}
	return models.SortedRefs(out), nil
}

// copyPlan copies the dry run's entries, except those of the objects to
// decide again, as this run's, and records what planning records for them
// (skipped rows with their reasons; a create's row is its batch's to
// insert).
func (p *planner) copyPlan(ctx context.Context, sourceID uint, replan []export.ObjectRef) error {
	again := make(map[export.ObjectRef]bool, len(replan))
	for _, r := range replan {
		again[r] = true
	}
	return p.w.store.EachPlanEntry(ctx, sourceID, func(page []models.PlanEntry) error {
		copies := make([]*models.PlanEntry, 0, len(page))
		for _, e := range page {
			ref := export.ObjectRef{Type: e.Key().ObjectType, ID: e.Key().ObjectID}
			if again[ref] {
				continue
			}
			c := &models.PlanEntry{
				RunID: p.run.ID, ConnectionID: p.conn.ID, ObjectType: e.ObjectType,
				NetBoxObjectID: e.NetBoxObjectID, NetBoxDeviceID: e.NetBoxDeviceID,
				DeviceName: e.DeviceName, IPAddress: e.IPAddress, Action: e.Action, Reason: e.Reason,
				WUGDeviceID: e.WUGDeviceID, Diff: e.Diff, PayloadHash: e.PayloadHash, Excluded: e.Excluded,
				Mapped: e.Mapped,
			}
			copies = append(copies, c)
			if e.Action == models.PlanDecommission {
				continue // not an object of the selection: it holds no address
			}
			p.seen.add(ref)
			if addr, ok := heldAddress(c); ok {
				if c.Action != models.PlanSkip {
					if p.kept == nil {
						p.kept = map[export.ObjectRef]bool{}
					}
					p.kept[ref] = true
				}
				p.conflicts.AddObject(ref, addr)
			}
		}
		if err := p.w.store.CreatePlanEntries(ctx, copies); err != nil {
			return err
		}
		if p.run.DryRun {
			return nil
		}
		for _, t := range models.ObjectTypes() {
			var ofType []*models.PlanEntry
			var ids []int64
			for _, c := range copies {
				if c.Key().ObjectType == t {
					ofType = append(ofType, c)
					ids = append(ids, c.NetBoxObjectID)
				}
			}
			if len(ofType) == 0 {
				continue
			}
			rows, err := p.w.store.RowsByObject(ctx, p.conn.ID, t, ids)
			if err != nil {
				return err
			}
			if err := p.w.recordPlannedRows(ctx, p.run, ofType, rows); err != nil {
				return err
			}
		}
		return nil
	})
}

// heldAddress is the address a kept entry holds against later objects: one
// it exports, or one it is in conflict over.
func heldAddress(e *models.PlanEntry) (netip.Addr, bool) {
	switch {
	case e.Action == models.PlanCreate, e.Action == models.PlanUpdate, e.Action == models.PlanUnchanged:
	case e.Action == models.PlanSkip && strings.HasPrefix(e.Reason, "IP conflict"):
	default:
		return netip.Addr{}, false
	}
	addr, err := netip.ParseAddr(e.IPAddress)
	return addr, err == nil
}

// replan decides the listed objects again, as a run scoped to them would,
// with the conflict check across NetBox that every plan makes.
func (p *planner) replan(ctx context.Context, refs []export.ObjectRef) error {
	var err error
	if p.primaries, err = p.w.primaries(ctx, p.filters.EffectiveStatuses(), p.conn.ExportVirtualMachines, 0); err != nil {
		return err
	}
	byType := map[models.ObjectType][]int64{}
	for _, r := range refs {
		byType[r.Type] = append(byType[r.Type], r.ID)
	}
	for _, t := range models.ObjectTypes() {
		if len(byType[t]) == 0 {
			continue
		}
		scope := planScope{deviceIDs: byType[t], objectType: t}
		q, err := p.netboxFilter(ctx, scope)
		if err != nil {
			return err
		}
		if err := p.planListing(ctx, t, readAhead(ctx, p.objects(ctx, t, q), planPageSize)); err != nil {
			return err
		}
		if err := p.planDecommissions(ctx, scope); err != nil {
			return err
		}
	}
	return nil
}
