package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os/signal"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/wugsync/wugsync/sim/netboxsim"
)

// newSimNetBoxCommand is `wugsync sim netbox`: the NetBox simulator as a
// standalone server, for trying wugsync out and for benchmarks.
func newSimNetBoxCommand() *cobra.Command {
	var (
		addr          string
		devices       int
		seed          int64
		version       string
		token         string
		webhookURL    string
		webhookSecret string
	)
	cmd := &cobra.Command{
		Use:   "netbox",
		Short: "Run a simulated NetBox with a generated inventory",
		Long: "Serves a faithful NetBox 4.x REST API (devices, IP addresses, VMs, sites, regions, " +
			"roles, platforms, tenants, tags, change log) over a realistic generated inventory, " +
			"accepts writes, and sends signed event-rule webhooks to --webhook-url.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			opts := netboxsim.Options{
				Version:       version,
				Seed:          seed,
				Devices:       devices,
				WebhookURL:    webhookURL,
				WebhookSecret: webhookSecret,
			}
			if token != "" {
				opts.Tokens = []string{token}
			}
			sim, err := netboxsim.New(opts)
			if err != nil {
				return fmt.Errorf("sim netbox: %w", err)
			}
			defer sim.Close()

			ctx, stop := signal.NotifyContext(cmd.Context(), syscall.SIGINT, syscall.SIGTERM)
			defer stop()
			listener, err := net.Listen("tcp", addr)
			if err != nil {
				return fmt.Errorf("sim netbox: listen on %s: %w", addr, err)
			}
			srv := &http.Server{Handler: sim, ReadHeaderTimeout: 10 * time.Second}

			out := cmd.OutOrStdout()
			accepted := token
			if accepted == "" {
				accepted = netboxsim.DefaultToken
			}
			fmt.Fprintf(out, "NetBox %s simulator on http://%s/api/ (%d devices, seed %d)\n", sim.Version(), listener.Addr(), sim.DeviceCount(), seed)
			fmt.Fprintf(out, "token: %s  (Authorization: Token %s)\n", accepted, accepted)
			if token == "" && sim.Version() == netboxsim.Version45 {
				fmt.Fprintf(out, "v2 token: %s  (Authorization: Bearer %s)\n", netboxsim.DefaultTokenV2, netboxsim.DefaultTokenV2)
			}
			if webhookURL != "" {
				fmt.Fprintf(out, "webhooks to %s\n", webhookURL)
			}

			errc := make(chan error, 1)
			go func() { errc <- srv.Serve(listener) }()
			select {
			case err := <-errc:
				return fmt.Errorf("sim netbox: serve: %w", err)
			case <-ctx.Done():
			}
			shutdownCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			if err := srv.Shutdown(shutdownCtx); err != nil && !errors.Is(err, http.ErrServerClosed) {
				return fmt.Errorf("sim netbox: shutdown: %w", err)
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&addr, "addr", "127.0.0.1:8000", "listen address")
	f.IntVar(&devices, "devices", 500, "number of devices to generate")
	f.Int64Var(&seed, "seed", 1, "seed of the generated inventory (same seed, same inventory)")
	f.StringVar(&version, "version", netboxsim.Version44, "NetBox version profile: 4.2, 4.4 or 4.5")
	f.StringVar(&token, "token", "", "API token to accept (default: the simulator's built-in token)")
	f.StringVar(&webhookURL, "webhook-url", "", "URL that receives event-rule webhooks (e.g. http://127.0.0.1:8080/api/v1/webhooks/netbox)")
	f.StringVar(&webhookSecret, "webhook-secret", "", "secret that signs webhooks (X-Hook-Signature)")
	return cmd
}
