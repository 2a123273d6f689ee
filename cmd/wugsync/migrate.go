package main

import (
	"github.com/sirupsen/logrus"
	"github.com/spf13/cobra"

	"github.com/wugsync/wugsync/config"
	"github.com/wugsync/wugsync/internal/process"
	"github.com/wugsync/wugsync/models"
)

func newMigrateCommand(env environment) *cobra.Command {
	return &cobra.Command{
		Use:   "migrate",
		Short: "Apply database migrations and exit (running it twice is a no-op)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := env.configFor(config.RoleMigrate)
			if err != nil {
				return err
			}
			log := config.NewLogger(cfg, "migrate")
			db, err := process.OpenDatabase(cmd.Context(), cfg.DatabaseURL)
			if err != nil {
				return err
			}
			defer models.Close(db)
			result, err := models.Migrate(cmd.Context(), db, process.MigrationKey(cfg))
			if err != nil {
				return err
			}
			log.WithFields(logrus.Fields{
				"applied": result.Applied,
				"version": result.Version,
			}).Info("database schema is up to date")
			return nil
		},
	}
}
