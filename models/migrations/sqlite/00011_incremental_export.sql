-- +goose Up
-- Incremental exports (issue 15, the warm line): a run records how it read
-- NetBox (mode: full or incremental), the time on NetBox's clock from which
-- the next run may ask only for changes (netbox_since), and the hash of the
-- connection settings it planned with (config_hash; another hash makes the
-- next run full). The index finds a connection's last such run.
ALTER TABLE wug_sync_logs ADD COLUMN mode TEXT NOT NULL DEFAULT '';
ALTER TABLE wug_sync_logs ADD COLUMN netbox_since DATETIME NULL;
ALTER TABLE wug_sync_logs ADD COLUMN config_hash TEXT NOT NULL DEFAULT '';
CREATE INDEX idx_wug_sync_logs_connection_mode ON wug_sync_logs (connection_id, mode, id);

-- +goose Down
DROP INDEX idx_wug_sync_logs_connection_mode;
ALTER TABLE wug_sync_logs DROP COLUMN config_hash;
ALTER TABLE wug_sync_logs DROP COLUMN netbox_since;
ALTER TABLE wug_sync_logs DROP COLUMN mode;
