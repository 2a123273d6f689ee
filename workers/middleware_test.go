package workers_test

import (
	"context"
	"io"
	"strconv"
	"testing"
	"time"

	"github.com/sirupsen/logrus"
	"github.com/stretchr/testify/require"

	"github.com/wugsync/wugsync/models"
	"github.com/wugsync/wugsync/sim/wugsim"
	"github.com/wugsync/wugsync/tasks"
	"github.com/wugsync/wugsync/workers"
)

// failureLog passes on the fields of every "task failed" log line.
type failureLog chan logrus.Fields

func (failureLog) Levels() []logrus.Level { return logrus.AllLevels }

func (f failureLog) Fire(e *logrus.Entry) error {
	if e.Message == "task failed" {
		select {
		case f <- e.Data:
		default: // the test reads the first ones only
		}
	}
	return nil
}

func (f failureLog) next(t *testing.T) logrus.Fields {
	t.Helper()
	select {
	case fields := <-f:
		return fields
	case <-time.After(time.Minute):
		t.Fatal("no task failure was logged")
		return nil
	}
}

// TestTaskFailuresAreLoggedWithTheirStandardFields has WUG fail one call of
// a batch task, then one of a device sync: each failure is logged with
// task_id, the task type, the connection's name, and run_id or device_id.
func TestTaskFailuresAreLoggedWithTheirStandardFields(t *testing.T) {
	t.Parallel()
	failures := make(failureLog, 8)
	b := setup(t, bundleOptions{devices: 3, params: func(p *workers.Params) {
		log := logrus.New()
		log.SetOutput(io.Discard)
		log.AddHook(failures)
		p.Log = logrus.NewEntry(log)
	}})
	require.Equal(t, models.RunCompleted, b.export(tasks.ExportRequest{}).Status)
	b.renameEveryDevice()
	const route = "PUT /api/v1/devices/{deviceId}/properties"

	require.NoError(t, b.wug.SetFaults(route, wugsim.Fault{ErrorRate: 1, Count: 1}))
	run := b.export(tasks.ExportRequest{})
	require.Equal(t, models.RunCompleted, run.Status, run.ErrorMessage)
	f := failures.next(t)
	require.Equal(t, tasks.TypeExportBatch, f["type"])
	require.Equal(t, "export:run:"+itoa(run.ID)+":batch:1", f["task_id"])
	require.Equal(t, run.ID, f["run_id"])
	require.Equal(t, b.conn.Name, f["connection"])

	device := b.exportedDevices(1)[0].NetBoxDeviceID
	b.renameEveryDevice()
	require.NoError(t, b.wug.SetFaults(route, wugsim.Fault{ErrorRate: 1, Count: 1}))
	require.NoError(t, b.enq.Enqueue(context.Background(), tasks.DeviceSyncPayload{NetBoxDeviceID: device, ConnectionID: b.conn.ID, Trigger: "webhook"}))
	f = failures.next(t)
	require.Equal(t, tasks.TypeDeviceSync, f["type"])
	require.Contains(t, f["task_id"], "device:sync:")
	require.Equal(t, device, f["device_id"])
	require.Equal(t, b.conn.Name, f["connection"])
}

func itoa(id uint) string { return strconv.FormatUint(uint64(id), 10) }
