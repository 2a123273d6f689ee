package main

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/wugsync/wugsync/models"
	"github.com/wugsync/wugsync/sim/wugsim"
	"github.com/wugsync/wugsync/tasks"
)

func netBoxID(d wugsim.Device) string { return netBoxAttr(d, "NetBox_ID") }

// netBoxAttr is the value of one attribute of a WUG device.
func netBoxAttr(d wugsim.Device, name string) string {
	for _, a := range d.Attributes {
		if a.Name == name {
			return a.Value
		}
	}
	return ""
}

// TestDemoOnceExportsAndReports runs `wugsync demo --once` end to end in
// process: simulators, embedded Redis, temporary SQLite, a dry run and an
// export over real HTTP. Its --addr is taken, so it also moves to a free
// port.
func TestDemoOnceExportsAndReports(t *testing.T) {
	t.Parallel()
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer taken.Close()
	env := testEnvironment(map[string]string{})
	var demo *demoInfo
	var apiURL string
	env.started = func(info startedInfo) { demo, apiURL = info.Demo, info.APIURL }
	report, err := execute(context.Background(), newDemoCommand(env), "--once", "--devices", "120", "--addr", taken.Addr().String())
	require.NoError(t, err, report)
	require.NotNil(t, demo)
	require.Contains(t, report, taken.Addr().String()+" is in use: the API listens on ")
	require.NotEqual(t, "http://"+taken.Addr().String(), apiURL)
	require.Contains(t, report, "Dashboard:   "+apiURL+"/dashboard/")

	run := demo.Export
	require.Equal(t, models.RunCompleted, run.Status, run.ErrorMessage)
	require.Positive(t, run.DevicesCreated)
	require.Positive(t, run.DevicesSkipped, "the generated inventory has awkward devices")

	// The simulated WUG holds exactly the created devices, each once.
	wugDevices := demo.WUG.Devices()
	require.Len(t, wugDevices, run.DevicesCreated)
	seen := map[string]bool{}
	vms := 0
	for _, d := range wugDevices {
		id := netBoxID(d)
		require.NotEmpty(t, id, "device %s carries its NetBox id", d.Name)
		kind := ""
		for _, a := range d.Attributes {
			if a.Name == "NetBox_ObjectType" {
				kind = a.Value
			}
		}
		require.Contains(t, []string{"device", "virtualmachine"}, kind, "device %s says its NetBox object type", d.Name)
		require.False(t, seen[kind+id], "NetBox %s %s is in WUG twice", kind, id)
		seen[kind+id] = true
		if kind == "virtualmachine" {
			vms++
			require.Equal(t, "nb-vm-"+id, d.TemplateID)
		}
	}
	require.Positive(t, vms, "the demo exports virtual machines")

	require.Contains(t, report, fmt.Sprintf("%d created", run.DevicesCreated))
	account := regexp.MustCompile(`(?m)^120 devices: (\d+) created, (\d+) skipped, (\d+) not active \(not exported\)$`).FindStringSubmatch(report)
	require.NotNil(t, account, "the report accounts for every device:\n%s", report)
	sumAccount := 0
	for _, n := range account[1:] {
		v, _ := strconv.Atoi(n)
		sumAccount += v
	}
	require.Equal(t, 120, sumAccount)
	// The objects of other statuses are explained by the export itself:
	// counted in devices_excluded (devices and VMs), each status listed in
	// the report, each kind's line counting its own.
	byStatus := map[string]int{}
	nonActiveDevices, nonActiveVMs := 0, 0
	for _, d := range demo.NetBox.Inventory().Devices {
		if d.Status != "active" {
			byStatus[d.Status]++
			nonActiveDevices++
		}
	}
	for _, vm := range demo.NetBox.Inventory().VirtualMachines {
		if vm.Status != "active" {
			byStatus[vm.Status]++
			nonActiveVMs++
		}
	}
	require.NotEmpty(t, byStatus)
	require.Equal(t, account[3], strconv.Itoa(nonActiveDevices))
	nonActive := 0
	for status, n := range byStatus {
		nonActive += n
		require.Regexp(t, fmt.Sprintf(`(?m)^  %s:\s+%d$`, regexp.QuoteMeta(status), n), report, "the report counts status %s", status)
	}
	require.Equal(t, nonActive, run.DevicesExcluded)
	require.Contains(t, report, "Not exported for their status (each has a skipped row naming it")
	vmAccount := regexp.MustCompile(`(?m)^12 virtual machines: (\d+) created, (\d+) skipped(?:, (\d+) not active \(not exported\))?$`).FindStringSubmatch(report)
	require.NotNil(t, vmAccount, "the report accounts for every VM:\n%s", report)
	created, _ := strconv.Atoi(vmAccount[1])
	require.Equal(t, vms, created, "the VM line counts the VMs in WUG")
	if nonActiveVMs > 0 {
		require.Equal(t, strconv.Itoa(nonActiveVMs), vmAccount[3])
	}
	sumAccount = 0
	for _, n := range vmAccount[1:] {
		v, _ := strconv.Atoi(n)
		sumAccount += v
	}
	require.Equal(t, 12, sumAccount)
	require.Regexp(t, `(?m)^  no primary IP:\s+\d+$`, report, "skips are counted by reason")

	// Write-back is on: every created device's and VM's NetBox record
	// holds its WUG device id, and the report counts both.
	require.Contains(t, report, fmt.Sprintf("NetBox write-back: wug_device_id written on %d devices and %d virtual machines", run.DevicesCreated-vms, vms))
	for _, d := range wugDevices {
		id, err := strconv.Atoi(netBoxID(d))
		require.NoError(t, err)
		if strings.HasPrefix(d.TemplateID, "nb-vm-") {
			vm, ok := demo.NetBox.VirtualMachine(id)
			require.True(t, ok)
			require.Equal(t, d.ID, vm.CustomFields["wug_device_id"], "NetBox VM %d", id)
			continue
		}
		nb, ok := demo.NetBox.Device(id)
		require.True(t, ok)
		require.Equal(t, d.ID, nb.CustomFields["wug_device_id"], "NetBox device %d", id)
	}

	// The group tree counts every created device once.
	tree := report[strings.Index(report, "WUG group tree"):]
	tree = tree[:strings.Index(tree, "\n\n")]
	require.Contains(t, tree, "\n  My Network (")
	sum := 0
	for _, m := range regexp.MustCompile(`\((\d+)\)\n`).FindAllStringSubmatch(tree+"\n", -1) {
		n, _ := strconv.Atoi(m[1])
		sum += n
	}
	require.Equal(t, run.DevicesCreated, sum)

	// The temporary database is gone.
	m := regexp.MustCompile(`Database\s+SQLite (\S+) \(removed at exit\)`).FindStringSubmatch(report)
	require.NotNil(t, m, report)
	_, err = os.Stat(m[1])
	require.ErrorIs(t, err, os.ErrNotExist)
}

// TestDemoFollowsANetBoxChange runs the demo until stopped and performs the
// PATCH it tells a person to run: the webhook reaches the API, a worker
// syncs the device, and the simulated WUG shows the new name.
func TestDemoFollowsANetBoxChange(t *testing.T) {
	t.Parallel()
	env := testEnvironment(map[string]string{})
	started := make(chan startedInfo, 1)
	env.started = func(info startedInfo) { started <- info }
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	cmd := newDemoCommand(env)
	var out strings.Builder
	cmd.SetOut(&out)
	cmd.SetArgs([]string{"--devices", "60", "--seed", "5", "--addr", "127.0.0.1:0"})
	done := make(chan error, 1)
	go func() { done <- cmd.ExecuteContext(ctx) }()
	var info startedInfo
	select {
	case info = <-started:
	case err := <-done:
		t.Fatalf("demo stopped early: %v", err)
	}
	printed := out.String()
	require.Contains(t, printed, "Serving until Ctrl-C.")

	// The curl line the demo printed, taken apart and sent as is.
	m := regexp.MustCompile(`curl -s -X PATCH -H '([^']+)' -H '([^']+)' -d '([^']+)' (\S+)`).FindStringSubmatch(printed)
	require.NotNil(t, m, printed)
	newName := regexp.MustCompile(`"name": "([^"]+)"`).FindStringSubmatch(m[3])[1]
	deviceID := regexp.MustCompile(`/dcim/devices/(\d+)/$`).FindStringSubmatch(m[4])[1]
	var before wugsim.Device
	for _, d := range info.Demo.WUG.Devices() {
		// A virtual machine's WUG device may carry the same NetBox_ID: its
		// NetBox_URL tells the device apart.
		if netBoxID(d) == deviceID && strings.Contains(netBoxAttr(d, "NetBox_URL"), "/dcim/devices/") {
			before = d
		}
	}
	require.NotEmpty(t, before.ID, "the device to rename was exported")

	rdb := info.Services.Redis.Client
	sub := rdb.Subscribe(ctx, tasks.RunEndedChannel(rdb))
	defer sub.Close()
	_, err := sub.Receive(ctx)
	require.NoError(t, err)

	req, err := http.NewRequest(http.MethodPatch, m[4], strings.NewReader(m[3]))
	require.NoError(t, err)
	for _, h := range []string{m[1], m[2]} {
		name, value, _ := strings.Cut(h, ": ")
		req.Header.Set(name, value)
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)

	// Wait for the device sync the webhook caused to end.
	guard := time.After(hangGuard)
	for synced := false; !synced; {
		select {
		case msg := <-sub.Channel():
			var run models.WUGSyncLog
			require.NoError(t, info.Services.DB.First(&run, msg.Payload).Error)
			if run.SyncType == models.SyncDevice {
				require.Equal(t, models.RunCompleted, run.Status, run.ErrorMessage)
				synced = true
			}
		case <-guard:
			t.Fatal("no device sync ended: the webhook did not reach the API, or no worker ran the sync")
		}
	}
	after, ok := info.Demo.WUG.Device(before.ID)
	require.True(t, ok, "the same WUG device is updated in place")
	require.Equal(t, newName, after.Name)

	cancel()
	require.NoError(t, <-done)
}
