package main

import (
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/wugsync/wugsync/api"
	"github.com/wugsync/wugsync/config"
	"github.com/wugsync/wugsync/internal/process"
	"github.com/wugsync/wugsync/models"
	"github.com/wugsync/wugsync/netbox"
)

func init() {
	extraCommands = append(extraCommands, func() *cobra.Command { return newNetBoxSetupCommand(osEnvironment()) })
}

// roleNetBoxSetup needs the database (for the connection) and NetBox.
var roleNetBoxSetup = config.Role{Name: "netbox-setup", NetBox: true}

// newNetBoxSetupCommand is `wugsync netbox-setup`: what
// POST /api/v1/connections/{id}/netbox-setup does, from a shell.
func newNetBoxSetupCommand(env environment) *cobra.Command {
	var connectionID uint
	var webhookURL string
	cmd := &cobra.Command{
		Use:   "netbox-setup",
		Short: "Create, idempotently, the NetBox custom field, the custom link to WUG and, with --webhook-url, the webhook and its event rule",
		Long: `Creates in NetBox, or finds as needed, what a connection relies on:

  - the text custom field wug_device_id on devices and virtual machines
    (an existing field gets the missing object types added);
  - a custom link on both, from the object's page to its WUG device in the
    connection's WUG web console;
  - with --webhook-url (the URL at which NetBox reaches wugsync), the webhook
    signed with WUGSYNC_WEBHOOK_SECRET and the event rule sending device and
    VM creates, updates and deletes to it.

Prints one line per object: created, updated (with what changed) or found.
The token needs the permissions README lists; a missing one is named.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if connectionID == 0 {
				return errors.New("netbox-setup: --connection ID is required")
			}
			if webhookURL != "" {
				if _, err := netbox.NormalizeWebhookURL(webhookURL); err != nil {
					return fmt.Errorf("netbox-setup: --webhook-url %w", err)
				}
			}
			cfg, err := env.configFor(roleNetBoxSetup)
			if err != nil {
				return err
			}
			if webhookURL != "" && cfg.WebhookSecret == "" {
				return errors.New("netbox-setup: a webhook needs " + config.EnvWebhookSecret + " to sign it: set it, then run again")
			}
			log := config.NewLogger(cfg, "netbox-setup")
			db, err := process.OpenMigratedDatabase(cmd.Context(), cfg.DatabaseURL)
			if err != nil {
				return err
			}
			defer models.Close(db)
			conn, err := models.NewStore(db).Connection(cmd.Context(), connectionID)
			if models.IsNotFound(err) {
				return fmt.Errorf("netbox-setup: no connection with id %d", connectionID)
			}
			if err != nil {
				return err
			}
			nb, err := netbox.New(netbox.Config{URL: cfg.NetBoxURL, Token: cfg.NetBoxToken, Logger: log.WithField("component", "netbox")})
			if err != nil {
				return err
			}
			res, err := api.NetBoxSetup(cmd.Context(), nb, conn, webhookURL, cfg.WebhookSecret)
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			fmt.Fprintf(out, "connection %d (%s), custom field %s:\n", conn.ID, conn.Name, res.CustomField)
			for _, o := range res.Objects {
				line := fmt.Sprintf("  %-8s %s %q (id %d)", o.Action, o.Kind, o.Name, o.ID)
				if len(o.Changes) > 0 {
					line += ": " + strings.Join(o.Changes, "; ")
				}
				fmt.Fprintln(out, line)
			}
			return nil
		},
	}
	cmd.Flags().UintVar(&connectionID, "connection", 0, "the WUG connection (by id) whose console the link opens (required)")
	cmd.Flags().StringVar(&webhookURL, "webhook-url", "", "the URL at which NetBox reaches wugsync; also sets up the webhook and the event rule")
	return cmd
}
