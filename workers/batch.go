package workers

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/sirupsen/logrus"

	"github.com/wugsync/wugsync/export"
	"github.com/wugsync/wugsync/models"
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
	// mapped holds what the plan mapped for each writing entry; a batch is
	// of one object type (NumberBatches never mixes them), so ids are
	// enough as keys.
	mapped  map[int64]export.Mapped
	groupOf map[int64]string // target WUG group id per device
	pending []success        // exported devices not yet stored
	// elsewhere holds the planned creates whose device another task made
	// after the plan: they are linked, not created (export.OutcomeLinked).
	elsewhere map[int64]bool
	// waiting holds the planned creates whose state in WUG this attempt could
	// not learn (their look-up failed, or a template call got no answer):
	// no template is sent for them until the task's retry looks again.
	waiting map[int64]bool
	// marked holds the claimed creates whose rows the claim marked for
	// their first template call (claim): the mark is this attempt's, so no
	// look-up is due, and createOnce need not mark them again.
	marked map[int64]bool
	// again is the temporary WUG failure that ends this attempt: the
	// entries the failed call touched stay pending for the task's retry,
	// every other entry is still applied and stored (see later).
	again error
	// held is what WUG showed of the device an entry was linked to in this
	// batch (an earlier create found by a search), so the update writes
	// only what differs from it.
	held map[int64]export.Held
	// notes are what the update found, stored with the outcome.
	notes map[int64]updateNote
	// started is when this attempt began, and failedAt when its last
	// template call ended: a look-up for earlier creates may take the
	// answer of a search sent after either (searchFlights).
	started, failedAt time.Time
}

// updateNote is what an update reports beyond "done": a new reason for the
// entry (empty: keep the plan's), and whether a role, type, brand or OS
// WUG cannot change in place was recorded in the attributes only.
type updateNote struct {
	reason   string
	recorded bool
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
	b.started = time.Now()
	var ids []int64
	for _, e := range b.entries {
		ids = append(ids, e.NetBoxObjectID)
	}
	rows, err := b.w.store.RowsByObject(ctx, b.conn.ID, b.kind(), ids)
	if err != nil {
		return err
	}
	b.rows = rows
	if err := b.loadMapped(ctx); err != nil {
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
	// Each step settles (stores) what its calls did before the next one
	// starts; a temporary WUG failure holds back only what that call
	// touched (later), and the attempt returns it at the end so the task's
	// retry redoes only the entries still pending.
	if err := b.decommission(ctx, decommissions); err != nil && !b.later(err) {
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
	linked, err = b.create(ctx, creates)
	updates = append(updates, linked...)
	if err != nil {
		return err
	}
	if err := b.update(ctx, updates); err != nil && !b.later(err) {
		return err
	}
	if b.again != nil {
		return b.again
	}
	if busy > 0 {
		return &SnoozeError{RetryIn: b.w.p.ClaimRetry,
			Reason: fmt.Sprintf("another task is creating %d of these devices", busy)}
	}
	return nil
}

// later takes a temporary WUG failure (a 5xx, a 429, no answer) of one
// call as the end of this attempt for what that call touched only: it
// keeps the error for the attempt to return once everything else is
// applied and stored, and reports true. Any other error (permanent, the
// database, a cancelled context) is the caller's to return at once.
//
// A 429 has already paused the whole connection (the client's observer
// sets the shared cool-down), so the rest of the attempt waits for it in
// the limiter rather than hammering WUG. The attempt returns a failure
// other than a 429 when it saw one, so that a WUG that keeps failing uses
// up the task's retries instead of being snoozed forever.
func (b *batch) later(err error) bool {
	if !temporary(err) {
		return false
	}
	_, slow := slowDown(err)
	if b.again == nil {
		b.again = err
	} else if _, againSlow := slowDown(b.again); againSlow && !slow {
		b.again = err
	}
	b.log.WithError(err).Warn("a WUG call failed; the devices it touched wait for the batch's retry, the others go on")
	return true
}

// temporary reports a WUG failure that a later call may not see.
func temporary(err error) bool {
	var apiErr *wug.APIError
	return errors.As(err, &apiErr) && apiErr.Temporary()
}

// hold keeps planned creates out of this attempt's template calls (see
// batch.waiting).
func (b *batch) hold(entries ...*models.PlanEntry) {
	if b.waiting == nil {
		b.waiting = map[int64]bool{}
	}
	for _, e := range entries {
		b.waiting[e.NetBoxObjectID] = true
	}
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

// finishBatch stores the batch's tally and moves the run (settleBatch).
func (w *Worker) finishBatch(ctx context.Context, runID uint, batchNo int) error {
	return w.settleBatch(ctx, runID, batchNo)
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
	ups := make([]models.RowUpsert, len(entries))
	outs := make([]models.EntryOutcome, len(entries))
	for i, e := range entries {
		note, unlink := action.Decommissioned(e.WUGDeviceID)
		change := models.RowDecommissioned{Note: note, Deleted: unlink, At: now, RunID: b.run.ID}
		ups[i] = models.RowUpsert{Key: e.Key(), Name: e.DeviceName, IP: e.IPAddress, Change: b.withDecommissionWriteback(change)}
		outs[i] = models.EntryOutcome{Entry: e, Outcome: models.OutcomeDone}
	}
	// Like flush: the batch's rows and outcomes in a few statements, not
	// two a device.
	err = b.w.store.Transaction(ctx, func(tx models.Store) error {
		if err := tx.UpsertRows(ctx, ups); err != nil {
			return err
		}
		return tx.SetOutcomes(ctx, outs)
	})
	if err != nil {
		return fmt.Errorf("store %d decommissioned devices: %w", len(entries), err)
	}
	b.w.p.Metrics.Devices(b.conn.Name, "decommissioned", len(entries))
	return nil
}

// success is a device WUG now holds as NetBox says, waiting to be stored.
type success struct {
	entry   *models.PlanEntry
	change  models.RowChange // a models.RowExported, with the write-back it owes
	outcome models.Outcome
	reason  string // the entry's new reason; empty keeps the plan's
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
	note := b.notes[e.NetBoxObjectID]
	if note.recorded {
		outcome = models.OutcomeRecorded
	}
	if b.elsewhere[e.NetBoxObjectID] {
		outcome = models.OutcomeLinked
	}
	b.pending = append(b.pending, success{entry: e, change: b.withWriteback(e, wugID, step, change),
		outcome: outcome, reason: note.reason})
}

// flush stores the queued successes: one multi-row upsert of their rows
// and one update of their entries' outcomes, in one transaction, whatever
// the batch's size, instead of two statements a device.
func (b *batch) flush(ctx context.Context) error {
	if len(b.pending) == 0 {
		return nil
	}
	ups := make([]models.RowUpsert, len(b.pending))
	outs := make([]models.EntryOutcome, len(b.pending))
	for i, s := range b.pending {
		ups[i] = models.RowUpsert{Key: s.entry.Key(), Name: s.entry.DeviceName, IP: s.entry.IPAddress, Change: s.change}
		outs[i] = models.EntryOutcome{Entry: s.entry, Outcome: s.outcome}
	}
	// Built before the transaction, which on SQLite holds the one
	// connection the planner and every other batch wait for.
	rows, err := b.w.store.PrepareUpsertRows(ctx, ups)
	if err != nil {
		return fmt.Errorf("store %d exported devices: %w", len(b.pending), err)
	}
	outcomes, err := b.w.store.PrepareOutcomes(ctx, outs)
	if err != nil {
		return fmt.Errorf("store %d exported devices: %w", len(b.pending), err)
	}
	err = b.w.store.Transaction(ctx, func(tx models.Store) error {
		// A new reason (an adoption compared, a change WUG cannot make) is
		// rare: one statement for each such entry.
		for _, s := range b.pending {
			if s.reason != "" && s.reason != s.entry.Reason {
				if err := tx.LinkEntry(ctx, s.entry, s.entry.WUGDeviceID, s.reason); err != nil {
					return err
				}
			}
		}
		return tx.Exec(ctx, rows, outcomes)
	})
	if err != nil {
		return fmt.Errorf("store %d exported devices: %w", len(b.pending), err)
	}
	for _, s := range b.pending {
		if s.outcome == models.OutcomeLinked {
			continue // the task that created the device counted it
		}
		outcome := "updated"
		if s.outcome == models.OutcomeRecorded {
			outcome = string(models.OutcomeRecorded) // never a plain update
		}
		if s.entry.Action == models.PlanCreate {
			outcome = "created"
		}
		b.w.p.Metrics.Devices(b.conn.Name, outcome, 1)
	}
	b.pending = b.pending[:0]
	return nil
}

// fail records a permanent failure of one device: its row goes to error with
// the message, and the attempt is kept in the history. The row, the attempt
// and the outcome are stored in one transaction, so a retry never finds
// the row failed and the entry still pending.
func (b *batch) fail(ctx context.Context, e *models.PlanEntry, msg string, countAttempt bool) error {
	now := b.w.now()
	err := b.w.store.Transaction(ctx, func(tx models.Store) error {
		if err := upsertRow(ctx, tx, e, models.RowFailed{Message: msg, At: now, RunID: b.run.ID}); err != nil {
			return err
		}
		if countAttempt {
			if err := tx.RecordAttempt(ctx, e.Key(), b.run.ID, tasks.TypeExportBatch, msg, now); err != nil {
				return err
			}
		}
		return tx.SetOutcome(ctx, e, models.OutcomeFailed, msg)
	})
	if err != nil {
		return err
	}
	b.log.WithField("device_id", e.NetBoxObjectID).Warn(msg)
	b.w.p.Metrics.Devices(b.conn.Name, "failed", 1)
	return nil
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
