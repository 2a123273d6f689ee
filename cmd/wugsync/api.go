package main

import (
	"fmt"
	"net"
	"time"

	"github.com/spf13/cobra"

	"github.com/wugsync/wugsync/api"
	"github.com/wugsync/wugsync/api/dashboard"
	"github.com/wugsync/wugsync/config"
	"github.com/wugsync/wugsync/internal/process"
	"github.com/wugsync/wugsync/netbox"
)

func init() {
	extraCommands = append(extraCommands, func() *cobra.Command { return newAPICommand(osEnvironment()) })
}

// newAPICommand is `wugsync api`: the HTTP API, dashboard, asynqmon,
// /metrics and the probes.
func newAPICommand(env environment) *cobra.Command {
	return &cobra.Command{
		Use:   "api",
		Short: "Serve the HTTP API, dashboard, asynqmon (/monitoring/), /metrics, /healthz and /readyz",
		Long: `Serves the HTTP API on WUGSYNC_HTTP_ADDR. It never talks to WUG or NetBox
itself (the connection test aside): it records requests and enqueues tasks for
the workers.

Needs WUGSYNC_REDIS_URL, WUGSYNC_API_TOKEN and a migrated database (run
"wugsync migrate" first); WUGSYNC_WEBHOOK_SECRET to accept NetBox webhooks.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := env.configFor(config.RoleAPI)
			if err != nil {
				return err
			}
			ctx, stop := interruptContext(cmd.Context())
			defer stop()
			log := config.NewLogger(cfg, "api")

			ln, err := net.Listen("tcp", cfg.HTTPAddr)
			if err != nil {
				return fmt.Errorf("%s: %w", config.EnvHTTPAddr, err)
			}
			defer ln.Close() // a no-op once served: Shutdown closed it
			svc, err := process.Open(ctx, cfg, log, process.Options{Role: "api", Sealer: true})
			if err != nil {
				return err
			}
			defer svc.Close()
			handler, err := newAPIHandler(svc)
			if err != nil {
				return err
			}
			defer handler.Close()
			if cfg.WebhookSecret == "" {
				log.Warn(config.EnvWebhookSecret + " is not set: NetBox webhooks are refused")
			}
			log.WithField("url", process.BaseURL(ln)).Info("API listening")
			env.notifyStarted(startedInfo{APIURL: process.BaseURL(ln), Services: svc})
			err = process.Serve(ctx, handler, ln, process.ShutdownGrace)
			log.Info("API stopped")
			return err
		},
	}
}

// newAPIHandler builds the HTTP API of a process on its shared services,
// with the API tokens of its configuration.
func newAPIHandler(svc *process.Services) (*api.Server, error) {
	deny := process.ConnectionDeny(svc.Config)
	// The setup route is the API's only NetBox call; without NetBox
	// settings the API still serves and that route answers 503.
	var nb *netbox.Client
	if svc.Config.NetBoxURL != "" {
		var err error
		if nb, err = process.NewNetBoxClient(svc); err != nil {
			return nil, fmt.Errorf("build the API's NetBox client: %w", err)
		}
	}
	server, err := api.New(api.Params{
		DB:             svc.DB,
		Redis:          svc.Redis.Client,
		RedisOpt:       svc.Redis.ConnOpt,
		Enqueuer:       svc.Enqueuer,
		Sealer:         svc.Sealer,
		APITokens:      svc.Config.APITokens,
		WebhookSecret:  svc.Config.WebhookSecret,
		NetBox:         nb,
		MetricsToken:   svc.Config.MetricsToken,
		ConnectionDeny: &deny,
		Registry:       svc.Registry,
		Log:            svc.Log.WithField("component", "api"),
		Dashboard:      dashboard.New(dashboard.Options{NetBoxURL: svc.Config.NetBoxURL}),
		Now:            time.Now,
	})
	if err != nil {
		return nil, fmt.Errorf("build the API: %w", err)
	}
	return server, nil
}
