package models

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"

	"gorm.io/gorm"
)

// WritebackEvent is what happened to an object's WUG device that NetBox
// still has to hear about (DESIGN.md §10): its custom field gets the WUG
// device id (or is cleared), and with netbox_journal its journal gets an
// entry. Stored in netbox_ip_exports.netbox_writeback_due until NetBox has
// it.
type WritebackEvent string

// Write-back events.
const (
	// WritebackNone: nothing owed.
	WritebackNone WritebackEvent = ""
	// WritebackCreated: wugsync created the WUG device.
	WritebackCreated WritebackEvent = "created"
	// WritebackAdopted: wugsync adopted a WUG device that existed before.
	WritebackAdopted WritebackEvent = "adopted"
	// WritebackLinked: a discovery scan found the WUG device.
	WritebackLinked WritebackEvent = "linked"
	// WritebackUpdated: an update found the custom field not holding the
	// WUG device id (write-back turned on later, or edited by hand); the
	// field is written, the journal gets nothing.
	WritebackUpdated WritebackEvent = "updated"
	// WritebackDecommissioned: the decommission action ran; a deleted WUG
	// device's id is cleared from the field.
	WritebackDecommissioned WritebackEvent = "decommissioned"
)

// Journaled reports whether the event gets a NetBox journal entry (with
// netbox_journal on): creates, adoptions, scan links and decommissions.
func (e WritebackEvent) Journaled() bool {
	switch e {
	case WritebackCreated, WritebackAdopted, WritebackLinked, WritebackDecommissioned:
		return true
	}
	return false
}

// RowWriteback adds a write-back owed to NetBox to another row change, so
// both are stored in one statement: a task that dies after WUG changed
// leaves the write-back to its retry instead of losing it.
type RowWriteback struct {
	// Change is the row change it rides on; nil for none.
	Change RowChange
	// Due is the event owed; WritebackNone leaves the column as it is.
	Due WritebackEvent
	// Seen is the custom field's value as NetBox just showed it (empty for
	// null); nil when it was not read.
	Seen *string
}

func (c RowWriteback) columns() map[string]any {
	m := map[string]any{}
	if c.Change != nil {
		maps.Copy(m, c.Change.columns())
	}
	switch c.Due {
	case WritebackNone:
	case WritebackUpdated:
		// A field-only write never replaces an owed create, adoption, link
		// or decommission, whose journal entry would be lost.
		m["netbox_writeback_due"] = fillEmpty{string(c.Due)}
	default:
		m["netbox_writeback_due"] = c.Due
	}
	if c.Seen != nil {
		m["netbox_field_value"] = *c.Seen
	}
	return m
}

// WritebackDone is one row whose owed write-back NetBox now has.
type WritebackDone struct {
	ObjectID int64
	// Due is the event that was sent; a newer one set meanwhile stays.
	Due WritebackEvent
	// Value is what the custom field now holds (empty for null).
	Value string
}

// DueWritebacks loads the rows of some objects of one type on a connection
// that owe NetBox a write-back.
func (s Store) DueWritebacks(ctx context.Context, connID uint, t ObjectType, ids []int64) ([]NetBoxIPExport, error) {
	var rows []NetBoxIPExport
	if len(ids) == 0 {
		return rows, nil
	}
	err := s.objects(ctx, connID, t).Where("netbox_object_id IN ? AND netbox_writeback_due <> ''", ids).
		Order("netbox_object_id").Find(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("load write-backs due on connection %d: %w", connID, err)
	}
	return rows, nil
}

// BatchObjectIDs lists, by object type, the objects of every entry of one
// batch of a run, applied or not, so a retried batch finds the write-backs
// an earlier attempt left owed.
func (s Store) BatchObjectIDs(ctx context.Context, runID uint, batch int) (map[ObjectType][]int64, error) {
	var keys []struct {
		ObjectType     ObjectType `gorm:"column:object_type"`
		NetBoxObjectID int64      `gorm:"column:netbox_object_id"`
	}
	err := s.entries(ctx, runID).Where("batch = ?", batch).Select("object_type", "netbox_object_id").
		Order("netbox_object_id").Find(&keys).Error
	if err != nil {
		return nil, fmt.Errorf("list objects of batch %d of run %d: %w", batch, runID, err)
	}
	out := map[ObjectType][]int64{}
	for _, k := range keys {
		out[k.ObjectType] = append(out[k.ObjectType], k.NetBoxObjectID)
	}
	return out, nil
}

// FinishWritebacks records that NetBox has the write-backs of done: the
// field's value is stored and the event cleared, unless a newer event was
// set meanwhile. It is one UPDATE per event sent (at most five) and 500
// rows, not one a row.
func (s Store) FinishWritebacks(ctx context.Context, connID uint, t ObjectType, done []WritebackDone) error {
	if len(done) == 0 {
		return nil
	}
	byDue := map[WritebackEvent][]WritebackDone{}
	var dues []WritebackEvent
	for _, d := range done {
		if _, ok := byDue[d.Due]; !ok {
			dues = append(dues, d.Due)
		}
		byDue[d.Due] = append(byDue[d.Due], d)
	}
	return s.Transaction(ctx, func(tx Store) error {
		for _, due := range dues {
			for chunk := range slices.Chunk(byDue[due], applyChunk) {
				ids := make([]int64, len(chunk))
				args := make([]any, 0, 2*len(chunk))
				var value strings.Builder
				value.WriteString("CASE netbox_object_id")
				for i, d := range chunk {
					ids[i] = d.ObjectID
					value.WriteString(" WHEN ? THEN ?")
					args = append(args, d.ObjectID, d.Value)
				}
				value.WriteString(" END")
				err := tx.objects(ctx, connID, t).Where("netbox_object_id IN ? AND netbox_writeback_due = ?", ids, due).
					Updates(map[string]any{"netbox_writeback_due": WritebackNone, "netbox_field_value": gorm.Expr(value.String(), args...)}).Error
				if err != nil {
					return fmt.Errorf("record write-back of %d %ss: %w", len(chunk), t, err)
				}
			}
		}
		return nil
	})
}

// OwedWritebacks loads up to limit rows of one object type on a connection
// that owe NetBox a write-back, oldest object first: what a failed batch or
// a refused write left behind, and what planning found stale.
func (s Store) OwedWritebacks(ctx context.Context, connID uint, t ObjectType, limit int) ([]NetBoxIPExport, error) {
	return s.OwedWritebacksOutside(ctx, connID, t, 0, limit)
}

// OwedWritebacksOutside is OwedWritebacks less the objects a batch of run
// runID holds (0: none): those batches write back their own rows, and a
// second writer of a row beside them would post its journal entry twice.
func (s Store) OwedWritebacksOutside(ctx context.Context, connID uint, t ObjectType, runID uint, limit int) ([]NetBoxIPExport, error) {
	var rows []NetBoxIPExport
	q := s.objects(ctx, connID, t).Where("netbox_writeback_due <> ''")
	if runID != 0 {
		q = q.Where(`NOT EXISTS (SELECT 1 FROM sync_plan_entries e WHERE e.sync_log_id = ? AND e.batch > 0
			AND e.object_type = netbox_ip_exports.object_type AND e.netbox_object_id = netbox_ip_exports.netbox_object_id)`, runID)
	}
	err := q.Order("netbox_object_id").Limit(limit).Find(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("load write-backs owed on connection %d: %w", connID, err)
	}
	return rows, nil
}
