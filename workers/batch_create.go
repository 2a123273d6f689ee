package workers

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/hibiken/asynq"
	"github.com/sirupsen/logrus"

	"github.com/wugsync/wugsync/export"
	"github.com/wugsync/wugsync/models"
	"github.com/wugsync/wugsync/tasks"
	"github.com/wugsync/wugsync/wug"
)

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
		b.keepHeld(e, id, found)
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
