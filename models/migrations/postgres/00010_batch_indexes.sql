-- +goose Up
-- Issue 15, deliverable 5: nothing a batch runs may cost more as the run
-- grows. A batch counts its own entries by action and outcome; with only
-- (sync_log_id, batch) and (sync_log_id, action) SQLite's planner took the
-- second, for its order on action, and counted every entry of the run
-- (150 ms a batch at 100,000 entries). With action after the batch number
-- the batch's own entries are found and already grouped; the old index is
-- this one's prefix.
CREATE INDEX idx_sync_plan_entries_run_batch_action ON sync_plan_entries (sync_log_id, batch, action);
DROP INDEX idx_sync_plan_entries_run_batch;
-- Releasing the create claims of a dead task, and listing the discovery
-- scans rows wait for, scanned every row; both concern a handful of rows.
CREATE INDEX idx_netbox_ip_exports_create_claim ON netbox_ip_exports (create_claim) WHERE create_claim <> '';
CREATE INDEX idx_netbox_ip_exports_open_scans ON netbox_ip_exports (connection_id, wug_scan_id) WHERE export_status = 'scan_triggered';

-- +goose Down
DROP INDEX idx_netbox_ip_exports_open_scans;
DROP INDEX idx_netbox_ip_exports_create_claim;
CREATE INDEX idx_sync_plan_entries_run_batch ON sync_plan_entries (sync_log_id, batch);
DROP INDEX idx_sync_plan_entries_run_batch_action;
