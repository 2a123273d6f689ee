package wugtest

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/wugsync/wugsync/wug"
)

// defaultScanPolls bounds the status reads of the scan case when Target.ScanPolls is zero.
const defaultScanPolls = 60

func checkDiscoveryScan(ctx context.Context, r *Runner) (string, error) {
	addr := r.target.ScanAddress
	reachable := r.target.ScanReachable
	if addr == "" {
		addr = fmt.Sprintf("%s%d", scanNet, firstDeviceHost+randomInt(lastDeviceHost-firstDeviceHost+1))
		reachable = false
	}
	// A scan adds an address WUG already monitors to the scan's group instead of creating a
	// device: the suite must not touch such a device.
	pre, err := r.findIDs(ctx, addr)
	if err != nil {
		return "", err
	}
	if len(pre) > 0 {
		return "", skip(fmt.Sprintf("WUG already has device(s) %v at %s; the scan would change them", pre, addr))
	}
	scanID, err := r.client.StartNewDeviceScan(ctx, r.box.group.ID, []string{addr}, wug.ScanOptions{})
	if err != nil {
		return "", fmt.Errorf("start a scan of %s: %w", addr, err)
	}
	polls := r.target.ScanPolls
	if polls <= 0 {
		polls = defaultScanPolls
	}
	var last wug.Scan
	reads := 0
	for !last.Done() {
		if reads == polls {
			return "", fmt.Errorf("scan %s not done after %d status reads: phase %q, progress %v, %d of %d devices complete",
				scanID, reads, last.Phase, last.Progress, last.DevicesComplete, last.DevicesFound)
		}
		if reads > 0 && r.target.ScanPollInterval > 0 {
			if err := wait(ctx, r.target.ScanPollInterval); err != nil {
				return "", fmt.Errorf("wait for scan %s: %w", scanID, err)
			}
		}
		if last, err = r.client.ScanStatus(ctx, scanID); err != nil {
			return "", fmt.Errorf("read the status of scan %s: %w", scanID, err)
		}
		reads++
		if last.ID != scanID {
			return "", fmt.Errorf("status of scan %s names scan %q", scanID, last.ID)
		}
	}
	found, err := r.client.ScanDevices(ctx, scanID)
	if err != nil {
		return "", fmt.Errorf("read the devices of scan %s: %w", scanID, err)
	}
	// The address had no device before, so whatever the scan found is the suite's.
	for _, d := range found {
		r.box.devices[d.ID] = addr
	}
	active, err := r.client.ListScans(ctx, true)
	if err != nil {
		return "", fmt.Errorf("list active scans: %w", err)
	}
	if slices.ContainsFunc(active, func(s wug.Scan) bool { return s.ID == scanID }) {
		return "", fmt.Errorf("scan %s is done (phase %q, progress %v) but still listed as active", scanID, last.Phase, last.Progress)
	}
	for _, d := range found {
		if d.NetworkAddress != addr {
			return "", fmt.Errorf("scan of %s reports device %s at %q", addr, d.ID, d.NetworkAddress)
		}
		if err := r.requireGroups(ctx, d.ID, r.box.group.ID); err != nil {
			return "", fmt.Errorf("device %s found by the scan: %w", d.ID, err)
		}
	}
	if !reachable {
		// Whether WUG adds a device that does not answer is its business, not the client's.
		return fmt.Sprintf("scan of %s, which should not answer, done after %d status reads (phase %q, progress %v); it added %d device(s) to the sandbox",
			addr, reads, last.Phase, last.Progress, len(found)), nil
	}
	if len(found) != 1 {
		return "", fmt.Errorf("the scan of %s reports %d devices, want 1", addr, len(found))
	}
	ids, err := r.findIDs(ctx, addr)
	if err != nil {
		return "", err
	}
	if !slices.Equal(ids, []string{found[0].ID}) {
		return "", fmt.Errorf("search %s found %v after the scan, want [%s]", addr, ids, found[0].ID)
	}
	return fmt.Sprintf("scan of %s done after %d status reads (phase %q, progress %v); device %s added to the sandbox",
		addr, reads, last.Phase, last.Progress, found[0].ID), nil
}

// wait pauses between the status reads of a real server's scan; the simulator needs none.
func wait(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
