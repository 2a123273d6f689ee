package workers_test

import (
	"context"
	"fmt"
	"strconv"
	"testing"
	"time"

	"github.com/sirupsen/logrus"
	"github.com/stretchr/testify/require"

	"github.com/wugsync/wugsync/internal/testinfra"
	"github.com/wugsync/wugsync/models"
	"github.com/wugsync/wugsync/sim/netboxsim"
	"github.com/wugsync/wugsync/sim/wugsim"
	"github.com/wugsync/wugsync/tasks"
	"github.com/wugsync/wugsync/workers"
)

const routeTemplate = "PATCH /api/v1/devices/-/config/template"

// drainBundle is an exported inventory with a webhook sync queue and a
// worker on a test clock, whose drain the test steps by hand.
type drainBundle struct {
	*testBundle
	clock *testinfra.Clock
	q     *tasks.SyncQueue
	w     *workers.Worker
}

func setupDrain(t *testing.T, devices int) drainBundle {
	t.Helper()
	b := setup(t, bundleOptions{devices: devices})
	run := b.export(tasks.ExportRequest{})
	require.Equal(t, models.RunCompleted, run.Status, run.ErrorMessage)
	require.Positive(t, run.DevicesCreated)
	clock := testinfra.NewClock(time.Now().UTC())
	log := logrus.New()
	log.SetLevel(logrus.WarnLevel)
	w := workers.NewWorker(workers.Params{DB: b.db, Redis: b.redis.Client, Enqueuer: b.enq, Sealer: b.stack.Sealer,
		NetBox: b.nbClient, Log: logrus.NewEntry(log), Now: clock.Now})
	b.wug.ResetStats()
	b.nb.ResetRequests()
	return drainBundle{testBundle: b, clock: clock, w: w,
		q: tasks.NewSyncQueue(b.redis.Client).WithClock(clock.Now)}
}

// event is one webhook's effect: the object joins the connection's queue.
func (d drainBundle) event(ids ...int) {
	d.t.Helper()
	objs := make([]tasks.SyncObject, len(ids))
	for i, id := range ids {
		objs[i] = tasks.SyncObject{ID: int64(id)}
	}
	_, err := d.q.Add(context.Background(), d.conn.ID, objs)
	require.NoError(d.t, err)
}

// step runs one drain step and reports whether it synced anything.
func (d drainBundle) step() bool {
	d.t.Helper()
	did, _, err := workers.DrainStep(context.Background(), d.w, d.conn.ID)
	require.NoError(d.t, err)
	return did
}

// drainAll steps the drain, moving the clock through cooldowns, until
// nothing is pending; it returns the steps that synced.
func (d drainBundle) drainAll() int {
	d.t.Helper()
	steps := 0
	for range 1000 {
		did, next, err := workers.DrainStep(context.Background(), d.w, d.conn.ID)
		require.NoError(d.t, err)
		switch {
		case did:
			steps++
		case next.IsZero():
			return steps
		default:
			d.clock.Advance(next.Sub(d.clock.Now()))
		}
	}
	d.t.Fatal("the drain never emptied")
	return steps
}

// netboxDeviceReads counts NetBox device listings (full and id__in reads).
func (d drainBundle) netboxDeviceReads() int {
	return d.nb.RequestCount("GET", "/api/dcim/devices/")
}

// TestDrainBurstOfOneDeviceMakesTwoUpdates: 2,000 events for one device
// within a second, each a rename in NetBox, make the leading sync and one
// trailing sync: two WUG updates, the last with the final name.
func TestDrainBurstOfOneDeviceMakesTwoUpdates(t *testing.T) {
	t.Parallel()
	d := setupDrain(t, 10)
	target := d.nb.Devices()[0]
	for i := range 2000 {
		_, err := d.nb.UpdateDevice(target.ID, func(dev *netboxsim.Device) { dev.Name = ptr(fmt.Sprintf("burst-%d", i)) })
		require.NoError(t, err)
		d.event(target.ID)
		if i%50 == 0 {
			d.step() // the drain runs alongside the burst
		}
		d.clock.Advance(time.Second / 2000)
	}
	steps := d.drainAll()
	require.Equal(t, 2, d.wug.CountRequests(routeProperties), "a leading and a trailing update")
	require.Equal(t, 1, steps, "the trailing sync")
	got := d.wugByNetBoxID()[strconv.Itoa(target.ID)]
	require.Equal(t, "burst-1999", got.Name, "the trailing sync wrote the final state")
	// One read per sync, and the primary-address listing of the
	// conflict check, which this fresh worker reads once (a page).
	require.Equal(t, 3, d.netboxDeviceReads(), "one NetBox read per sync")
}

// TestDrainStormIsBatched: a bulk edit's webhooks, one per device for N
// different devices, cost at most ceil(N/100)+10 NetBox reads, and their WUG
// writes go as a run's would: one properties call per renamed device, one
// template call per 100 new devices.
func TestDrainStormIsBatched(t *testing.T) {
	t.Parallel()
	const n = 500
	d := setupDrain(t, n)
	devices := d.nb.Devices()
	exported := d.wugByNetBoxID()
	var renamed, created []int
	for _, dev := range devices {
		if _, ok := exported[strconv.Itoa(dev.ID)]; !ok || dev.Name == nil {
			continue
		}
		_, err := d.nb.UpdateDevice(dev.ID, func(x *netboxsim.Device) { x.Name = ptr(*x.Name + "-bulk") })
		require.NoError(t, err)
		renamed = append(renamed, dev.ID)
	}
	require.Greater(t, len(renamed), 100)
	// New devices on free addresses: created as a run creates them.
	for i := range 150 {
		dev, err := d.nb.CreateDevice(netboxsim.Device{Name: ptr(fmt.Sprintf("storm-new-%d", i)), DeviceTypeID: devices[0].DeviceTypeID,
			RoleID: devices[0].RoleID, SiteID: devices[0].SiteID, Status: "active"})
		require.NoError(t, err)
		_, err = d.nb.SetPrimaryIP(dev.ID, fmt.Sprintf("10.222.%d.%d/16", i/200, i%200+1))
		require.NoError(t, err)
		created = append(created, dev.ID)
	}
	d.nb.ResetRequests()

	// The webhooks arrive over ten seconds while the drain runs.
	events := append(append([]int{}, renamed...), created...)
	for i, id := range events {
		d.event(id)
		d.clock.Advance(10 * time.Second / time.Duration(len(events)))
		if i%130 == 129 {
			d.step()
		}
	}
	d.drainAll()

	reads := d.netboxDeviceReads()
	require.LessOrEqual(t, reads, (len(events)+99)/100+10, "NetBox device reads for %d events", len(events))
	require.Equal(t, len(renamed), d.wug.CountRequests(routeProperties), "one properties call per renamed device")
	require.LessOrEqual(t, d.wug.CountRequests(routeTemplate), (len(created)+99)/100+1, "templates of up to 100 devices")
	wug := d.wugByNetBoxID()
	for _, id := range created {
		require.Contains(t, wug, strconv.Itoa(id), "device %d was created", id)
	}
	for _, id := range renamed[:20] {
		dev, _ := d.nb.Device(id)
		require.Equal(t, *dev.Name, wug[strconv.Itoa(id)].Name)
	}
	pending, err := d.q.Pending(context.Background(), d.conn.ID)
	require.NoError(t, err)
	require.Empty(t, pending)
}

// TestDrainStepThatFailsKeepsItsObjects: a drain step whose WUG writes
// fail leaves its objects queued, and the retry applies them (at least
// once); nothing is lost and nothing is written twice once it succeeds.
func TestDrainStepThatFailsKeepsItsObjects(t *testing.T) {
	t.Parallel()
	d := setupDrain(t, 30)
	exported := d.wugByNetBoxID()
	var ids []int
	for _, dev := range d.nb.Devices() {
		if _, ok := exported[strconv.Itoa(dev.ID)]; ok && dev.Name != nil && len(ids) < 5 {
			_, err := d.nb.UpdateDevice(dev.ID, func(x *netboxsim.Device) { x.Name = ptr(*x.Name + "-again") })
			require.NoError(t, err)
			ids = append(ids, dev.ID)
		}
	}
	d.event(ids...)
	require.NoError(t, d.wug.SetFaults(routeProperties, wugsim.Fault{ErrorRate: 1}))
	_, _, err := workers.DrainStep(context.Background(), d.w, d.conn.ID)
	require.Error(t, err, "WUG refused every write")
	pending, err := d.q.Pending(context.Background(), d.conn.ID)
	require.NoError(t, err)
	require.Len(t, pending, len(ids), "the failed step's objects stay queued")

	d.wug.ClearFaults()
	d.wug.ResetStats()
	require.Equal(t, 1, d.drainAll(), "the retry syncs them in one step")
	require.Equal(t, len(ids), d.wug.CountRequests(routeProperties))
	wug := d.wugByNetBoxID()
	for _, id := range ids {
		dev, _ := d.nb.Device(id)
		require.Equal(t, *dev.Name, wug[strconv.Itoa(id)].Name)
	}
}

// TestSweepRestartsAnAbandonedDrain: objects whose drain chain gave up
// are drained again by the sweep, without a new webhook.
func TestSweepRestartsAnAbandonedDrain(t *testing.T) {
	t.Parallel()
	d := setupDrain(t, 10)
	target := d.nb.Devices()[0]
	_, err := d.nb.UpdateDevice(target.ID, func(x *netboxsim.Device) { x.Name = ptr("after-sweep") })
	require.NoError(t, err)
	d.event(target.ID) // its chain mark is set, as if a drain was queued
	require.NoError(t, d.q.Abandon(context.Background(), d.conn.ID))

	require.NoError(t, d.enq.Enqueue(context.Background(), tasks.SweepPayload{Slot: 1}))
	require.Eventually(t, func() bool {
		return d.wugByNetBoxID()[strconv.Itoa(target.ID)].Name == "after-sweep"
	}, time.Minute, 20*time.Millisecond, "the sweep's drain synced the device")
}

// TestDrainKeepsTheConflictIndexCurrent: the drain reuses the primary
// address index of the conflict check, and writes into it the addresses it
// reads. A device that moved to a new address frees its old one at once: a
// device created on the old address is exported, not skipped as a
// conflict with the stale entry.
func TestDrainKeepsTheConflictIndexCurrent(t *testing.T) {
	t.Parallel()
	d := setupDrain(t, 20)
	exported := d.wugByNetBoxID()
	var mover, other netboxsim.Device
	for _, dev := range d.nb.Devices() {
		if _, ok := exported[strconv.Itoa(dev.ID)]; !ok || dev.PrimaryIP4ID == 0 {
			continue
		}
		if mover.ID == 0 {
			mover = dev
		} else if other.ID == 0 {
			other = dev
		}
	}
	require.NotZero(t, other.ID)
	// A first sync reads the index, with the mover on its old address.
	d.event(other.ID)
	require.Equal(t, 1, d.drainAll())
	ip, ok := d.nb.IPAddress(mover.PrimaryIP4ID)
	require.True(t, ok)
	_, err := d.nb.ChangeIPAddress(ip.ID, "10.233.0.1/24")
	require.NoError(t, err)
	d.event(mover.ID)
	require.Equal(t, 1, d.drainAll())

	fresh, err := d.nb.CreateDevice(netboxsim.Device{Name: ptr("takes-the-old-address"), DeviceTypeID: mover.DeviceTypeID,
		RoleID: mover.RoleID, SiteID: mover.SiteID, Status: "active"})
	require.NoError(t, err)
	_, err = d.nb.SetPrimaryIP(fresh.ID, ip.Address)
	require.NoError(t, err)
	reads := d.nb.RequestCount("GET", "/api/dcim/devices/")
	d.event(fresh.ID)
	require.Equal(t, 1, d.drainAll())
	require.Equal(t, 1, d.nb.RequestCount("GET", "/api/dcim/devices/")-reads, "the index was reused, not read again")
	require.Contains(t, d.wugByNetBoxID(), strconv.Itoa(fresh.ID), "the old address is free: the new device is exported")
}
