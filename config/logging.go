package config

import (
	"os"

	"github.com/sirupsen/logrus"
)

// NewLogger builds the process logger once, from configuration. Components
// take a *logrus.Entry derived from it and add the standard fields
// (connection, run_id, task_id, device_id) so every line can be filtered by them.
func NewLogger(cfg Config, role string) *logrus.Entry {
	logger := logrus.New()
	logger.SetOutput(os.Stderr)
	logger.SetLevel(cfg.LogLevel)
	if cfg.LogFormat == "text" {
		logger.SetFormatter(&logrus.TextFormatter{FullTimestamp: true})
	} else {
		logger.SetFormatter(&logrus.JSONFormatter{})
	}
	return logger.WithField("role", role)
}
