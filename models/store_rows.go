package models

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/wugsync/wugsync/export"
)

// RowKey names the export row of one NetBox object on one connection.
type RowKey struct {
	ConnectionID uint
	ObjectType   ObjectType
	ObjectID     int64
}

// DeviceKey names the row of a NetBox device.
func DeviceKey(connID uint, deviceID int64) RowKey {
	return RowKey{ConnectionID: connID, ObjectType: ObjectDevice, ObjectID: deviceID}
}

// Key names the row of the object a plan entry is about.
func (e *PlanEntry) Key() RowKey {
	t, id := objectIdentity(e.ObjectType, e.NetBoxObjectID, e.NetBoxDeviceID)
	return RowKey{ConnectionID: e.ConnectionID, ObjectType: t, ObjectID: id}
}

// Key names the row.
func (r *NetBoxIPExport) Key() RowKey {
	t, id := objectIdentity(r.ObjectType, r.NetBoxObjectID, r.NetBoxDeviceID)
	return RowKey{ConnectionID: r.ConnectionID, ObjectType: t, ObjectID: id}
}

// deviceID is the netbox_device_id of a new row: the object's id for a
// device, none for other objects.
func (k RowKey) deviceID() int64 {
	if k.ObjectType == ObjectDevice {
		return k.ObjectID
	}
	return 0
}

// RowChange is one event in the life of an export row; each names the
// columns it sets, here and nowhere else.
type RowChange interface {
	columns() map[string]any
}

// RowCreateAttempt stamps (At) or clears (nil) the mark set just before a
// template call that may create the device.
type RowCreateAttempt struct{ At *time.Time }

func (c RowCreateAttempt) columns() map[string]any {
	return map[string]any{"create_attempted_at": c.At}
}

// RowLinked links the row to a WUG device found in WUG.
type RowLinked struct{ WUGDeviceID string }

func (c RowLinked) columns() map[string]any { return map[string]any{"wug_device_id": c.WUGDeviceID} }

// RowUnlinked forgets a WUG device someone deleted in WUG.
type RowUnlinked struct{}

func (RowUnlinked) columns() map[string]any {
	return map[string]any{"wug_device_id": "", "wug_group_id": ""}
}

// RowExported: WUG now holds the device as NetBox says. The create claim
// and mark go too: the link now stands for the device, so the claims'
// partial index keeps only creates in flight, and a later create (after
// someone deletes the device in WUG) is planned as a plain new device
// rather than looked up first for a call whose answer did come back.
type RowExported struct {
	WUGDeviceID, WUGGroupID string
	Reason                  ExportReason
	PayloadHash             string
	// Fields is the JSON of the export.Fields written.
	Fields   string
	Name, IP string
	At       time.Time
	RunID    uint
	Adopted  bool
}

func (c RowExported) columns() map[string]any {
	m := map[string]any{
		"wug_device_id": c.WUGDeviceID, "wug_group_id": c.WUGGroupID,
		"export_status": ExportExported, "export_reason": c.Reason,
		"payload_hash": c.PayloadHash, "exported_fields": c.Fields,
		"netbox_device_name": c.Name, "ip_address": c.IP,
		"exported_at": c.At, "error_message": "", "skip_reason": "", "last_run_id": c.RunID,
		"create_claim": clearedText, "create_claimed_at": clearedTime, "create_attempted_at": clearedTime,
	}
	if c.Adopted {
		m["adopted"] = true
	}
	return m
}

// RowFailed: a permanent failure, with its message. The create claim goes
// too, so a later run is free to create the device.
type RowFailed struct {
	Message string
	At      time.Time
	RunID   uint
}

func (c RowFailed) columns() map[string]any {
	return map[string]any{"export_status": ExportError, "error_message": c.Message, "error_at": c.At,
		"last_run_id": c.RunID, "create_claim": ""}
}

// RowScanStarted: the template failed and a discovery scan looks for the
// device instead.
type RowScanStarted struct {
	ScanID   string
	Why      string
	Name, IP string
	At       time.Time
	RunID    uint
}

func (c RowScanStarted) columns() map[string]any {
	return map[string]any{
		"export_status": ExportScanTriggered, "wug_scan_id": c.ScanID, "wug_scan_status": "started", "create_claim": "",
		"scan_triggered_at": c.At, "error_message": c.Why, "last_run_id": c.RunID,
		"netbox_device_name": c.Name, "ip_address": c.IP,
	}
}

// RowScanFound: the scan found the device; the next run writes our fields
// (the hash is cleared).
type RowScanFound struct {
	WUGDeviceID string
	At          time.Time
}

func (c RowScanFound) columns() map[string]any {
	return map[string]any{"export_status": ExportScanCompleted, "wug_device_id": c.WUGDeviceID,
		"wug_device_discovered": true, "wug_scan_status": "completed", "scan_completed_at": c.At,
		"error_message": "", "payload_hash": ""}
}

// RowScanMissed: the scan ended without the device (Finished) or timed out.
type RowScanMissed struct {
	Message  string
	At       time.Time
	Finished bool
}

func (c RowScanMissed) columns() map[string]any {
	m := map[string]any{"export_status": ExportError, "wug_scan_status": "timed out",
		"error_message": c.Message, "error_at": c.At}
	if c.Finished {
		m["wug_scan_status"], m["scan_completed_at"] = "not found", c.At
	}
	return m
}

// RowDecommissioned: the connection's decommission action ran. Deleted
// says the WUG device is gone for good: the link goes, and a device that
// comes back is created anew.
type RowDecommissioned struct {
	Note    string
	Deleted bool
	At      time.Time
	RunID   uint
}

func (c RowDecommissioned) columns() map[string]any {
	m := map[string]any{
		"export_status": ExportDecommissioned, "export_reason": ReasonDecommission,
		"decommissioned_at": c.At, "last_run_id": c.RunID, "error_message": "", "skip_reason": c.Note,
	}
	if c.Deleted {
		m["wug_device_id"], m["wug_group_id"], m["payload_hash"] = "", "", ""
	}
	return m
}

// UpdateRow applies a change to one row; it reports whether the row exists.
func (s Store) UpdateRow(ctx context.Context, key RowKey, c RowChange) (bool, error) {
	res := s.objects(ctx, key.ConnectionID, key.ObjectType).Where("netbox_object_id = ?", key.ObjectID).Updates(assignments(c))
	if res.Error != nil {
		return false, fmt.Errorf("update export row of %s %d: %w", key.ObjectType, key.ObjectID, res.Error)
	}
	return res.RowsAffected > 0, nil
}

// UpsertRow applies a change to one row, creating the row first (pending,
// named name at ip) when there is none: a dry run never creates rows, and
// a single-device sync may race a run. It is one INSERT … ON CONFLICT
// statement (UpsertRows).
func (s Store) UpsertRow(ctx context.Context, key RowKey, name, ip string, c RowChange) error {
	return s.UpsertRows(ctx, []RowUpsert{{Key: key, Name: name, IP: ip, Change: c}})
}

// UpdateRows applies one change to the rows of many objects of one type on
// a connection; it returns how many rows exist.
func (s Store) UpdateRows(ctx context.Context, connID uint, t ObjectType, ids []int64, c RowChange) (int64, error) {
	res := s.objects(ctx, connID, t).Where("netbox_object_id IN ?", ids).Updates(assignments(c))
	if res.Error != nil {
		return 0, fmt.Errorf("update %d export rows: %w", len(ids), res.Error)
	}
	return res.RowsAffected, nil
}

func (s Store) rows(ctx context.Context, connID uint) *gorm.DB {
	return s.db.WithContext(ctx).Model(&NetBoxIPExport{}).Where("connection_id = ?", connID)
}

func (s Store) objects(ctx context.Context, connID uint, t ObjectType) *gorm.DB {
	return s.rows(ctx, connID).Where("object_type = ?", t)
}

// RowsByObject loads the rows of some objects of one type on one
// connection, by object id.
func (s Store) RowsByObject(ctx context.Context, connID uint, t ObjectType, ids []int64) (map[int64]*NetBoxIPExport, error) {
	out := make(map[int64]*NetBoxIPExport, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	var rows []*NetBoxIPExport
	in, list := inList(s.db, "netbox_object_id", ids)
	if err := s.objects(ctx, connID, t).Where(in, list).Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("load export rows: %w", err)
	}
	for _, r := range rows {
		out[r.NetBoxObjectID] = r
	}
	return out, nil
}

// Row loads one row.
func (s Store) Row(ctx context.Context, key RowKey) (NetBoxIPExport, error) {
	var row NetBoxIPExport
	if err := s.objects(ctx, key.ConnectionID, key.ObjectType).Where("netbox_object_id = ?", key.ObjectID).
		First(&row).Error; err != nil {
		return row, fmt.Errorf("load export row of %s %d: %w", key.ObjectType, key.ObjectID, err)
	}
	return row, nil
}

// LinkedWUGDevices is the set of WUG device ids already linked on a
// connection; adoption never steals one of them.
func (s Store) LinkedWUGDevices(ctx context.Context, connID uint) (map[string]bool, error) {
	var ids []string
	if err := s.rows(ctx, connID).Where("wug_device_id <> ''").Pluck("wug_device_id", &ids).Error; err != nil {
		return nil, fmt.Errorf("load linked WUG devices: %w", err)
	}
	out := make(map[string]bool, len(ids))
	for _, id := range ids {
		out[id] = true
	}
	return out, nil
}

// linkedRowsPage is how many rows EachLinkedRow hands fn at a time.
const linkedRowsPage = 1000

// linkedIDsPage is how many object ids EachLinkedRow reads at a time.
const linkedIDsPage = 5000

// EachLinkedRow calls fn with the linked, not decommissioned rows of one
// object type on a connection (only those of ids when ids is not nil), a
// thousand at a time in object order, except the rows of the objects skip
// reports (none when skip is nil). The rows hold their key, name, address
// and WUG device only: every run that writes reads them all, and scanning
// all 32 columns of each was most of the cost of the end of a plan.
//
// It reads the object ids first, and loads the rows of those not skipped:
// a plan looking for the devices that left NetBox skips every object it
// listed, and by the end of a cold plan its own batches have linked nearly
// all of them. Loading each of those rows only to skip it took 128 ms at
// 10,000 devices and 531 ms at 100,000 on SQLite, at the end of the plan,
// which the run's end waits for (BENCHMARKS.md, ninth pass). The database
// is not asked to leave them out itself (NOT EXISTS on the run's plan
// entries): with statistics that predate the run, PostgreSQL read every
// entry of the run for each row, 10 s at 10,000.
//
// Both reads follow the unique index on the object id, so the whole costs
// one pass over the connection's rows, and a row that stopped being linked
// between the reads is left out.
func (s Store) EachLinkedRow(ctx context.Context, connID uint, t ObjectType, ids []int64, skip func(id int64) bool,
	fn func([]NetBoxIPExport) error) error {
	after := int64(math.MinInt64)
	for {
		q := s.linkedRows(ctx, connID, t).Where("netbox_object_id > ?", after)
		if ids != nil {
			q = q.Where("netbox_object_id IN ?", ids)
		}
		var page []int64
		if err := q.Order("netbox_object_id").Limit(linkedIDsPage).Pluck("netbox_object_id", &page).Error; err != nil {
			return fmt.Errorf("list linked export rows: %w", err)
		}
		var load []int64
		for _, id := range page {
			if skip == nil || !skip(id) {
				load = append(load, id)
			}
		}
		for chunk := range slices.Chunk(load, linkedRowsPage) {
			var rows []NetBoxIPExport
			err := s.linkedRows(ctx, connID, t).
				Select("id", "connection_id", "object_type", "netbox_object_id", "netbox_device_id", "netbox_device_name",
					"ip_address", "wug_device_id", "export_status").
				Where("netbox_object_id IN ?", chunk).Order("netbox_object_id").Find(&rows).Error
			if err != nil {
				return fmt.Errorf("load linked export rows: %w", err)
			}
			if len(rows) == 0 {
				continue
			}
			if err := fn(rows); err != nil {
				return err
			}
		}
		if len(page) < linkedIDsPage {
			return nil
		}
		after = page[len(page)-1]
	}
}

// linkedRows are the rows of one object type on a connection that are
// linked to a WUG device and not decommissioned.
func (s Store) linkedRows(ctx context.Context, connID uint, t ObjectType) *gorm.DB {
	return s.objects(ctx, connID, t).Where("wug_device_id <> '' AND export_status <> ?", ExportDecommissioned)
}

// Skipped is an object a run skipped, with why.
type Skipped struct {
	Key    RowKey
	Reason string
	// Name and IP, when Named, also refresh the row's name and address.
	Named    bool
	Name, IP string
}

// MarkSkipped upserts skipped rows of one run. A skipped device keeps its
// WUG link: skipping is not a decommission. A row first seen skipped names
// what touched it (trigger): a person's export is not "scheduled".
func (s Store) MarkSkipped(ctx context.Context, runID uint, trigger Trigger, at time.Time, skipped []Skipped) error {
	if len(skipped) == 0 {
		return nil
	}
	rows := make([]NetBoxIPExport, 0, len(skipped))
	named := false
	for _, k := range skipped {
		run := runID
		rows = append(rows, NetBoxIPExport{
			ConnectionID: k.Key.ConnectionID, ObjectType: k.Key.ObjectType, NetBoxObjectID: k.Key.ObjectID,
			NetBoxDeviceID: k.Key.deviceID(), ExportReason: export.ReasonForTrigger(trigger, false),
			ExportStatus: ExportSkipped, SkipReason: k.Reason, SkippedAt: &at, LastRunID: &run,
			NetBoxDeviceName: k.Name, IPAddress: k.IP,
		})
		named = named || k.Named
	}
	cols := []string{"export_status", "skip_reason", "skipped_at", "last_run_id", "updated_at"}
	if named {
		cols = append(cols, "netbox_device_name", "ip_address")
	}
	insert := insertColumns(newRowColumns, cols)
	var p Prepared
	for chunk := range slices.Chunk(rows, chunkRows(s.db, len(insert), sqliteListParams)) {
		err := p.add(s.dry(ctx).Select(insert).Clauses(clause.OnConflict{
			Columns:   []clause.Column{{Name: "connection_id"}, {Name: "object_type"}, {Name: "netbox_object_id"}},
			DoUpdates: clause.AssignmentColumns(cols),
		}).Create(chunk))
		if err != nil {
			return fmt.Errorf("build the upsert of %d skipped rows: %w", len(chunk), err)
		}
	}
	if err := s.Exec(ctx, p); err != nil {
		return fmt.Errorf("record skipped rows: %w", err)
	}
	return nil
}

// ClaimCreates gives claimer the right to create the unlinked objects of
// ids whose claim is free, its own, or older than staleBefore.
func (s Store) ClaimCreates(ctx context.Context, connID uint, t ObjectType, ids []int64, claimer string, now, staleBefore time.Time) error {
	err := s.objects(ctx, connID, t).Where("netbox_object_id IN ? AND wug_device_id = ''", ids).
		Where("create_claim = '' OR create_claim = ? OR create_claimed_at < ?", claimer, staleBefore).
		Updates(map[string]any{"create_claim": claimer, "create_claimed_at": now}).Error
	if err != nil {
		return fmt.Errorf("claim %d creates: %w", len(ids), err)
	}
	return nil
}

// ClaimCreatesMarked is ClaimCreates and the mark of an imminent template
// call (RowCreateAttempt) in one statement, which also returns the rows it
// claimed as they now are: a batch's creates cost one row statement, not
// a claim, a re-read and a mark (three statements, and on PostgreSQL three
// new versions of each row with an entry in every index of the table).
//
// A row that already carries a mark keeps it: an earlier call may have
// created its device, and the caller must look in WUG first. The caller
// tells the two apart with MarkedNow. The ids it does not return are
// linked already or claimed by another task.
func (s Store) ClaimCreatesMarked(ctx context.Context, connID uint, t ObjectType, ids []int64, claimer string, now, staleBefore time.Time) (map[int64]*NetBoxIPExport, error) {
	out := make(map[int64]*NetBoxIPExport, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	now = markTime(now)
	var rows []*NetBoxIPExport
	in, list := inList(s.db, "netbox_object_id", ids)
	err := s.db.WithContext(ctx).Raw(`UPDATE netbox_ip_exports
		SET create_claim = ?, create_claimed_at = ?, create_attempted_at = COALESCE(create_attempted_at, ?), updated_at = ?
		WHERE connection_id = ? AND object_type = ? AND `+in+` AND wug_device_id = ''
		AND (create_claim = '' OR create_claim = ? OR create_claimed_at < ?)
		RETURNING *`, claimer, now, now, now, connID, t, list, claimer, staleBefore).Scan(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("claim %d creates: %w", len(ids), err)
	}
	for _, r := range rows {
		out[r.NetBoxObjectID] = r
	}
	return out, nil
}

// InsertClaimedCreates inserts the rows of objects about to be created
// that have no row yet, claimed by claimer and marked for the template
// call (as ClaimCreatesMarked leaves a free row) at now, and returns the
// rows it inserted. A row that exists already stays as it is and is not
// returned: the caller claims it with ClaimCreatesMarked.
//
// A new object's row is thus written once before its device exists, not
// inserted pending by the planner and then claimed by the batch: a cold
// export's batch pays one row statement for its creates, and the planner,
// which every batch waits for, none (BENCHMARKS.md, sixth pass).
func (s Store) InsertClaimedCreates(ctx context.Context, rows []NetBoxIPExport, claimer string, now time.Time) (map[int64]*NetBoxIPExport, error) {
	out := make(map[int64]*NetBoxIPExport, len(rows))
	if len(rows) == 0 {
		return out, nil
	}
	p, claimed, err := s.prepareClaimedCreates(ctx, rows, claimer, now)
	if err != nil {
		return nil, err
	}
	stmts, err := s.forServer(ctx, p.stmts)
	if err != nil {
		return nil, err
	}
	byObject := make(map[int64]*NetBoxIPExport, len(claimed))
	for i := range claimed {
		byObject[claimed[i].NetBoxObjectID] = &claimed[i]
	}
	// Run on the connection as Exec runs prepared statements (no gorm
	// callbacks: the statement was built, and is counted, once). An
	// inserted row holds what was sent and, in every other column, the
	// zero value the model would bind (newRowColumns), so only its new id
	// is read back: scanning whole rows through gorm's reflection was the
	// largest cost of a batch of new devices (BENCHMARKS.md, seventh pass).
	insert := func(tx *gorm.DB) error {
		for _, st := range stmts {
			rows, err := tx.Statement.ConnPool.QueryContext(ctx, st.sql+" RETURNING id, netbox_object_id", st.vars...)
			if err != nil {
				return err
			}
			for rows.Next() {
				var id uint
				var object int64
				if err := rows.Scan(&id, &object); err != nil {
					rows.Close()
					return err
				}
				r := byObject[object]
				if r == nil {
					rows.Close()
					return fmt.Errorf("the insert returned object %d, which it was not given", object)
				}
				r.ID = id
				out[object] = r
			}
			if err := errors.Join(rows.Err(), rows.Close()); err != nil {
				return err
			}
		}
		return nil
	}
	db := s.db.WithContext(ctx)
	if len(stmts) > 1 {
		err = db.Transaction(insert)
	} else {
		err = insert(db)
	}
	if err != nil {
		return nil, fmt.Errorf("insert %d claimed rows: %w", len(rows), err)
	}
	return out, nil
}

// MarkedNow reports whether the row's create mark is the one
// ClaimCreatesMarked set at now, rather than an earlier attempt's.
func (r *NetBoxIPExport) MarkedNow(now time.Time) bool {
	return r.CreateAttemptedAt != nil && markTime(*r.CreateAttemptedAt).Equal(markTime(now))
}

// markTime is a mark's time as both databases store it (PostgreSQL keeps
// microseconds), so a mark read back compares equal to the one written.
func markTime(t time.Time) time.Time { return t.UTC().Truncate(time.Microsecond) }

// ReleaseCreateClaims frees every create claim held by claimer (a task
// that is known dead), so another task may create those objects at once.
func (s Store) ReleaseCreateClaims(ctx context.Context, claimer string) error {
	err := s.db.WithContext(ctx).Model(&NetBoxIPExport{}).
		// The empty test lets both databases use the partial index of
		// claims (00010) rather than read every row.
		Where("create_claim = ? AND create_claim <> ''", claimer).
		Updates(map[string]any{"create_claim": "", "create_claimed_at": nil}).Error
	if err != nil {
		return fmt.Errorf("release the create claims of %s: %w", claimer, err)
	}
	return nil
}

// RecordAttempt keeps one failed attempt at one device in the history and
// counts it on the row.
func (s Store) RecordAttempt(ctx context.Context, key RowKey, runID uint, taskType, msg string, at time.Time) error {
	row, err := s.Row(ctx, key)
	if err != nil {
		return err
	}
	connID := key.ConnectionID
	attempt := ExportAttempt{ConnectionID: &connID, ExportID: &row.ID, RunID: &runID,
		TaskType: taskType, Attempt: row.Attempts + 1, Error: msg, OccurredAt: at}
	if err := s.db.WithContext(ctx).Create(&attempt).Error; err != nil {
		return fmt.Errorf("record attempt of %s %d: %w", key.ObjectType, key.ObjectID, err)
	}
	if err := s.rows(ctx, connID).Where("id = ?", row.ID).Update("attempts", row.Attempts+1).Error; err != nil {
		return fmt.Errorf("count attempt of %s %d: %w", key.ObjectType, key.ObjectID, err)
	}
	return nil
}

// OpenScan is a discovery scan that rows still wait for.
type OpenScan struct {
	ConnectionID uint
	WUGScanID    string
}

// OpenScans lists the scans rows wait for.
func (s Store) OpenScans(ctx context.Context) ([]OpenScan, error) {
	var scans []OpenScan
	if err := s.db.WithContext(ctx).Model(&NetBoxIPExport{}).Select("DISTINCT connection_id, wug_scan_id").
		// The status is written out, not bound, so both databases see that
		// the partial index of open scans (00010) covers the query.
		Where("export_status = '" + string(ExportScanTriggered) + "' AND wug_scan_id <> ''").Scan(&scans).Error; err != nil {
		return nil, fmt.Errorf("list open scans: %w", err)
	}
	return scans, nil
}

// ScanRows loads the rows that wait for one scan.
func (s Store) ScanRows(ctx context.Context, connID uint, scanID string) ([]NetBoxIPExport, error) {
	var rows []NetBoxIPExport
	if err := s.db.WithContext(ctx).Where("connection_id = ? AND wug_scan_id = ? AND export_status = ?",
		connID, scanID, ExportScanTriggered).Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("load rows of scan %s: %w", scanID, err)
	}
	return rows, nil
}

// SetScanStatus records a scan's progress on its rows.
func (s Store) SetScanStatus(ctx context.Context, connID uint, scanID, status string) error {
	if err := s.rows(ctx, connID).Where("wug_scan_id = ?", scanID).Update("wug_scan_status", status).Error; err != nil {
		return fmt.Errorf("record progress of scan %s: %w", scanID, err)
	}
	return nil
}

// CreatePlanEntries stores new plan entries: multi-row INSERTs as large
// as the bind-parameter limit allows for the entry's columns (as the GORM
// schema lists them, so a new column is carried and shrinks the chunk),
// in one transaction. The statements are built before a connection is
// taken (Prepared), and the entries get no ids: nobody reads them from
// the planner's copies (a batch loads its entries), and reading them back
// (RETURNING) cost a row and a scan per entry.
func (s Store) CreatePlanEntries(ctx context.Context, entries []*PlanEntry) error {
	if len(entries) == 0 {
		return nil
	}
	p, err := s.preparePlanEntries(ctx, entries)
	if err != nil {
		return err
	}
	if err := s.Exec(ctx, p); err != nil {
		return fmt.Errorf("store plan entries: %w", err)
	}
	return nil
}

// CreatingRuns returns, by connection, the active run that plans to create
// the object and has not yet: since a new object's row is inserted by its
// batch (InsertClaimedCreates), such an object has a plan entry but no row
// until its batch starts.
func (s Store) CreatingRuns(ctx context.Context, t ObjectType, id int64) (map[uint]uint, error) {
	out := map[uint]uint{}
	// The active runs first (a handful at most, none most of the time),
	// then their entries by run: the entries' index leads with the run, and
	// a query by object alone would read every retained plan.
	var active []uint
	if err := s.db.WithContext(ctx).Model(&WUGSyncLog{}).Where("status IN ?", []RunStatus{RunQueued, RunRunning}).
		Pluck("id", &active).Error; err != nil {
		return nil, fmt.Errorf("find the runs creating %s %d: %w", t, id, err)
	}
	if len(active) == 0 {
		return out, nil
	}
	var found []struct {
		ConnectionID uint `gorm:"column:connection_id"`
		RunID        uint `gorm:"column:sync_log_id"`
	}
	err := s.db.WithContext(ctx).Model(&PlanEntry{}).Select("connection_id, sync_log_id").
		Where("sync_log_id IN ? AND object_type = ? AND netbox_object_id = ? AND action = ? AND outcome = ''",
			active, t, id, PlanCreate).
		Scan(&found).Error
	if err != nil {
		return nil, fmt.Errorf("find the runs creating %s %d: %w", t, id, err)
	}
	for _, f := range found {
		out[f.ConnectionID] = f.RunID
	}
	return out, nil
}

// ClearPlan deletes the entries of an unfinished plan.
func (s Store) ClearPlan(ctx context.Context, runID uint) error {
	if err := s.db.WithContext(ctx).Where("sync_log_id = ?", runID).Delete(&PlanEntry{}).Error; err != nil {
		return fmt.Errorf("clear earlier partial plan: %w", err)
	}
	return nil
}

// PendingEntries loads the entries of one batch of a run that no attempt
// finished, in device order.
//
// The rows are scanned by hand, column by column (pendingEntryColumns),
// and the planned writes decoded once the rows are read: gorm's scan
// reflects over every field of every entry and decodes a serialized
// column while it scans, with the statement's connection held (on SQLite
// the one connection the planner and the other batches wait for).
func (s Store) PendingEntries(ctx context.Context, runID uint, batch int) ([]*PlanEntry, error) {
	rows, err := s.db.WithContext(ctx).Table(PlanEntry{}.TableName()).Select(pendingEntryColumns).
		Where("sync_log_id = ? AND batch = ? AND outcome = ''", runID, batch).
		Order("netbox_object_id").Rows()
	if err != nil {
		return nil, fmt.Errorf("load batch %d of run %d: %w", batch, runID, err)
	}
	var entries []*PlanEntry
	var diffs, mapped [][]byte
	for rows.Next() {
		e := new(PlanEntry)
		var objectType, action, outcome string
		var diff, write []byte
		err := rows.Scan(&e.ID, &e.RunID, &e.ConnectionID, &objectType, &e.NetBoxObjectID, &e.NetBoxDeviceID,
			&e.DeviceName, &e.IPAddress, &action, &e.Reason, &e.WUGDeviceID, &diff, &e.PayloadHash, &write,
			&e.Batch, &e.Excluded, &outcome, &e.Error, &e.CreatedAt)
		if err != nil {
			rows.Close()
			return nil, fmt.Errorf("load batch %d of run %d: scan an entry: %w", batch, runID, err)
		}
		e.ObjectType, e.Action, e.Outcome = ObjectType(objectType), PlanAction(action), Outcome(outcome)
		entries, diffs, mapped = append(entries, e), append(diffs, diff), append(mapped, write)
	}
	if err := errors.Join(rows.Err(), rows.Close()); err != nil {
		return nil, fmt.Errorf("load batch %d of run %d: %w", batch, runID, err)
	}
	for i, e := range entries {
		// As gorm's JSON serializer reads them: NULL (and empty) stays nil.
		if len(diffs[i]) > 0 {
			if err := json.Unmarshal(diffs[i], &e.Diff); err != nil {
				return nil, fmt.Errorf("diff of %s %d in run %d: %w", e.ObjectType, e.NetBoxObjectID, runID, err)
			}
		}
		if len(mapped[i]) > 0 {
			if err := json.Unmarshal(mapped[i], &e.Mapped); err != nil {
				return nil, fmt.Errorf("planned write of %s %d in run %d: %w", e.ObjectType, e.NetBoxObjectID, runID, err)
			}
		}
	}
	return entries, nil
}

// pendingEntryColumns are the columns PendingEntries reads, in the order
// of its scan. TestPendingEntriesReadWhatGormReads holds them to the
// model.
const pendingEntryColumns = "id, sync_log_id, connection_id, object_type, netbox_object_id, netbox_device_id, " +
	"device_name, ip_address, action, reason, wug_device_id, diff, payload_hash, mapped, " +
	"batch, excluded, outcome, error, created_at"

// SkipEntry turns an object's stored entry into a skip with reason (an IP
// conflict found on a later page); a skip stays as it is.
func (s Store) SkipEntry(ctx context.Context, runID uint, key RowKey, reason string) error {
	err := s.entry(ctx, runID, key).Where("action <> ?", PlanSkip).
		Updates(map[string]any{"action": PlanSkip, "reason": reason, "diff": nil}).Error
	if err != nil {
		return fmt.Errorf("mark IP conflict on %s %d: %w", key.ObjectType, key.ObjectID, err)
	}
	return nil
}

// AdoptEntry turns a planned create into the update of the WUG device
// found at its address.
func (s Store) AdoptEntry(ctx context.Context, runID uint, key RowKey, wugID, reason string) error {
	return s.AdoptEntryHeld(ctx, runID, key, wugID, reason, nil)
}

// AdoptEntryHeld is AdoptEntry that also stores, as the entry's diff, what
// WUG showed of the device (export.Held.Changes), so the batch writes only
// what differs without reading the device again.
func (s Store) AdoptEntryHeld(ctx context.Context, runID uint, key RowKey, wugID, reason string, held json.RawMessage) error {
	err := s.entry(ctx, runID, key).
		Updates(map[string]any{"action": PlanUpdate, "wug_device_id": wugID, "reason": reason, "diff": held}).Error
	if err != nil {
		return fmt.Errorf("record adoption of WUG device %s: %w", wugID, err)
	}
	return nil
}

// LinkEntry records the WUG device an entry acts on, and why.
func (s Store) LinkEntry(ctx context.Context, e *PlanEntry, wugID, reason string) error {
	if err := s.entryByID(ctx, e.ID).Updates(map[string]any{"wug_device_id": wugID, "reason": reason}).Error; err != nil {
		return fmt.Errorf("record link of device %d: %w", e.NetBoxDeviceID, err)
	}
	e.WUGDeviceID, e.Reason = wugID, reason
	return nil
}

// ReplanEntry stores the diff an entry was decided again on.
func (s Store) ReplanEntry(ctx context.Context, e *PlanEntry, diff json.RawMessage, hash string) error {
	if err := s.entryByID(ctx, e.ID).Updates(map[string]any{"diff": diff, "payload_hash": hash}).Error; err != nil {
		return fmt.Errorf("record the new plan of device %d: %w", e.NetBoxDeviceID, err)
	}
	e.Diff, e.PayloadHash = diff, hash
	return nil
}

// SetOutcome records what a batch did with an entry, and the WUG device it
// acted on.
func (s Store) SetOutcome(ctx context.Context, e *PlanEntry, outcome Outcome, msg string) error {
	e.Outcome, e.Error = outcome, msg
	err := s.entryByID(ctx, e.ID).Updates(map[string]any{"outcome": outcome, "error": msg, "wug_device_id": e.WUGDeviceID}).Error
	if err != nil {
		return fmt.Errorf("record outcome of device %d: %w", e.NetBoxDeviceID, err)
	}
	return nil
}

func (s Store) entries(ctx context.Context, runID uint) *gorm.DB {
	return s.db.WithContext(ctx).Model(&PlanEntry{}).Where("sync_log_id = ?", runID)
}

func (s Store) entryByID(ctx context.Context, id uint) *gorm.DB {
	return s.db.WithContext(ctx).Model(&PlanEntry{}).Where("id = ?", id)
}

func (s Store) entry(ctx context.Context, runID uint, key RowKey) *gorm.DB {
	return s.entries(ctx, runID).Where("object_type = ? AND netbox_object_id = ?", key.ObjectType, key.ObjectID)
}

// prepareClaimedCreates builds the inserts of InsertClaimedCreates, without
// their RETURNING: a batch's rows in one statement on both databases.
// It also returns the rows as it inserts them.
func (s Store) prepareClaimedCreates(ctx context.Context, rows []NetBoxIPExport, claimer string, now time.Time) (Prepared, []NetBoxIPExport, error) {
	now = markTime(now)
	// Each row holds exactly the columns inserted (cols), so that it is the
	// stored row once it has its id.
	claimed := make([]NetBoxIPExport, len(rows))
	for i, r := range rows {
		objectType, objectID := objectIdentity(r.ObjectType, r.NetBoxObjectID, r.NetBoxDeviceID)
		claimed[i] = NetBoxIPExport{ConnectionID: r.ConnectionID, ObjectType: objectType, NetBoxObjectID: objectID,
			NetBoxDeviceID: r.NetBoxDeviceID, NetBoxDeviceName: r.NetBoxDeviceName, IPAddress: r.IPAddress,
			ExportReason: r.ExportReason, ExportStatus: r.ExportStatus, CreatedAt: now, UpdatedAt: now,
			LastRunID: r.LastRunID, CreateClaim: claimer, CreateClaimedAt: &now, CreateAttemptedAt: &now}
	}
	cols := insertColumns(newRowColumns, []string{"last_run_id", "create_claim", "create_claimed_at", "create_attempted_at"})
	var p Prepared
	for chunk := range slices.Chunk(claimed, chunkRows(s.db, len(cols), sqliteBatchParams)) {
		if err := p.add(s.dry(ctx).Select(cols).Clauses(clause.OnConflict{DoNothing: true}).Create(chunk)); err != nil {
			return p, nil, fmt.Errorf("build the insert of %d claimed rows: %w", len(chunk), err)
		}
	}
	return p, claimed, nil
}

// preparePlanEntries builds the statements of CreatePlanEntries.
func (s Store) preparePlanEntries(ctx context.Context, entries []*PlanEntry) (Prepared, error) {
	var p Prepared
	for chunk := range slices.Chunk(entries, insertChunk(s.db, &PlanEntry{})) {
		if err := p.add(s.dry(ctx).Create(chunk)); err != nil {
			return p, fmt.Errorf("build the insert of %d plan entries: %w", len(chunk), err)
		}
	}
	return p, nil
}
