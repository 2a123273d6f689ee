package workers

import (
	"context"
	"errors"

	"github.com/wugsync/wugsync/export"
	"github.com/wugsync/wugsync/models"
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
	for _, e := range b.entries {
		if e.Action == models.PlanDecommission {
			continue
		}
		if e.Mapped == nil {
			// Planned by a version that kept no mapping: failed here, the
			// next run plans the device again and writes it.
			if err := b.fail(ctx, e, "the plan holds no mapped data for this "+b.kind().Noun()+"; the next run exports it", false); err != nil {
				return err
			}
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
