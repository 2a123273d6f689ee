package main

import (
	"fmt"
	"net"
	"net/http"
	"strconv"

	"github.com/wugsync/wugsync/internal/process"
	"github.com/wugsync/wugsync/sim/netboxsim"
	"github.com/wugsync/wugsync/sim/wugsim"
)

// simulators are the demo's NetBox and WUG, each served on a free loopback
// port over real HTTP, exactly as `wugsync sim netbox` and `sim wug` serve
// them.
type simulators struct {
	netbox    *netboxsim.Server
	netboxURL string
	wug       *wugsim.Server
	wugURL    string
	wugPort   int
	servers   []*process.HTTPServer
}

// startSimulators starts a NetBox holding a generated inventory of devices
// (seed makes it repeatable) and an empty WUG with the default user.
func startSimulators(devices int, seed int64) (_ *simulators, err error) {
	s := &simulators{}
	defer func() {
		if err != nil {
			s.close()
		}
	}()
	s.netbox, err = netboxsim.New(netboxsim.Options{Devices: devices, Seed: seed})
	if err != nil {
		return nil, fmt.Errorf("NetBox simulator: %w", err)
	}
	nbServer, err := s.serve(s.netbox)
	if err != nil {
		return nil, fmt.Errorf("NetBox simulator: %w", err)
	}
	s.netboxURL = nbServer.URL()

	s.wug, err = wugsim.NewServer(wugsim.Options{})
	if err != nil {
		return nil, fmt.Errorf("WUG simulator: %w", err)
	}
	wugServer, err := s.serve(s.wug)
	if err != nil {
		return nil, fmt.Errorf("WUG simulator: %w", err)
	}
	s.wugURL = wugServer.URL()
	_, port, err := net.SplitHostPort(wugServer.Addr())
	if err != nil {
		return nil, fmt.Errorf("WUG simulator address: %w", err)
	}
	s.wugPort, _ = strconv.Atoi(port)
	return s, nil
}

func (s *simulators) serve(handler http.Handler) (*process.HTTPServer, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	srv := process.StartHTTP(handler, ln)
	s.servers = append(s.servers, srv)
	return srv, nil
}

// close stops serving and the simulators' background work; their state
// stays readable.
func (s *simulators) close() {
	for _, srv := range s.servers {
		_ = srv.Shutdown(probeShutdownGrace)
	}
	if s.netbox != nil {
		s.netbox.Close()
	}
	if s.wug != nil {
		s.wug.Close()
	}
}
