package workers

import (
	"context"
	"encoding/json"
	"time"

	"github.com/hibiken/asynq"
	"github.com/sirupsen/logrus"

	"github.com/wugsync/wugsync/models"
)

// logTasks logs the end of every task with the standard fields: a failure
// as a warning, a snooze or a success at debug level.
func (w *Worker) logTasks(next asynq.Handler) asynq.Handler {
	return asynq.HandlerFunc(func(ctx context.Context, t *asynq.Task) error {
		start := time.Now()
		err := next.ProcessTask(ctx, t)
		outcome := taskOutcome(err)
		if outcome != "error" && !w.p.Log.Logger.IsLevelEnabled(logrus.DebugLevel) {
			// Most tasks end here: building their log entry (the payload
			// decoded, the fields) was a fifth of the middleware's cost.
			return err
		}
		switch outcome {
		case "snoozed":
			w.taskLog(ctx, t, logrus.DebugLevel).WithError(err).Debug("task snoozed")
		case "error":
			w.taskLog(ctx, t, logrus.WarnLevel).WithError(err).Warn("task failed")
		default:
			w.taskLog(ctx, t, logrus.DebugLevel).WithField("duration", time.Since(start).String()).Debug("task done")
		}
		return err
	})
}

// taskOutcome names how a task attempt ended, for logs and metrics.
func taskOutcome(err error) string {
	if _, snooze := IsSnooze(err); snooze {
		return "snoozed"
	}
	if err != nil {
		return "error"
	}
	return "ok"
}

// taskRef holds the ids a payload may name. Every payload names some of
// them, and a malformed one none: logs and attempt history take what there
// is.
type taskRef struct {
	RunID        uint  `json:"run_id"`
	ConnectionID uint  `json:"connection_id"`
	DeviceID     int64 `json:"netbox_device_id"`
}

func refOf(t *asynq.Task) taskRef {
	var ref taskRef
	_ = json.Unmarshal(t.Payload(), &ref) // best effort, see taskRef
	return ref
}

// connectionOf returns the connection a task acts on, named by its payload
// or by its run; 0 when it acts on none in particular.
func (w *Worker) connectionOf(ctx context.Context, ref taskRef) uint {
	if ref.ConnectionID != 0 {
		return ref.ConnectionID
	}
	if ref.RunID != 0 {
		if run, err := w.loadRun(context.WithoutCancel(ctx), ref.RunID); err == nil {
			return run.ConnectionID
		}
	}
	return 0
}

// taskLog is the logger of one task: task_id, type, and run_id, device_id
// and connection when the task has them. The connection's name may cost a
// query, so it is looked up only when level is logged.
func (w *Worker) taskLog(ctx context.Context, t *asynq.Task, level logrus.Level) *logrus.Entry {
	taskID, _ := asynq.GetTaskID(ctx)
	fields := logrus.Fields{"task_id": taskID, "type": t.Type()}
	ref := refOf(t)
	if ref.RunID != 0 {
		fields["run_id"] = ref.RunID
	}
	if ref.DeviceID != 0 {
		fields["device_id"] = ref.DeviceID
	}
	if w.p.Log.Logger.IsLevelEnabled(level) {
		if id := w.connectionOf(ctx, ref); id != 0 {
			fields["connection"] = w.connectionName(ctx, id)
		}
	}
	return w.p.Log.WithFields(fields)
}

// connectionName is the name logs give a connection: the cached client's,
// else the database's, else its id.
func (w *Worker) connectionName(ctx context.Context, id uint) any {
	w.mu.Lock()
	c, ok := w.clients[id]
	w.mu.Unlock()
	if ok {
		return c.client.Name()
	}
	var conn models.WUGConnection
	if err := w.p.DB.WithContext(context.WithoutCancel(ctx)).Select("name").First(&conn, id).Error; err == nil {
		return conn.Name
	}
	return id
}
