package api

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/sirupsen/logrus"

	"github.com/wugsync/wugsync/models"
	"github.com/wugsync/wugsync/tasks"
)

// The seed plugin documented these routes and this answer shape; scripts
// written against it keep working. SeedPrefix is where they live.
const SeedPrefix = "/api/plugins/wug-sync"

// maxSeedResults caps per-device results in one answer; the full plan is
// at /api/v1/sync-logs/{id}/plan.
const maxSeedResults = 1000

// seedResult is the seed's answer: success, message, the three counters
// and per-device results, plus the run it refers to.
type seedResult struct {
	Success        bool               `json:"success"`
	Message        string             `json:"message"`
	DevicesCreated int                `json:"devices_created"`
	DevicesFailed  int                `json:"devices_failed"`
	TotalDevices   int                `json:"total_devices"`
	Results        []seedDeviceResult `json:"results"`
	RunID          *uint              `json:"run_id"`
	// Status is the run's status (queued while it goes on).
	Status string `json:"status,omitempty"`
	// URL is where the run can be followed.
	URL string `json:"url,omitempty"`
}

// seedDeviceResult is one device in a seed answer; device_id is the WUG
// device id, as in the seed.
type seedDeviceResult struct {
	DeviceName string `json:"device_name"`
	Success    bool   `json:"success"`
	// DeviceID is the WUG device id, null while the device has none.
	DeviceID       *string `json:"device_id"`
	Message        string  `json:"message"`
	NetBoxDeviceID int64   `json:"netbox_device_id,omitempty"`
	// ObjectType says whether the result is about a device or a virtual
	// machine (NetBoxVMID), when it is about a NetBox object.
	ObjectType models.ObjectType `json:"object_type,omitempty"`
	NetBoxVMID int64             `json:"netbox_vm_id,omitempty"`
	IPAddress  string            `json:"ip_address,omitempty"`
	// ConnectionID says which connection a device sync's result is for.
	ConnectionID uint `json:"connection_id,omitempty"`
}

// seedErrorBody is a seed-shaped failure that still carries the v1 error.
type seedErrorBody struct {
	Success bool        `json:"success"`
	Message string      `json:"message"`
	RunID   *uint       `json:"run_id"`
	Error   errorDetail `json:"error"`
}

// writeSeedError renders an error in the seed's shape.
func (s *Server) writeSeedError(c *gin.Context, err error) {
	var apiErr *Error
	if !errors.As(err, &apiErr) {
		s.requestLog(c).WithError(err).Error("request failed")
		apiErr = internalError
	}
	body := seedErrorBody{Message: apiErr.Message, Error: apiErr.body().Error}
	if apiErr.RunID != 0 {
		id := apiErr.RunID
		body.RunID = &id
	}
	c.AbortWithStatusJSON(apiErr.Status, body)
}

// seedExportInput is the seed's export body. Filters take NetBox ids
// (numbers) and slugs (strings), as the seed documented.
// exclude_recent_exports and export_type are accepted for old scripts and
// have no effect: an unchanged device costs nothing anyway.
type seedExportInput struct {
	DeviceFilters        *seedFilters `json:"device_filters"`
	DryRun               bool         `json:"dry_run"`
	ExcludeRecentExports *bool        `json:"exclude_recent_exports"`
	ExportType           *string      `json:"export_type"`
}

// seedFilters are the seed's filter names beside ours: device_roles means
// roles and status means statuses. The seed's job also read
// exclude_recent_exports from inside the filters; it is accepted there too,
// with no effect.
type seedFilters struct {
	models.DeviceFilters
	DeviceRoles          models.FilterValues `json:"device_roles"`
	Status               []string            `json:"status"`
	ExcludeRecentExports *bool               `json:"exclude_recent_exports"`
}

func (in seedExportInput) toExportInput() (exportInput, error) {
	// Full: the seed answered with one result per device of the selection,
	// and its scripts read those; an incremental run plans only what
	// changed, so it would answer for less.
	out := exportInput{DryRun: in.DryRun, Full: true}
	if in.DeviceFilters == nil {
		return out, nil
	}
	f := in.DeviceFilters.DeviceFilters
	f.Roles = append(f.Roles, in.DeviceFilters.DeviceRoles...)
	f.Statuses = append(f.Statuses, in.DeviceFilters.Status...)
	out.DeviceFilters = &f
	return out, nil
}

// SeedWaitSeconds is how long the seed's export and device sync routes wait
// for their runs by default: the seed answered when the work was done, and
// scripts written for it read the final counts from the answer.
const SeedWaitSeconds = 60

// seedExport is POST /api/plugins/wug-sync/connections/{id}/export/. It
// waits up to ?wait seconds (SeedWaitSeconds by default, 0 answers at once)
// and answers the final counts with one result per device, or, when the
// run goes on, 202 with the counts so far.
func (s *Server) seedExport(c *gin.Context) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	wait, err := queryInt(c, "wait", SeedWaitSeconds, 0, MaxWaitSeconds)
	if err != nil {
		return err
	}
	var in seedExportInput
	if err := decodeJSON(c.Request, &in, true); err != nil {
		return err
	}
	exp, err := in.toExportInput()
	if err != nil {
		return err
	}
	ctx := c.Request.Context()
	run, err := s.startExport(ctx, id, exp, models.TriggerAPI)
	if err != nil {
		return err
	}
	runs, err := s.seedWaitRuns(ctx, []uint{run.ID}, time.Duration(wait)*time.Second)
	if err != nil {
		return err
	}
	res, err := s.seedRunResult(c, runs[0])
	if err != nil {
		return err
	}
	status := http.StatusOK
	if runs[0].Status.Active() {
		status = http.StatusAccepted
	}
	c.JSON(status, res)
	return nil
}

// seedWaitRuns waits for the runs to end, all within wait, and returns
// them as they stand then. Past the cap on waiting clients, or when Redis
// cannot tell when runs end, it stops waiting and returns them as they
// stand: these routes answer 202 with the counts so far rather than an
// error a seed script would not expect.
func (s *Server) seedWaitRuns(ctx context.Context, ids []uint, wait time.Duration) ([]models.WUGSyncLog, error) {
	deadline := time.Now().Add(wait)
	runs := make([]models.WUGSyncLog, len(ids))
	for i, id := range ids {
		run, err := s.waitRun(ctx, id, time.Until(deadline))
		var apiErr *Error
		switch {
		case err == nil:
		case errors.As(err, &apiErr) && apiErr.Status == http.StatusServiceUnavailable && ctx.Err() == nil:
			s.p.Log.WithError(apiErr.Cause).WithField("run_id", id).Info("not waiting for the run; answering its counts so far")
			if run, err = s.q.run(ctx, id); err != nil {
				return nil, err
			}
		default:
			return nil, err
		}
		runs[i] = run
	}
	return runs, nil
}

// seedRunResult describes a run in the seed's shape, with per-device
// results once it has ended.
func (s *Server) seedRunResult(c *gin.Context, run models.WUGSyncLog) (seedResult, error) {
	id := run.ID
	res := seedResult{
		Success:        run.Status != models.RunFailed && run.Status != models.RunCancelled,
		DevicesCreated: run.DevicesCreated, DevicesFailed: run.DevicesFailed, TotalDevices: run.DevicesTotal,
		Results: []seedDeviceResult{}, RunID: &id, Status: string(run.Status), URL: runURL(run.ID),
	}
	switch run.Status {
	case models.RunQueued, models.RunRunning:
		res.Message = fmt.Sprintf("NetBox export queued as run %d; follow it at %s", run.ID, runURL(run.ID))
		return res, nil
	case models.RunCompleted:
		res.Message = "NetBox export completed successfully"
		if run.DryRun {
			res.Message = "NetBox export dry run completed; nothing was changed in WUG"
		}
	default:
		res.Message = fmt.Sprintf("NetBox export %s: %s", run.Status, run.ErrorMessage)
	}
	entries, total, err := s.q.planEntries(c.Request.Context(), run.ID, "", pageParams{Limit: maxSeedResults}, consideredOnly)
	if err != nil {
		return res, err
	}
	for _, e := range entries {
		res.Results = append(res.Results, seedDeviceFromPlan(e))
	}
	if total > maxSeedResults {
		res.Message += fmt.Sprintf(" (results show %d of %d devices; see %s/plan)", maxSeedResults, total, runURL(run.ID))
	}
	return res, nil
}

func seedDeviceFromPlan(e models.PlanEntry) seedDeviceResult {
	key := e.Key()
	r := seedDeviceResult{DeviceName: e.DeviceName, NetBoxDeviceID: e.NetBoxDeviceID, ObjectType: key.ObjectType,
		IPAddress: e.IPAddress, Success: e.Outcome != "failed" && e.Action != models.PlanSkip}
	if key.ObjectType == models.ObjectVirtualMachine {
		r.NetBoxVMID = key.ObjectID
	}
	if e.WUGDeviceID != "" {
		id := e.WUGDeviceID
		r.DeviceID = &id
	}
	verbs := map[models.PlanAction]string{
		models.PlanCreate: "Device created successfully", models.PlanUpdate: "Device updated successfully",
		models.PlanUnchanged: "Device unchanged", models.PlanDecommission: "Device decommissioned",
	}
	switch {
	case e.Outcome == "failed":
		r.Message = "Device export failed: " + e.Error
	case e.Action == models.PlanSkip:
		r.Message = "Device skipped: " + e.Reason
	case e.Outcome == "" && e.Action != models.PlanUnchanged:
		r.Message = "Device planned: " + string(e.Action)
	default:
		r.Message = verbs[e.Action]
	}
	return r
}

// seedDeviceSync is POST /api/plugins/wug-sync/netbox-device/{device_id}/sync/.
// It records one queued run per connection the device goes to, queues the
// sync, and waits for the runs like seedExport, answering the same shape:
// the summed counts and one result per connection.
func (s *Server) seedDeviceSync(c *gin.Context) error {
	id, err := pathNetBoxID(c, "device_id")
	if err != nil {
		return err
	}
	wait, err := queryInt(c, "wait", SeedWaitSeconds, 0, MaxWaitSeconds)
	if err != nil {
		return err
	}
	if err := decodeNoFields(c.Request); err != nil {
		return err
	}
	ctx := c.Request.Context()
	runIDs, err := s.startDeviceSyncRuns(ctx, id)
	if err != nil {
		return err
	}
	runs, err := s.seedWaitRuns(ctx, runIDs, time.Duration(wait)*time.Second)
	if err != nil {
		return err
	}
	res := seedResult{Success: true, Results: []seedDeviceResult{}, Status: string(models.RunCompleted)}
	status, active := http.StatusOK, 0
	for _, run := range runs {
		one, err := s.seedRunResult(c, run)
		if err != nil {
			return err
		}
		res.Success = res.Success && one.Success
		res.DevicesCreated += one.DevicesCreated
		res.DevicesFailed += one.DevicesFailed
		res.TotalDevices += one.TotalDevices
		for _, r := range one.Results {
			r.ConnectionID = run.ConnectionID
			res.Results = append(res.Results, r)
		}
		if run.Status.Active() {
			status, active, res.Status = http.StatusAccepted, active+1, string(run.Status)
		}
	}
	last := runs[len(runs)-1].ID
	res.RunID, res.URL = &last, runURL(last)
	switch {
	case active > 0:
		res.Message = fmt.Sprintf("NetBox device %d is being synced to %d connection(s); %d still running, follow them at /api/v1/sync-logs", id, len(runs), active)
	case res.Success:
		res.Message = fmt.Sprintf("NetBox device %d synced to %d connection(s)", id, len(runs))
	default:
		res.Message = fmt.Sprintf("NetBox device %d: the sync failed on at least one of %d connection(s)", id, len(runs))
	}
	c.JSON(status, res)
	return nil
}

// startDeviceSyncRuns records a queued one-device run on every connection
// a device sync reaches and queues the task that runs them.
func (s *Server) startDeviceSyncRuns(ctx context.Context, deviceID int64) ([]uint, error) {
	var conns []models.WUGConnection
	if err := s.p.DB.WithContext(ctx).Where("is_active = ? AND enable_netbox_export = ?", true, true).
		Order("id").Find(&conns).Error; err != nil {
		return nil, fmt.Errorf("list connections for device %d: %w", deviceID, err)
	}
	if len(conns) == 0 {
		return nil, conflict("no connection is active with export enabled; nothing would receive device %d", deviceID)
	}
	runs := make([]models.WUGSyncLog, len(conns))
	ids := make([]uint, len(conns))
	for i, conn := range conns {
		runs[i] = models.WUGSyncLog{ConnectionID: conn.ID, SyncType: models.SyncDevice, Trigger: models.TriggerAPI,
			Status: models.RunQueued}
	}
	if err := s.p.DB.WithContext(ctx).Create(&runs).Error; err != nil {
		return nil, fmt.Errorf("record device sync runs: %w", err)
	}
	for i, r := range runs {
		ids[i] = r.ID
	}
	err := s.p.Enqueuer.Enqueue(ctx, tasks.DeviceSyncPayload{NetBoxDeviceID: deviceID, Trigger: string(models.TriggerAPI), RunIDs: ids})
	if err != nil {
		// Without its task nothing would end these runs.
		now := time.Now().UTC()
		msg := "could not enqueue: " + err.Error()
		for _, id := range ids {
			if _, endErr := s.q.store.EndRun(context.WithoutCancel(ctx), id, models.RunFailed, msg, "", now); endErr != nil {
				s.p.Log.WithError(endErr).WithField("run_id", id).Error("could not end a device sync run that was never queued")
			}
		}
		return nil, unavailable("cannot queue the sync: %v", err)
	}
	s.p.Log.WithFields(logrus.Fields{"device_id": deviceID, "connections": len(conns), "trigger": models.TriggerAPI}).Info("device sync queued")
	return ids, nil
}

// seedStatistics is the seed's export-status counters.
type seedStatistics struct {
	TotalExports     int64 `json:"total_exports"`
	PendingExports   int64 `json:"pending_exports"`
	CompletedExports int64 `json:"completed_exports"`
	ErrorExports     int64 `json:"error_exports"`
	ScanTriggered    int64 `json:"scan_triggered"`
}

// seedRecentExport is one of the seed's recent_exports.
type seedRecentExport struct {
	IPAddress  string    `json:"ip_address"`
	Status     string    `json:"status"`
	Created    time.Time `json:"created"`
	DeviceName string    `json:"device_name"`
}

// seedExportStatusBody is the seed's export-status answer.
type seedExportStatusBody struct {
	Success        bool               `json:"success"`
	Message        string             `json:"message"`
	RunID          *uint              `json:"run_id"`
	ConnectionID   uint               `json:"connection_id"`
	ConnectionName string             `json:"connection_name"`
	ExportEnabled  bool               `json:"export_enabled"`
	LastExport     *time.Time         `json:"last_export"`
	TotalDevices   int64              `json:"total_devices"`
	Statistics     seedStatistics     `json:"statistics"`
	RecentExports  []seedRecentExport `json:"recent_exports"`
}

// seedExportStatus is GET /api/plugins/wug-sync/connections/{id}/export-status/.
func (s *Server) seedExportStatus(c *gin.Context) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	ctx := c.Request.Context()
	st, err := s.exportStatus(ctx, id)
	if err != nil {
		return err
	}
	rows, _, err := s.q.ipExports(ctx, ipExportFilter{ConnectionID: id}, pageParams{Limit: recentRunCount})
	if err != nil {
		return err
	}
	body := seedExportStatusBody{
		Success: true, Message: fmt.Sprintf("%d device(s) tracked on connection %q", st.Total, st.ConnectionName),
		ConnectionID: st.ConnectionID, ConnectionName: st.ConnectionName, ExportEnabled: st.EnableNetBoxExport,
		LastExport: st.LastExport, TotalDevices: st.Total, RecentExports: make([]seedRecentExport, 0, len(rows)),
		Statistics: seedStatistics{
			TotalExports:     st.Total,
			PendingExports:   st.Counts[string(models.ExportPending)],
			CompletedExports: st.Counts[string(models.ExportExported)] + st.Counts[string(models.ExportScanCompleted)],
			ErrorExports:     st.Counts[string(models.ExportError)],
			ScanTriggered:    st.Counts[string(models.ExportScanTriggered)],
		},
	}
	if len(st.RecentRuns) > 0 {
		latest := st.RecentRuns[0].ID
		body.RunID = &latest
	}
	for _, r := range rows {
		body.RecentExports = append(body.RecentExports, seedRecentExport{IPAddress: r.IPAddress,
			Status: string(r.ExportStatus), Created: r.CreatedAt, DeviceName: r.NetBoxDeviceName})
	}
	c.JSON(http.StatusOK, body)
	return nil
}

// seedIPExportList is the seed-style list of export rows.
type seedIPExportList struct {
	Success bool                    `json:"success"`
	Message string                  `json:"message"`
	Count   int64                   `json:"count"`
	Limit   int                     `json:"limit"`
	Offset  int                     `json:"offset"`
	Results []models.NetBoxIPExport `json:"results"`
}

// seedIPExports is GET /api/plugins/wug-sync/ip-exports/.
func (s *Server) seedIPExports(c *gin.Context) error {
	p, err := parsePage(c)
	if err != nil {
		return err
	}
	f, err := parseIPExportFilter(c)
	if err != nil {
		return err
	}
	rows, total, err := s.q.ipExports(c.Request.Context(), f, p)
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, seedIPExportList{Success: true, Message: fmt.Sprintf("%d export record(s)", total),
		Count: total, Limit: p.Limit, Offset: p.Offset, Results: rows})
	return nil
}

// seedBulkExport is POST /api/plugins/wug-sync/ip-exports/bulk-export/.
func (s *Server) seedBulkExport(c *gin.Context) error {
	var in bulkExportInput
	if err := decodeJSON(c.Request, &in, false); err != nil {
		return err
	}
	out, err := s.bulkExport(c.Request.Context(), in, models.TriggerAPI)
	if err != nil {
		return err
	}
	res := seedResult{Success: len(out.Queued) > 0, DevicesFailed: len(out.NotFound),
		TotalDevices: len(in.DeviceIDs) + len(in.IPAddresses), Results: []seedDeviceResult{}, Status: out.Status}
	for _, id := range out.Queued {
		res.Results = append(res.Results, seedDeviceResult{NetBoxDeviceID: id, Success: true, Message: "Device queued for export"})
	}
	for _, ip := range out.NotFound {
		res.Results = append(res.Results, seedDeviceResult{IPAddress: ip, Message: "No device with this IP address was exported on this connection"})
	}
	res.Message = fmt.Sprintf("%d device(s) queued for export, %d address(es) not found", len(out.Queued), len(out.NotFound))
	c.JSON(http.StatusAccepted, res)
	return nil
}
