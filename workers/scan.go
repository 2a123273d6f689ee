package workers

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"time"

	"github.com/wugsync/wugsync/export"
	"github.com/wugsync/wugsync/models"
	"github.com/wugsync/wugsync/tasks"
	"github.com/wugsync/wugsync/wug"
)

// pollScan follows one fallback discovery scan. While the scan runs it
// snoozes itself with growing delays (a new task, no retry burnt); when the
// scan ends it links the devices it found, and it gives up after
// ScanTimeout. Rows that the scan did not find become errors.
func (w *Worker) pollScan(ctx context.Context, p tasks.ScanStatusPayload) error {
	conn, err := w.loadConnection(ctx, p.ConnectionID)
	if err != nil {
		return err
	}
	rows, err := w.store.ScanRows(ctx, conn.ID, p.ScanID)
	if err != nil {
		return err
	}
	if len(rows) == 0 {
		return nil // resolved by an earlier poll
	}
	client, _, err := w.wugClient(conn)
	if err != nil {
		return err
	}
	delay := w.scanDelay(p.Poll)
	w.p.Redis.Set(ctx, scanHeartbeatKey(conn.ID, p.ScanID), "1", delay+2*time.Minute)

	scan, err := client.ScanStatus(ctx, p.ScanID)
	switch {
	case errors.Is(err, wug.ErrNotFound):
		// WUG ages scans out; what it found may still be listed.
	case err != nil:
		return fmt.Errorf("read status of scan %s: %w", p.ScanID, err)
	case !scan.Done():
		started := earliestTrigger(rows)
		if w.now().Sub(started) > w.p.ScanTimeout {
			return w.resolveScanRows(ctx, conn, rows, nil,
				fmt.Sprintf("discovery scan %s did not finish within %s", p.ScanID, w.p.ScanTimeout))
		}
		progress := fmt.Sprintf("running: %s %.0f%%", scan.Phase, scan.Progress)
		if err := w.store.SetScanStatus(ctx, conn.ID, p.ScanID, strings.TrimSpace(progress)); err != nil {
			return err
		}
		next := p
		next.Poll, next.Delay = next.Poll+1, delay
		if err := w.p.Enqueuer.Enqueue(ctx, next); err != nil && !errors.Is(err, tasks.ErrAlreadyQueued) {
			return err
		}
		return nil
	}
	found, err := client.ScanDevices(ctx, p.ScanID)
	if err != nil && !errors.Is(err, wug.ErrNotFound) {
		return fmt.Errorf("read devices of scan %s: %w", p.ScanID, err)
	}
	return w.resolveScanRows(ctx, conn, rows, found, "")
}

// resolveScanRows links each row to the device the scan found at its IP,
// or records why it could not.
func (w *Worker) resolveScanRows(ctx context.Context, conn models.WUGConnection, rows []models.NetBoxIPExport, found []wug.DeviceOverview, failure string) error {
	byAddr := export.OldestByAddress(found, nil)
	now := w.now()
	var linked []models.NetBoxIPExport
	for _, r := range rows {
		addr, _ := netip.ParseAddr(r.IPAddress)
		id, ok := byAddr[addr.Unmap()]
		var change models.RowChange
		switch {
		case failure == "" && ok:
			change = models.RowScanFound{WUGDeviceID: id, At: now}
			if writebackOn(conn) {
				change = models.RowWriteback{Change: change, Due: models.WritebackLinked}
				linked = append(linked, r)
			}
			w.p.Metrics.Devices(conn.Name, "discovered", 1)
		case failure == "":
			change = models.RowScanMissed{Finished: true, At: now,
				Message: fmt.Sprintf("discovery scan %s finished without finding %s", r.WUGScanID, r.IPAddress)}
		default:
			change = models.RowScanMissed{Message: failure, At: now}
		}
		if _, err := w.store.UpdateRow(ctx, r.Key(), change); err != nil {
			return err
		}
	}
	if err := w.writeBackLinks(ctx, conn, linked); err != nil {
		return err
	}
	w.p.Redis.Del(ctx, scanHeartbeatKey(conn.ID, rows[0].WUGScanID))
	if err := tasks.PublishScanEnded(ctx, w.p.Redis, conn.ID, rows[0].WUGScanID); err != nil {
		w.connectionLog(conn).WithError(err).Warn("could not announce the end of a scan")
	}
	return nil
}

// scanDelay doubles from ScanPollBase up to ScanPollMax.
func (w *Worker) scanDelay(poll int) time.Duration {
	d := w.p.ScanPollBase
	for i := 0; i < poll && d < w.p.ScanPollMax; i++ {
		d *= 2
	}
	return min(d, w.p.ScanPollMax)
}

func earliestTrigger(rows []models.NetBoxIPExport) time.Time {
	var t time.Time
	for _, r := range rows {
		if r.ScanTriggeredAt != nil && (t.IsZero() || r.ScanTriggeredAt.Before(t)) {
			t = *r.ScanTriggeredAt
		}
	}
	return t
}

// scanHeartbeatKey exists while a poll chain is alive; the sweep restarts
// chains whose key expired.
func scanHeartbeatKey(connID uint, scanID string) string {
	return fmt.Sprintf("wugsync:wug:%d:scan-poll:%s", connID, scanID)
}
