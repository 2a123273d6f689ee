-- +goose NO TRANSACTION
-- +goose Up
-- Rows and plan entries are keyed by (connection, object type, NetBox
-- object id), so virtual machines can be exported beside devices whose ids
-- they share (DESIGN.md section 10). Every existing row is a device: it
-- keeps its netbox_device_id, its id is copied to netbox_object_id, and its
-- history (export_attempts) stays attached. SQLite cannot drop a table
-- constraint, so both tables are rebuilt; foreign keys are off meanwhile so
-- that dropping the old table cascades to nothing, and everything else runs
-- in one transaction.
PRAGMA foreign_keys = OFF;
BEGIN;
CREATE TABLE netbox_ip_exports_new (
    id                    INTEGER PRIMARY KEY AUTOINCREMENT,
    connection_id         INTEGER NOT NULL REFERENCES wug_connections (id) ON DELETE CASCADE,
    netbox_device_id      INTEGER NOT NULL,
    netbox_device_name    TEXT NOT NULL DEFAULT '',
    ip_address            TEXT NOT NULL DEFAULT '',
    export_reason         TEXT NOT NULL DEFAULT 'new_device' CHECK (export_reason IN ('new_device', 'ip_change', 'changed', 'manual', 'scheduled', 'webhook', 'decommission')),
    export_status         TEXT NOT NULL DEFAULT 'pending' CHECK (export_status IN ('pending', 'exported', 'scan_triggered', 'scan_completed', 'skipped', 'error', 'decommissioned')),
    wug_device_id         TEXT NOT NULL DEFAULT '',
    adopted               BOOLEAN NOT NULL DEFAULT 0,
    wug_group_id          TEXT NOT NULL DEFAULT '',
    wug_scan_id           TEXT NOT NULL DEFAULT '',
    wug_scan_status       TEXT NOT NULL DEFAULT '',
    wug_device_discovered BOOLEAN NOT NULL DEFAULT 0,
    payload_hash          TEXT NOT NULL DEFAULT '',
    exported_fields       TEXT NOT NULL DEFAULT '',
    attempts              INTEGER NOT NULL DEFAULT 0,
    error_message         TEXT NOT NULL DEFAULT '',
    skip_reason           TEXT NOT NULL DEFAULT '',
    last_run_id           INTEGER NULL REFERENCES wug_sync_logs (id) ON DELETE SET NULL,
    create_attempted_at   DATETIME NULL,
    create_claim          TEXT NOT NULL DEFAULT '',
    create_claimed_at     DATETIME NULL,
    exported_at           DATETIME NULL,
    scan_triggered_at     DATETIME NULL,
    scan_completed_at     DATETIME NULL,
    skipped_at            DATETIME NULL,
    error_at              DATETIME NULL,
    decommissioned_at     DATETIME NULL,
    created_at            DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    updated_at            DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    object_type           TEXT NOT NULL DEFAULT 'device' CHECK (object_type IN ('device', 'virtualmachine')),
    netbox_object_id      INTEGER NOT NULL DEFAULT 0,
    CONSTRAINT uq_netbox_ip_exports_connection_object UNIQUE (connection_id, object_type, netbox_object_id)
);
INSERT INTO netbox_ip_exports_new (id, connection_id, netbox_device_id, netbox_device_name, ip_address, export_reason, export_status, wug_device_id, adopted, wug_group_id, wug_scan_id, wug_scan_status, wug_device_discovered, payload_hash, exported_fields, attempts, error_message, skip_reason, last_run_id, create_attempted_at, create_claim, create_claimed_at, exported_at, scan_triggered_at, scan_completed_at, skipped_at, error_at, decommissioned_at, created_at, updated_at, object_type, netbox_object_id)
    SELECT id, connection_id, netbox_device_id, netbox_device_name, ip_address, export_reason, export_status, wug_device_id, adopted, wug_group_id, wug_scan_id, wug_scan_status, wug_device_discovered, payload_hash, exported_fields, attempts, error_message, skip_reason, last_run_id, create_attempted_at, create_claim, create_claimed_at, exported_at, scan_triggered_at, scan_completed_at, skipped_at, error_at, decommissioned_at, created_at, updated_at, 'device', netbox_device_id FROM netbox_ip_exports;
DROP TABLE netbox_ip_exports;
ALTER TABLE netbox_ip_exports_new RENAME TO netbox_ip_exports;
CREATE INDEX idx_netbox_ip_exports_connection_status ON netbox_ip_exports (connection_id, export_status);
CREATE INDEX idx_netbox_ip_exports_ip ON netbox_ip_exports (ip_address);
CREATE INDEX idx_netbox_ip_exports_device ON netbox_ip_exports (netbox_device_id);
CREATE INDEX idx_netbox_ip_exports_wug_device ON netbox_ip_exports (connection_id, wug_device_id);

-- A plan entry remembers the hash of the Fields it was decided on
-- (payload_hash), so the batch that applies it can tell whether NetBox
-- changed since the plan.
CREATE TABLE sync_plan_entries_new (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    sync_log_id      INTEGER NOT NULL REFERENCES wug_sync_logs (id) ON DELETE CASCADE,
    connection_id    INTEGER NOT NULL,
    netbox_device_id INTEGER NOT NULL,
    device_name      TEXT NOT NULL DEFAULT '',
    ip_address       TEXT NOT NULL DEFAULT '',
    action           TEXT NOT NULL CHECK (action IN ('create', 'update', 'unchanged', 'skip', 'decommission')),
    reason           TEXT NOT NULL DEFAULT '',
    wug_device_id    TEXT NOT NULL DEFAULT '',
    diff             TEXT NULL,
    batch            INTEGER NOT NULL DEFAULT 0,
    outcome          TEXT NOT NULL DEFAULT '',
    error            TEXT NOT NULL DEFAULT '',
    created_at       DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    payload_hash     TEXT NOT NULL DEFAULT '',
    object_type      TEXT NOT NULL DEFAULT 'device' CHECK (object_type IN ('device', 'virtualmachine')),
    netbox_object_id INTEGER NOT NULL DEFAULT 0,
    CONSTRAINT uq_sync_plan_entries_run_object UNIQUE (sync_log_id, object_type, netbox_object_id)
);
INSERT INTO sync_plan_entries_new (id, sync_log_id, connection_id, netbox_device_id, device_name, ip_address, action, reason, wug_device_id, diff, batch, outcome, error, created_at, object_type, netbox_object_id)
    SELECT id, sync_log_id, connection_id, netbox_device_id, device_name, ip_address, action, reason, wug_device_id, diff, batch, outcome, error, created_at, 'device', netbox_device_id FROM sync_plan_entries;
DROP TABLE sync_plan_entries;
ALTER TABLE sync_plan_entries_new RENAME TO sync_plan_entries;
CREATE INDEX idx_sync_plan_entries_run_action ON sync_plan_entries (sync_log_id, action);
CREATE INDEX idx_sync_plan_entries_run_batch ON sync_plan_entries (sync_log_id, batch);
COMMIT;
PRAGMA foreign_keys = ON;

-- +goose Down
PRAGMA foreign_keys = OFF;
BEGIN;
CREATE TABLE netbox_ip_exports_old (
    id                    INTEGER PRIMARY KEY AUTOINCREMENT,
    connection_id         INTEGER NOT NULL REFERENCES wug_connections (id) ON DELETE CASCADE,
    netbox_device_id      INTEGER NOT NULL,
    netbox_device_name    TEXT NOT NULL DEFAULT '',
    ip_address            TEXT NOT NULL DEFAULT '',
    export_reason         TEXT NOT NULL DEFAULT 'new_device' CHECK (export_reason IN ('new_device', 'ip_change', 'changed', 'manual', 'scheduled', 'webhook', 'decommission')),
    export_status         TEXT NOT NULL DEFAULT 'pending' CHECK (export_status IN ('pending', 'exported', 'scan_triggered', 'scan_completed', 'skipped', 'error', 'decommissioned')),
    wug_device_id         TEXT NOT NULL DEFAULT '',
    adopted               BOOLEAN NOT NULL DEFAULT 0,
    wug_group_id          TEXT NOT NULL DEFAULT '',
    wug_scan_id           TEXT NOT NULL DEFAULT '',
    wug_scan_status       TEXT NOT NULL DEFAULT '',
    wug_device_discovered BOOLEAN NOT NULL DEFAULT 0,
    payload_hash          TEXT NOT NULL DEFAULT '',
    exported_fields       TEXT NOT NULL DEFAULT '',
    attempts              INTEGER NOT NULL DEFAULT 0,
    error_message         TEXT NOT NULL DEFAULT '',
    skip_reason           TEXT NOT NULL DEFAULT '',
    last_run_id           INTEGER NULL REFERENCES wug_sync_logs (id) ON DELETE SET NULL,
    create_attempted_at   DATETIME NULL,
    create_claim          TEXT NOT NULL DEFAULT '',
    create_claimed_at     DATETIME NULL,
    exported_at           DATETIME NULL,
    scan_triggered_at     DATETIME NULL,
    scan_completed_at     DATETIME NULL,
    skipped_at            DATETIME NULL,
    error_at              DATETIME NULL,
    decommissioned_at     DATETIME NULL,
    created_at            DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    updated_at            DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT uq_netbox_ip_exports_connection_device UNIQUE (connection_id, netbox_device_id)
);
INSERT INTO netbox_ip_exports_old (id, connection_id, netbox_device_id, netbox_device_name, ip_address, export_reason, export_status, wug_device_id, adopted, wug_group_id, wug_scan_id, wug_scan_status, wug_device_discovered, payload_hash, exported_fields, attempts, error_message, skip_reason, last_run_id, create_attempted_at, create_claim, create_claimed_at, exported_at, scan_triggered_at, scan_completed_at, skipped_at, error_at, decommissioned_at, created_at, updated_at)
    SELECT id, connection_id, netbox_device_id, netbox_device_name, ip_address, export_reason, export_status, wug_device_id, adopted, wug_group_id, wug_scan_id, wug_scan_status, wug_device_discovered, payload_hash, exported_fields, attempts, error_message, skip_reason, last_run_id, create_attempted_at, create_claim, create_claimed_at, exported_at, scan_triggered_at, scan_completed_at, skipped_at, error_at, decommissioned_at, created_at, updated_at FROM netbox_ip_exports WHERE object_type = 'device';
DROP TABLE netbox_ip_exports;
ALTER TABLE netbox_ip_exports_old RENAME TO netbox_ip_exports;
CREATE INDEX idx_netbox_ip_exports_connection_status ON netbox_ip_exports (connection_id, export_status);
CREATE INDEX idx_netbox_ip_exports_ip ON netbox_ip_exports (ip_address);
CREATE INDEX idx_netbox_ip_exports_device ON netbox_ip_exports (netbox_device_id);
CREATE INDEX idx_netbox_ip_exports_wug_device ON netbox_ip_exports (connection_id, wug_device_id);
CREATE TABLE sync_plan_entries_old (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    sync_log_id      INTEGER NOT NULL REFERENCES wug_sync_logs (id) ON DELETE CASCADE,
    connection_id    INTEGER NOT NULL,
    netbox_device_id INTEGER NOT NULL,
    device_name      TEXT NOT NULL DEFAULT '',
    ip_address       TEXT NOT NULL DEFAULT '',
    action           TEXT NOT NULL CHECK (action IN ('create', 'update', 'unchanged', 'skip', 'decommission')),
    reason           TEXT NOT NULL DEFAULT '',
    wug_device_id    TEXT NOT NULL DEFAULT '',
    diff             TEXT NULL,
    batch            INTEGER NOT NULL DEFAULT 0,
    outcome          TEXT NOT NULL DEFAULT '',
    error            TEXT NOT NULL DEFAULT '',
    created_at       DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT uq_sync_plan_entries_run_device UNIQUE (sync_log_id, netbox_device_id)
);
INSERT INTO sync_plan_entries_old (id, sync_log_id, connection_id, netbox_device_id, device_name, ip_address, action, reason, wug_device_id, diff, batch, outcome, error, created_at)
    SELECT id, sync_log_id, connection_id, netbox_device_id, device_name, ip_address, action, reason, wug_device_id, diff, batch, outcome, error, created_at FROM sync_plan_entries WHERE object_type = 'device';
DROP TABLE sync_plan_entries;
ALTER TABLE sync_plan_entries_old RENAME TO sync_plan_entries;
CREATE INDEX idx_sync_plan_entries_run_action ON sync_plan_entries (sync_log_id, action);
CREATE INDEX idx_sync_plan_entries_run_batch ON sync_plan_entries (sync_log_id, batch);
COMMIT;
PRAGMA foreign_keys = ON;
