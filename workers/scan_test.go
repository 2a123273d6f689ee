package workers_test

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/wugsync/wugsync/models"
	"github.com/wugsync/wugsync/tasks"
	"github.com/wugsync/wugsync/workers"
)

// exportAndWaitForScan runs an export and waits until every fallback scan
// it starts is resolved.
func (b *testBundle) exportAndWaitForScan() models.WUGSyncLog {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	sub := b.redis.Client.Subscribe(ctx, tasks.ScanEndedChannel(b.redis.Client))
	defer sub.Close()
	_, err := sub.Receive(ctx)
	require.NoError(b.t, err)
	run := b.export(tasks.ExportRequest{})
	for {
		var open int64
		require.NoError(b.t, b.db.Model(&models.NetBoxIPExport{}).
			Where("export_status = ?", models.ExportScanTriggered).Count(&open).Error)
		if open == 0 {
			return run
		}
		select {
		case <-sub.Channel():
		case <-ctx.Done():
			b.t.Fatal("a fallback scan was never resolved")
		}
	}
}

// scanFixture picks two eligible addresses of the inventory opts generates,
// for WUG to refuse their templates.
func scanFixture(t *testing.T) (found, lost string, opts bundleOptions) {
	opts = bundleOptions{devices: 30}
	probe := setup(t, bundleOptions{devices: opts.devices, noWorker: true})
	var addrs []string
	for _, m := range probe.expected() {
		addrs = append(addrs, m.Address.String())
	}
	require.GreaterOrEqual(t, len(addrs), 2)
	return addrs[0], addrs[1], opts
}

func TestFallbackScanLinksTheDiscoveredDevice(t *testing.T) {
	t.Parallel()
	found, lost, opts := scanFixture(t)
	opts.wug.RejectTemplates = []string{found, lost}
	opts.wug.Unreachable = []string{lost}
	opts.wug.ScanPolls = 3
	b := setup(t, opts)
	want := b.expected()

	run := b.exportAndWaitForScan()
	require.Equal(t, models.RunCompleted, run.Status, run.ErrorMessage)
	require.Equal(t, len(want)-2, run.DevicesCreated)
	require.Contains(t, run.Summary, "discovery scan")

	byIP := map[string]models.NetBoxIPExport{}
	for _, r := range b.rows() {
		byIP[r.IPAddress] = r
	}
	ok := byIP[found]
	require.Equal(t, models.ExportScanCompleted, ok.ExportStatus, ok.ErrorMessage)
	require.True(t, ok.WUGDeviceDiscovered)
	require.NotEmpty(t, ok.WUGScanID)
	require.NotNil(t, ok.ScanTriggeredAt)
	require.NotNil(t, ok.ScanCompletedAt)
	d, exists := b.wug.Device(ok.WUGDeviceID)
	require.True(t, exists, "linked to the device the scan created")
	require.Equal(t, found, d.NetworkAddress)

	missing := byIP[lost]
	require.Equal(t, models.ExportError, missing.ExportStatus)
	require.Contains(t, missing.ErrorMessage, "without finding "+lost)
	require.Empty(t, missing.WUGDeviceID)

	// The next run writes wugsync's facts onto the discovered device.
	next := b.export(tasks.ExportRequest{})
	require.Equal(t, models.RunCompleted, next.Status)
	d, _ = b.wug.Device(ok.WUGDeviceID)
	require.Equal(t, strconv.FormatInt(ok.NetBoxDeviceID, 10), attr(d, "NetBox_ID"))
}

func TestScanThatNeverEndsBecomesAnError(t *testing.T) {
	t.Parallel()
	found, _, opts := scanFixture(t)
	opts.wug.RejectTemplates = []string{found}
	opts.wug.ScanPolls = 1_000_000
	opts.params = func(p *workers.Params) { p.ScanTimeout = 300 * time.Millisecond }
	b := setup(t, opts)

	b.exportAndWaitForScan()
	var row models.NetBoxIPExport
	for _, r := range b.rows() {
		if r.IPAddress == found {
			row = r
		}
	}
	require.Equal(t, models.ExportError, row.ExportStatus)
	require.Contains(t, row.ErrorMessage, "did not finish within")
	require.Equal(t, "timed out", row.WUGScanStatus)
}
