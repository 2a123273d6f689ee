-- +goose Up
-- Retention (issue 12, finding 6): the sweep prunes old runs, their plans
-- and attempt history in small batches. These indexes let each batch find
-- its rows without scanning a table: old runs by age, the rows that still
-- name a run about to go (last_run_id, whose ON DELETE SET NULL would
-- otherwise scan every row per run), and attempts that belong to neither
-- a run nor a row, by age.
CREATE INDEX idx_wug_sync_logs_created ON wug_sync_logs (created_at);
CREATE INDEX idx_netbox_ip_exports_last_run ON netbox_ip_exports (last_run_id);
CREATE INDEX idx_export_attempts_occurred ON export_attempts (occurred_at);

-- +goose Down
DROP INDEX idx_export_attempts_occurred;
DROP INDEX idx_netbox_ip_exports_last_run;
DROP INDEX idx_wug_sync_logs_created;
