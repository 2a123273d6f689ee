package workers

import (
	"github.com/sirupsen/logrus"
)

// asynqLogger routes asynq's own logs through logrus, so they carry the same
// format and fields as ours.
type asynqLogger struct{ e *logrus.Entry }

func (l asynqLogger) Debug(args ...any) { l.e.Debug(args...) }
func (l asynqLogger) Info(args ...any)  { l.e.Info(args...) }
func (l asynqLogger) Warn(args ...any)  { l.e.Warn(args...) }
func (l asynqLogger) Error(args ...any) { l.e.Error(args...) }
func (l asynqLogger) Fatal(args ...any) { l.e.Fatal(args...) }
