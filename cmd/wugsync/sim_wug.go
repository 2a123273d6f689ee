package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/sirupsen/logrus"
	"github.com/spf13/cobra"

	"github.com/wugsync/wugsync/sim/wugsim"
)

// newSimWUGCommand is "wugsync sim wug": the WUG simulator as a standalone server, for trying
// the service by hand and for benchmarks that need a WUG in another process.
func newSimWUGCommand() *cobra.Command {
	var (
		addr, username, password, certOut string
		useTLS                            bool
		pageLimit, scanPolls              int
		tokenLifetime                     time.Duration
		groups                            []string
	)
	cmd := &cobra.Command{
		Use:   "wug",
		Short: "Serve a simulated WhatsUp Gold REST API until interrupted",
		Long: `Serves the WhatsUp Gold REST API v1 simulator (package sim/wugsim) on --addr.
Admin routes under /_sim/ show the request log and per-second counts, set faults and reset state.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			sim, err := wugsim.NewServer(wugsim.Options{
				Users:         map[string]string{username: password},
				PageLimit:     pageLimit,
				ScanPolls:     scanPolls,
				TokenLifetime: tokenLifetime,
				Groups:        groups,
			})
			if err != nil {
				return err
			}
			srv := &http.Server{Addr: addr, Handler: sim, ReadHeaderTimeout: 10 * time.Second}
			scheme := "http"
			if useTLS {
				host, _, _ := net.SplitHostPort(addr)
				tlsConfig, certPEM, err := wugsim.SelfSignedTLS(host, "localhost", "127.0.0.1")
				if err != nil {
					return fmt.Errorf("sim wug: %w", err)
				}
				if certOut != "" {
					if err := os.WriteFile(certOut, certPEM, 0o644); err != nil {
						return fmt.Errorf("sim wug: write certificate: %w", err)
					}
				}
				srv.TLSConfig = tlsConfig
				scheme = "https"
			}
			return serveSimulator(cmd.Context(), srv, sim, scheme, username, useTLS)
		},
	}
	flags := cmd.Flags()
	flags.StringVar(&addr, "addr", "127.0.0.1:9644", "listen address")
	flags.StringVar(&username, "username", wugsim.DefaultUsername, "API user name")
	flags.StringVar(&password, "password", wugsim.DefaultPassword, "API password")
	flags.BoolVar(&useTLS, "tls", false, "serve HTTPS with a fresh self-signed certificate, as a default WUG install does")
	flags.StringVar(&certOut, "cert-out", "", "with --tls, write the certificate (PEM) here so clients can trust it")
	flags.IntVar(&pageLimit, "page-limit", wugsim.DefaultPageLimit, "largest page the API returns")
	flags.IntVar(&scanPolls, "scan-polls", wugsim.DefaultScanPolls, "status reads a discovery scan takes to complete")
	flags.DurationVar(&tokenLifetime, "token-lifetime", wugsim.DefaultTokenLifetime, "access token lifetime (expires_in)")
	flags.StringSliceVar(&groups, "group", nil, `group path to create at start, e.g. "DATA_CENTERS/CH_DC" (repeatable)`)
	return cmd
}

// serveSimulator runs srv until ctx or a signal ends it, then shuts down gracefully.
func serveSimulator(ctx context.Context, srv *http.Server, sim *wugsim.Server, scheme, username string, useTLS bool) error {
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	log := logrus.WithFields(logrus.Fields{"component": "sim-wug", "addr": srv.Addr})
	errCh := make(chan error, 1)
	go func() {
		var err error
		if useTLS {
			err = srv.ListenAndServeTLS("", "")
		} else {
			err = srv.ListenAndServe()
		}
		errCh <- err
	}()
	log.WithFields(logrus.Fields{"url": scheme + "://" + srv.Addr, "username": username, "admin": scheme + "://" + srv.Addr + "/_sim/stats"}).
		Info("WUG simulator listening")
	select {
	case err := <-errCh:
		return fmt.Errorf("sim wug: %w", err)
	case <-ctx.Done():
	}
	log.Info("shutting down WUG simulator")
	sim.Close()
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		return fmt.Errorf("sim wug: shutdown: %w", err)
	}
	if err := <-errCh; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("sim wug: %w", err)
	}
	return nil
}
