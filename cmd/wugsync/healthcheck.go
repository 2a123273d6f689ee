package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"time"

	"github.com/spf13/cobra"

	"github.com/wugsync/wugsync/internal/process"
)

func init() {
	extraCommands = append(extraCommands, func() *cobra.Command { return newHealthcheckCommand(osEnvironment()) })
}

// newHealthcheckCommand is `wugsync healthcheck`: a probe for container
// images without a shell or wget (distroless), used by the Dockerfile's
// HEALTHCHECK and the compose file.
func newHealthcheckCommand(env environment) *cobra.Command {
	var (
		target  string
		timeout time.Duration
	)
	cmd := &cobra.Command{
		Use:   "healthcheck",
		Short: "Exit 0 when a wugsync health endpoint answers 200 (for container HEALTHCHECKs)",
		Long: `GETs --url and exits 0 on a 200 answer, 1 otherwise. Without --url it probes
/healthz of the API on WUGSYNC_HTTP_ADDR. For a worker or scheduler, point it at
its --health-addr, e.g. --url http://127.0.0.1:8081/healthz.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if target == "" {
				cfg, err := env.config()
				if err != nil {
					return err
				}
				target = localURL(cfg.HTTPAddr) + process.HealthPath
			}
			return probe(cmd.Context(), target, timeout)
		},
	}
	cmd.Flags().StringVar(&target, "url", "", "URL to probe (default: /healthz on WUGSYNC_HTTP_ADDR)")
	cmd.Flags().DurationVar(&timeout, "timeout", 5*time.Second, "give up after this long")
	return cmd
}

// probe GETs target and fails unless it answers 200 within timeout.
func probe(ctx context.Context, target string, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, target, nil)
	if err != nil {
		return fmt.Errorf("--url %q: %w", target, err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("probe %s: %w", target, err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("probe %s: answered %s", target, resp.Status)
	}
	return nil
}

// localURL is the URL of a listen address as seen from the same host: a
// wildcard host becomes 127.0.0.1.
func localURL(listenAddr string) string {
	host, port, err := net.SplitHostPort(listenAddr)
	if err != nil {
		return "http://" + listenAddr
	}
	if ip := net.ParseIP(host); host == "" || (ip != nil && ip.IsUnspecified()) {
		host = "127.0.0.1"
	}
	return "http://" + net.JoinHostPort(host, port)
}
