package workers

import (
	"context"
	"errors"
	"fmt"

	"github.com/wugsync/wugsync/export"
	"github.com/wugsync/wugsync/models"
	"github.com/wugsync/wugsync/netbox"
)

// loadMapped rebuilds, for each entry that writes a device, the mapping
// its plan stored: the batch writes the data the plan decided on and makes
// no NetBox read of its own.
//
// The freshness rule: a run's data is NetBox as its plan read it, page by
// page, seconds before the batch. What changes in NetBox after that page
// reaches WUG through NetBox's webhooks (a device sync plans and writes the
// object again) or through the next run, never by a re-read per batch: at
// a hundred devices a batch, one id__in read per batch would make a run's
// NetBox reads ten times the floor's (every device page once), on a NetBox
// that takes a second or more per page. An applied run re-checks only what
// changed since its dry run's plan, in one last_updated__gte listing per
// kind (applyPlan), not per batch.
func (b *batch) loadMapped(ctx context.Context) error {
	b.mapped = map[int64]export.Mapped{}
	if err := b.mapUnplanned(ctx); err != nil {
		return err
	}
	for _, e := range b.entries {
		if e.Action == models.PlanDecommission || e.Mapped == nil || e.Outcome != "" {
			continue
		}
		ref := export.ObjectRef{Type: e.Key().ObjectType, ID: e.NetBoxObjectID}
		m, err := export.MappedFromFields(ref, e.Mapped.Fields)
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

// mapUnplanned gives the writing entries whose plan kept no mapping (a
// plan stored before plans kept it, such as a dry run applied after an
// upgrade) what a plan would have kept, from one NetBox read for all of
// them, as batches did before. An object NetBox no longer has fails, for
// the next run to decommission.
func (b *batch) mapUnplanned(ctx context.Context) error {
	var ids []int64
	for _, e := range b.entries {
		if e.Action != models.PlanDecommission && e.Mapped == nil {
			ids = append(ids, e.NetBoxObjectID)
		}
	}
	if len(ids) == 0 {
		return nil
	}
	q := netbox.DeviceFilter{IDs: ids}
	listing := objectsOf(b.w.p.NetBox.Devices(ctx, q), export.DeviceObject)
	if b.kind() == models.ObjectVirtualMachine {
		listing = objectsOf(b.w.p.NetBox.VirtualMachines(ctx, q), export.VMObject)
	}
	read := map[int64]export.Object{}
	for d, err := range listing {
		if err != nil {
			return fmt.Errorf("read batch %ss from netbox: %w", b.kind().Noun(), err)
		}
		read[d.ID] = d
	}
	regions, err := b.w.siteRegions(ctx, b.conn.GroupTemplate)
	if err != nil {
		return err
	}
	p := &planner{w: b.w, conn: b.conn}
	for _, e := range b.entries {
		if e.Action == models.PlanDecommission || e.Mapped != nil {
			continue
		}
		d, ok := read[e.NetBoxObjectID]
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
		e.Mapped = p.plannedWrite(d, m)
	}
	return nil
}

// resolveGroups makes sure every target group exists (creating it once when
// allowed) and records its id per device.
func (b *batch) resolveGroups(ctx context.Context) error {
	b.groupOf = map[int64]string{}
	// Every path of the batch at once: the missing groups of a level are
	// created together, each once per process (createPaths).
	var paths [][]string
	for _, e := range b.entries {
		if m, ok := b.mapped[e.NetBoxObjectID]; ok && e.Outcome == "" {
			paths = append(paths, m.Fields.GroupPath)
		}
	}
	ids, err := b.w.resolveGroups(ctx, b.conn, b.client, paths)
	if err == nil {
		for _, e := range b.entries {
			if m, ok := b.mapped[e.NetBoxObjectID]; ok && e.Outcome == "" {
				b.groupOf[e.NetBoxObjectID] = ids[pathKey(m.Fields.GroupPath)]
			}
		}
		return nil
	}
	if !errors.Is(err, errGroupMissing) {
		return err
	}
	// Some group is missing and may not be created: path by path, so only
	// the devices of missing groups fail.
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
