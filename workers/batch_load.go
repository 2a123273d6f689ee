package workers

import (
	"context"
	"errors"
	"fmt"

	"github.com/wugsync/wugsync/export"
	"github.com/wugsync/wugsync/models"
	"github.com/wugsync/wugsync/netbox"
)

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
	if b.preloaded != nil {
		for _, id := range ids {
			if d, ok := b.preloaded[id]; ok {
				b.devices[id] = d
			}
		}
	} else if err := b.readDevices(ctx, ids); err != nil {
		return err
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

// readDevices reads the batch's objects from NetBox in one id__in call.
func (b *batch) readDevices(ctx context.Context, ids []int64) error {
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
