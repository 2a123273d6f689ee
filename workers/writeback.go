package workers

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"

	"github.com/sirupsen/logrus"

	"github.com/wugsync/wugsync/export"
	"github.com/wugsync/wugsync/models"
	"github.com/wugsync/wugsync/netbox"
)

// NetBox write-back (DESIGN.md §10): the WUG device id goes into the
// connection's NetBox custom field, and with netbox_journal a journal entry
// records what wugsync did. The owed write is stored on the row in the same
// statement as the WUG change (models.RowWriteback); writeBack sends every
// owed write of a batch in one bulk PATCH per object type and clears the
// marks, so a retried batch neither loses nor repeats it.

// errWritebackRefused marks a write-back NetBox refused for a reason no
// retry fixes (an unknown custom field, a missing permission, a value the
// field's type refuses): the run fails with the reason.
var errWritebackRefused = errors.New("NetBox refused the write-back")

// writebackOn reports whether conn owes NetBox anything after a change.
func writebackOn(conn models.WUGConnection) bool {
	return conn.NetBoxWriteback || conn.NetBoxJournal
}

// netboxObjectType is NetBox's name for one of our object types.
func netboxObjectType(t models.ObjectType) string {
	if t == models.ObjectVirtualMachine {
		return netbox.ObjectTypeVirtualMachine
	}
	return netbox.ObjectTypeDevice
}

// fieldText is a custom field value as the row stores it: "" for null.
func fieldText(v any) string {
	switch v := v.(type) {
	case nil:
		return ""
	case string:
		return v
	case float64:
		return strconv.FormatFloat(v, 'f', -1, 64)
	default:
		return fmt.Sprint(v)
	}
}

// seenField is the write-back custom field's value NetBox showed the plan
// for the object of e; ok is false when the plan did not keep it.
func (b *batch) seenField(e *models.PlanEntry) (string, bool) {
	if e.Mapped == nil || e.Mapped.CustomField == nil {
		return "", false
	}
	return *e.Mapped.CustomField, true
}

// withWriteback adds to a success's row change the write-back it owes
// NetBox: a create, an adoption, or (StepRelink) a create whose answer an
// earlier attempt lost is journaled and written; any other success only
// writes the field, when NetBox showed it not holding wugID. The value
// NetBox showed is stored, so the send needs no NetBox read.
func (b *batch) withWriteback(e *models.PlanEntry, wugID string, step export.Step, change models.RowChange) models.RowChange {
	if !writebackOn(b.conn) {
		return change
	}
	wb := models.RowWriteback{Change: change}
	if seen, read := b.seenField(e); read {
		wb.Seen = &seen
	}
	row := b.rows[e.NetBoxObjectID]
	switch {
	case step == export.StepCreate, step == export.StepRelink && row != nil && row.CreateAttemptedAt != nil:
		wb.Due = models.WritebackCreated
	case step == export.StepAdopt:
		wb.Due = models.WritebackAdopted
	case b.conn.NetBoxWriteback && wb.Seen != nil && *wb.Seen != wugID:
		wb.Due = models.WritebackUpdated
	}
	return wb
}

// withDecommissionWriteback adds the write-back a decommission owes: a
// journal warning, and (the row losing its WUG device id when the device
// was deleted) the field cleared.
func (b *batch) withDecommissionWriteback(change models.RowChange) models.RowChange {
	if !writebackOn(b.conn) || b.conn.DecommissionAction == models.DecommissionNone {
		return change
	}
	return models.RowWriteback{Change: change, Due: models.WritebackDecommissioned}
}

// writeBackBatch sends the write-backs owed by the objects of one batch,
// whichever attempt applied them.
func (w *Worker) writeBackBatch(ctx context.Context, conn models.WUGConnection, runID uint, batchNo int) error {
	if !writebackOn(conn) {
		return nil
	}
	byType, err := w.store.BatchObjectIDs(ctx, runID, batchNo)
	if err != nil {
		return err
	}
	types := make([]models.ObjectType, 0, len(byType))
	for t := range byType {
		types = append(types, t)
	}
	slices.Sort(types)
	for _, t := range types {
		rows, err := w.store.DueWritebacks(ctx, conn.ID, t, byType[t])
		if err != nil {
			return err
		}
		if err := w.writeBack(ctx, conn, t, rows); err != nil {
			return err
		}
	}
	return nil
}

// writeBack sends the write-backs rows owe NetBox, all of one object type
// (ObjectDevice or ObjectVirtualMachine): one bulk PATCH of the custom
// field for the objects whose stored value differs from their WUG device
// id, one journal POST with netbox_journal, then the marks are cleared.
// Rows another sender is sending now are skipped (claimWritebacks). A
// crash between the PATCH and the clearing repeats the PATCH with the same
// values (NetBox ends the same); a journal entry may then be written twice.
func (w *Worker) writeBack(ctx context.Context, conn models.WUGConnection, t models.ObjectType, rows []models.NetBoxIPExport) error {
	if len(rows) == 0 {
		return nil
	}
	rows, release, err := w.claimWritebacks(ctx, conn, t, rows)
	if err != nil {
		return err
	}
	defer release()
	if len(rows) == 0 {
		return nil // another sender has them
	}
	nbType := netboxObjectType(t)
	var updates []netbox.CustomFieldUpdate
	var journal []netbox.JournalEntry
	done := make([]models.WritebackDone, 0, len(rows))
	for _, r := range rows {
		value := r.NetBoxFieldValue
		if conn.NetBoxWriteback && r.WUGDeviceID != r.NetBoxFieldValue {
			var v any = r.WUGDeviceID
			if r.WUGDeviceID == "" {
				v = nil // NetBox clears a custom field with null
			}
			updates = append(updates, netbox.CustomFieldUpdate{ID: r.NetBoxObjectID, Values: map[string]any{conn.NetBoxCustomField: v}})
			value = r.WUGDeviceID
		}
		if conn.NetBoxJournal && r.NetBoxWritebackDue.Journaled() {
			journal = append(journal, journalEntry(conn, nbType, r))
		}
		done = append(done, models.WritebackDone{ObjectID: r.NetBoxObjectID, Due: r.NetBoxWritebackDue, Value: value})
	}
	log := w.connectionLog(conn).WithField("object_type", string(t))
	if len(updates) > 0 {
		res, err := w.p.NetBox.UpdateCustomFields(ctx, nbType, updates)
		if err != nil {
			return writebackError(conn, err)
		}
		w.p.Metrics.NetBoxWrites(conn.Name, "custom_field", len(res.Updated))
		if len(res.Missing) > 0 {
			log.WithField("netbox_ids", res.Missing).Warn("NetBox did not update these objects (deleted, or outside the token's permissions)")
		}
	}
	if len(journal) > 0 {
		res, err := w.p.NetBox.AddJournalEntries(ctx, journal)
		if err != nil {
			return writebackError(conn, err)
		}
		w.p.Metrics.NetBoxWrites(conn.Name, "journal", len(res.Created))
	}
	if err := w.store.FinishWritebacks(ctx, conn.ID, t, done); err != nil {
		return err
	}
	log.WithFields(logrus.Fields{"custom_fields": len(updates), "journal_entries": len(journal)}).Debug("NetBox write-back sent")
	return nil
}

// writebackError explains a failed write-back: what no retry can fix is
// an errWritebackRefused naming the fix; the rest is retried.
func writebackError(conn models.WUGConnection, err error) error {
	switch {
	case errors.Is(err, netbox.ErrUnknownCustomField):
		return fmt.Errorf("%w: connection %q writes the WUG device id into the NetBox custom field %q, which NetBox does not have: "+
			"create it with POST /api/v1/connections/%d/netbox-setup (or wugsync netbox-setup --connection %d), or set netbox_custom_field to an existing text field: %w",
			errWritebackRefused, conn.Name, conn.NetBoxCustomField, conn.ID, conn.ID, err)
	case errors.Is(err, netbox.ErrPermission), errors.Is(err, netbox.ErrConfig), errors.Is(err, netbox.ErrAuth):
		return fmt.Errorf("%w: connection %q: %w", errWritebackRefused, conn.Name, err)
	}
	return fmt.Errorf("NetBox write-back of connection %q: %w", conn.Name, err)
}

// journalEntry is the note wugsync leaves on the object's NetBox journal.
func journalEntry(conn models.WUGConnection, nbType string, r models.NetBoxIPExport) netbox.JournalEntry {
	e := netbox.JournalEntry{ObjectType: nbType, ObjectID: r.NetBoxObjectID, Kind: netbox.JournalInfo}
	id := r.WUGDeviceID
	switch r.NetBoxWritebackDue {
	case models.WritebackCreated:
		e.Comments = fmt.Sprintf("wugsync created WUG device %s on connection %q.", id, conn.Name)
	case models.WritebackAdopted:
		e.Comments = fmt.Sprintf("wugsync adopted WUG device %s, which was already in WUG at this address, on connection %q.", id, conn.Name)
	case models.WritebackLinked:
		e.Comments = fmt.Sprintf("wugsync linked WUG device %s, found by a WUG discovery scan, on connection %q.", id, conn.Name)
	case models.WritebackDecommissioned:
		e.Kind = netbox.JournalWarning
		if id == "" {
			id = r.NetBoxFieldValue // deleted: the row no longer links it
		}
		device := "its WUG device"
		if id != "" {
			device = "WUG device " + id
		}
		what := "put " + device + " in maintenance"
		if conn.DecommissionAction == models.DecommissionDelete {
			what = "deleted " + device
		}
		e.Comments = fmt.Sprintf("wugsync %s on connection %q: the object left NetBox or the connection's selection.", what, conn.Name)
	}
	if id != "" {
		e.Comments += " WUG console: " + conn.ConsoleDeviceURL(id)
	}
	return e
}

// writeBackLinks sends the write-backs of rows a discovery scan linked, one
// call per object type. A refusal is logged and left owed: the scan's
// links stand, and the poll is not retried for a NetBox setting.
func (w *Worker) writeBackLinks(ctx context.Context, conn models.WUGConnection, rows []models.NetBoxIPExport) error {
	byType := map[models.ObjectType][]int64{}
	for _, r := range rows {
		t := r.Key().ObjectType
		byType[t] = append(byType[t], r.Key().ObjectID)
	}
	for _, t := range []models.ObjectType{models.ObjectDevice, models.ObjectVirtualMachine} {
		due, err := w.store.DueWritebacks(ctx, conn.ID, t, byType[t])
		if err != nil {
			return err
		}
		err = w.writeBack(ctx, conn, t, due)
		if errors.Is(err, errWritebackRefused) {
			w.connectionLog(conn).WithError(err).Error("NetBox write-back of scan links refused")
			continue
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// writebackSweepLimit bounds the owed write-backs one run sends besides its
// batches' (per object type; the client sends 200 per PATCH), so turning
// write-back on for a large inventory fills it over a few runs without
// holding the run's planning for long.
const writebackSweepLimit = 5000

// markStaleFields records, while planning, the linked objects whose NetBox
// custom field does not hold their WUG device id: write-back was turned on
// after they were exported, the field was created later (netbox-setup), or
// someone edited it. The value comes from the listing the plan reads
// anyway; writeBackOwed sends the fix.
func (p *planner) markStaleFields(ctx context.Context, devices []export.Object, rows map[int64]*models.NetBoxIPExport) error {
	if p.run.DryRun || !p.conn.NetBoxWriteback {
		return nil
	}
	for _, d := range devices {
		row := rows[d.ID]
		if row == nil || row.WUGDeviceID == "" || row.NetBoxWritebackDue != models.WritebackNone {
			continue
		}
		seen := fieldText(d.CustomFields[p.conn.NetBoxCustomField])
		if seen == row.WUGDeviceID {
			continue
		}
		if _, err := p.w.store.UpdateRow(ctx, row.Key(), models.RowWriteback{Due: models.WritebackUpdated, Seen: &seen}); err != nil {
			return err
		}
	}
	return nil
}

// writeBackOwed sends the write-backs a connection owes NetBox: before a
// run plans (runID 0), those left by earlier runs (a batch out of retries,
// a refused write fixed since); after it planned, those planning found
// stale on objects outside its batches, which write back their own rows
// while the plan is still being read. One bulk PATCH per 200 objects of
// each type.
func (w *Worker) writeBackOwed(ctx context.Context, conn models.WUGConnection, runID uint) error {
	if !writebackOn(conn) {
		return nil
	}
	for _, t := range []models.ObjectType{models.ObjectDevice, models.ObjectVirtualMachine} {
		rows, err := w.store.OwedWritebacksOutside(ctx, conn.ID, t, runID, writebackSweepLimit)
		if err != nil {
			return err
		}
		if err := w.writeBack(ctx, conn, t, rows); err != nil {
			return err
		}
	}
	return nil
}
