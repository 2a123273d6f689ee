package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/wugsync/wugsync/config"
	"github.com/wugsync/wugsync/internal/process"
)

// environment is what a command takes from outside its code: the
// configuration variables, and a hook through which tests follow a
// long-running command without sleeping.
type environment struct {
	lookup config.LookupFunc
	// started, when set, is called once a long-running command serves.
	started func(startedInfo)
	// now, when set, is the clock doctor compares other clocks with.
	now func() time.Time
}

// startedInfo describes a running long-lived command.
type startedInfo struct {
	APIURL    string // roles with the API
	APIToken  string // `all` and `demo`: the configured or generated token
	HealthURL string // worker and scheduler with --health-addr
	Services  *process.Services
	Demo      *demoInfo // nil outside `demo`
}

// osEnvironment is the environment of the real process.
func osEnvironment() environment { return environment{lookup: os.LookupEnv} }

// config reads and validates the WUGSYNC_* variables.
func (e environment) config() (config.Config, error) { return config.Load(e.lookup) }

// configFor reads the WUGSYNC_* variables and checks them for role: every
// problem is reported at once, before the role connects to anything.
func (e environment) configFor(role config.Role) (config.Config, error) {
	return config.LoadRole(e.lookup, role)
}

func (e environment) notifyStarted(info startedInfo) {
	if e.started != nil {
		e.started(info)
	}
}

// interruptContext is cancelled with parent or on SIGINT or SIGTERM: the
// start of a graceful shutdown. Unlike signalContext it keeps the command's
// context, so a caller (a test) can stop the command too.
func interruptContext(parent context.Context) (context.Context, context.CancelFunc) {
	return signal.NotifyContext(parent, os.Interrupt, syscall.SIGTERM)
}
