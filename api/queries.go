package api

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"gorm.io/gorm"

	"github.com/wugsync/wugsync/models"
)

// queries holds the database reads of the handlers, so handlers stay glue
// and every query is written once.
type queries struct {
	db *gorm.DB
	// store is the typed access the API shares with the workers, built
	// once over db.
	store models.Store
}

func (q queries) connection(ctx context.Context, id uint) (models.WUGConnection, error) {
	conn, err := q.store.Connection(ctx, id)
	if models.IsNotFound(err) {
		return conn, notFound("no connection with id %d", id)
	}
	return conn, err
}

func (q queries) connections(ctx context.Context, p pageParams) ([]models.WUGConnection, int64, error) {
	tx := q.db.WithContext(ctx).Model(&models.WUGConnection{})
	var total int64
	if err := tx.Count(&total).Error; err != nil {
		return nil, 0, fmt.Errorf("count connections: %w", err)
	}
	conns := []models.WUGConnection{}
	if err := tx.Order("name").Limit(p.Limit).Offset(p.Offset).Find(&conns).Error; err != nil {
		return nil, 0, fmt.Errorf("list connections: %w", err)
	}
	return conns, total, nil
}

// connectionNames maps connection ids to names for run rows.
func (q queries) connectionNames(ctx context.Context, ids []uint) (map[uint]string, error) {
	names := make(map[uint]string, len(ids))
	if len(ids) == 0 {
		return names, nil
	}
	var conns []models.WUGConnection
	if err := q.db.WithContext(ctx).Select("id", "name").Where("id IN ?", ids).Find(&conns).Error; err != nil {
		return nil, fmt.Errorf("load connection names: %w", err)
	}
	for _, c := range conns {
		names[c.ID] = c.Name
	}
	return names, nil
}

// runViews decorates runs with their connection names.
func (q queries) runViews(ctx context.Context, runs []models.WUGSyncLog) ([]runView, error) {
	ids := make([]uint, 0, len(runs))
	for _, r := range runs {
		ids = append(ids, r.ConnectionID)
	}
	names, err := q.connectionNames(ctx, ids)
	if err != nil {
		return nil, err
	}
	views := make([]runView, 0, len(runs))
	for _, r := range runs {
		views = append(views, newRunView(r, names[r.ConnectionID]))
	}
	return views, nil
}

// runFilter narrows GET /sync-logs.
type runFilter struct {
	ConnectionID uint
	Status       models.RunStatus
	SyncType     models.SyncType
}

func (q queries) runs(ctx context.Context, f runFilter, p pageParams) ([]models.WUGSyncLog, int64, error) {
	tx := q.db.WithContext(ctx).Model(&models.WUGSyncLog{})
	if f.ConnectionID != 0 {
		tx = tx.Where("connection_id = ?", f.ConnectionID)
	}
	if f.Status != "" {
		tx = tx.Where("status = ?", f.Status)
	}
	if f.SyncType != "" {
		tx = tx.Where("sync_type = ?", f.SyncType)
	}
	var total int64
	if err := tx.Count(&total).Error; err != nil {
		return nil, 0, fmt.Errorf("count runs: %w", err)
	}
	runs := []models.WUGSyncLog{}
	if err := tx.Order("id DESC").Limit(p.Limit).Offset(p.Offset).Find(&runs).Error; err != nil {
		return nil, 0, fmt.Errorf("list runs: %w", err)
	}
	return runs, total, nil
}

func (q queries) run(ctx context.Context, id uint) (models.WUGSyncLog, error) {
	run, err := q.store.Run(ctx, id)
	if models.IsNotFound(err) {
		return run, notFound("no sync log with id %d", id)
	}
	return run, err
}

func (q queries) planEntries(ctx context.Context, runID uint, action models.PlanAction, p pageParams, only ...func(*gorm.DB) *gorm.DB) ([]models.PlanEntry, int64, error) {
	tx := q.db.WithContext(ctx).Model(&models.PlanEntry{}).Where("sync_log_id = ?", runID).Scopes(only...)
	if action != "" {
		tx = tx.Where("action = ?", action)
	}
	var total int64
	if err := tx.Count(&total).Error; err != nil {
		return nil, 0, fmt.Errorf("count plan of run %d: %w", runID, err)
	}
	entries := []models.PlanEntry{}
	if err := tx.Order("id").Limit(p.Limit).Offset(p.Offset).Find(&entries).Error; err != nil {
		return nil, 0, fmt.Errorf("list plan of run %d: %w", runID, err)
	}
	return entries, total, nil
}

// recentRuns returns a connection's newest runs of any kind.
func (q queries) recentRuns(ctx context.Context, connectionID uint, n int) ([]models.WUGSyncLog, error) {
	runs := []models.WUGSyncLog{}
	err := q.db.WithContext(ctx).Where("connection_id = ?", connectionID).Order("id DESC").Limit(n).Find(&runs).Error
	if err != nil {
		return nil, fmt.Errorf("list recent runs of connection %d: %w", connectionID, err)
	}
	return runs, nil
}

// ipExportFilter narrows GET /ip-exports.
type ipExportFilter struct {
	ConnectionID uint
	Status       models.ExportStatus
	IP           string
	DeviceID     int64
	// ObjectType keeps one kind of object; VMID one virtual machine.
	ObjectType models.ObjectType
	VMID       int64
	// DeviceName matches names containing it, ignoring case.
	DeviceName string
}

func (q queries) ipExports(ctx context.Context, f ipExportFilter, p pageParams) ([]models.NetBoxIPExport, int64, error) {
	tx := q.db.WithContext(ctx).Model(&models.NetBoxIPExport{})
	if f.ConnectionID != 0 {
		tx = tx.Where("connection_id = ?", f.ConnectionID)
	}
	if f.Status != "" {
		tx = tx.Where("export_status = ?", f.Status)
	}
	if f.IP != "" {
		tx = tx.Where("ip_address = ?", f.IP)
	}
	if f.DeviceID != 0 {
		tx = tx.Where("netbox_device_id = ?", f.DeviceID)
	}
	if f.ObjectType != "" {
		tx = tx.Where("object_type = ?", f.ObjectType)
	}
	if f.VMID != 0 {
		tx = tx.Where("object_type = ? AND netbox_object_id = ?", models.ObjectVirtualMachine, f.VMID)
	}
	if f.DeviceName != "" {
		tx = tx.Where("LOWER(netbox_device_name) LIKE ? ESCAPE '\\'", "%"+escapeLike(strings.ToLower(f.DeviceName))+"%")
	}
	var total int64
	if err := tx.Count(&total).Error; err != nil {
		return nil, 0, fmt.Errorf("count ip exports: %w", err)
	}
	rows := []models.NetBoxIPExport{}
	if err := tx.Order("id DESC").Limit(p.Limit).Offset(p.Offset).Find(&rows).Error; err != nil {
		return nil, 0, fmt.Errorf("list ip exports: %w", err)
	}
	return rows, total, nil
}

func (q queries) ipExport(ctx context.Context, id uint) (models.NetBoxIPExport, error) {
	var row models.NetBoxIPExport
	err := q.db.WithContext(ctx).First(&row, id).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return row, notFound("no ip export with id %d", id)
	}
	if err != nil {
		return row, fmt.Errorf("load ip export %d: %w", id, err)
	}
	return row, nil
}

// attempts returns a page of the kept failed attempts of one export row,
// oldest first, so the history reads in order, and how many are kept (the
// sweep keeps each row's latest WUGSYNC_ATTEMPTS_PER_ROW; the row's
// attempts column counts them all).
func (q queries) attempts(ctx context.Context, exportID uint, p pageParams) ([]models.ExportAttempt, int64, error) {
	tx := q.db.WithContext(ctx).Model(&models.ExportAttempt{}).Where("export_id = ?", exportID)
	var total int64
	if err := tx.Count(&total).Error; err != nil {
		return nil, 0, fmt.Errorf("count attempts of ip export %d: %w", exportID, err)
	}
	out := []models.ExportAttempt{}
	err := tx.Order("occurred_at, id").Limit(p.Limit).Offset(p.Offset).Find(&out).Error
	if err != nil {
		return nil, 0, fmt.Errorf("load attempts of ip export %d: %w", exportID, err)
	}
	return out, total, nil
}

// exportCounts counts a connection's rows by export_status, with every
// status present (zero when none).
func (q queries) exportCounts(ctx context.Context, connectionID uint) (map[string]int64, int64, error) {
	var rows []struct {
		ExportStatus string
		N            int64
	}
	err := q.db.WithContext(ctx).Model(&models.NetBoxIPExport{}).
		Select("export_status, COUNT(*) AS n").Where("connection_id = ?", connectionID).
		Group("export_status").Scan(&rows).Error
	if err != nil {
		return nil, 0, fmt.Errorf("count exports of connection %d: %w", connectionID, err)
	}
	counts := make(map[string]int64, len(models.ExportStatuses()))
	for _, s := range models.ExportStatuses() {
		counts[string(s)] = 0
	}
	var total int64
	for _, r := range rows {
		counts[r.ExportStatus] += r.N
		total += r.N
	}
	return counts, total, nil
}

// devicesByIP resolves addresses to the NetBox devices a connection's rows
// hold them for. Addresses without a row are absent from the map.
func (q queries) devicesByIP(ctx context.Context, connectionID uint, ips []string) (map[string][]int64, error) {
	return q.objectsByIP(ctx, connectionID, models.ObjectDevice, ips)
}

// objectsByIP is devicesByIP for NetBox objects of type t.
func (q queries) objectsByIP(ctx context.Context, connectionID uint, t models.ObjectType, ips []string) (map[string][]int64, error) {
	out := map[string][]int64{}
	if len(ips) == 0 {
		return out, nil
	}
	var rows []models.NetBoxIPExport
	tx := q.db.WithContext(ctx).Select("netbox_object_id", "ip_address").
		Where("object_type = ? AND ip_address IN ?", t, ips)
	if connectionID != 0 {
		tx = tx.Where("connection_id = ?", connectionID)
	}
	if err := tx.Order("netbox_object_id").Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("resolve addresses to %ss: %w", t.Noun(), err)
	}
	for _, r := range rows {
		out[r.IPAddress] = appendUnique(out[r.IPAddress], r.NetBoxObjectID)
	}
	return out, nil
}

// syncTargets counts the connections a device sync reaches.
func (q queries) syncTargets(ctx context.Context) (int64, error) {
	return q.store.CountExportConnections(ctx)
}

// vmSyncTargets counts the connections a VM sync reaches: those that
// export virtual machines.
func (q queries) vmSyncTargets(ctx context.Context) (int64, error) {
	return q.store.CountVMExportConnections(ctx)
}

func escapeLike(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}

func appendUnique[T comparable](list []T, v T) []T {
	for _, x := range list {
		if x == v {
			return list
		}
	}
	return append(list, v)
}
