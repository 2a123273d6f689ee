package main

import (
	"context"
	"fmt"
	"net"
	"time"

	"github.com/wugsync/wugsync/internal/process"
)

// probeShutdownGrace is short: probe and scrape requests are quick.
const probeShutdownGrace = 5 * time.Second

// healthAddrUsage documents --health-addr of the roles without an API.
const healthAddrUsage = "serve /healthz, /readyz and /metrics on this address (e.g. :8081); empty: no probe server"

// listenProbes opens the --health-addr listener before the role starts, so
// a taken port fails the start at once. An empty address means none.
func listenProbes(addr string) (net.Listener, error) {
	if addr == "" {
		return nil, nil
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("--health-addr: %w", err)
	}
	return ln, nil
}

// closeListener releases a listener opened before a start that failed.
func closeListener(ln net.Listener) {
	if ln != nil {
		_ = ln.Close()
	}
}

// probes serves the health endpoints of a worker or scheduler. It keeps
// serving while the role drains after a stop signal, so a worker finishing
// a long export still answers its liveness probe.
type probes struct {
	http *process.HTTPServer // nil without --health-addr
}

// startProbes serves on ln, if there is one.
func startProbes(ln net.Listener, svc *process.Services) *probes {
	if ln == nil {
		return &probes{}
	}
	handler := process.HealthHandler(svc.Ready, svc.Registry, svc.Config.MetricsToken)
	return &probes{http: process.StartHTTP(handler, ln)}
}

// url is the probe server's base URL, "" without one.
func (p *probes) url() string {
	if p.http == nil {
		return ""
	}
	return p.http.URL()
}

// wait blocks until ctx ends (nil) or the probe server fails (its error).
func (p *probes) wait(ctx context.Context) error {
	if p.http == nil {
		<-ctx.Done()
		return nil
	}
	select {
	case <-ctx.Done():
		return nil
	case <-p.http.Stopped():
		return p.http.Err()
	}
}

// shutdown stops the probe server.
func (p *probes) shutdown() error {
	if p.http == nil {
		return nil
	}
	return p.http.Shutdown(probeShutdownGrace)
}
