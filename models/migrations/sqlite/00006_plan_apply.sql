-- +goose Up
-- Plan apply (POST /api/v1/sync-logs/{id}/apply): a run made from a dry
-- run's plan names that dry run (applied_from) and lists the NetBox objects
-- it decided again because they changed after the plan (replanned, a JSON
-- array of object ids).
ALTER TABLE wug_sync_logs ADD COLUMN applied_from INTEGER;
ALTER TABLE wug_sync_logs ADD COLUMN replanned TEXT NULL;
-- Objects the connection's filters select but whose status it does not
-- export: explained by a skipped plan entry (excluded) and counted on
-- their own, outside devices_total.
ALTER TABLE wug_sync_logs ADD COLUMN devices_excluded INTEGER NOT NULL DEFAULT 0;
ALTER TABLE sync_plan_entries ADD COLUMN excluded BOOLEAN NOT NULL DEFAULT 0;

-- +goose Down
ALTER TABLE sync_plan_entries DROP COLUMN excluded;
ALTER TABLE wug_sync_logs DROP COLUMN devices_excluded;
ALTER TABLE wug_sync_logs DROP COLUMN replanned;
ALTER TABLE wug_sync_logs DROP COLUMN applied_from;
