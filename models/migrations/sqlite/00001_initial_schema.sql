-- +goose Up
CREATE TABLE wug_connections (
    id                      INTEGER PRIMARY KEY AUTOINCREMENT,
    name                    TEXT NOT NULL,
    host                    TEXT NOT NULL,
    port                    INTEGER NOT NULL DEFAULT 9644 CHECK (port BETWEEN 1 AND 65535),
    username                TEXT NOT NULL,
    password_encrypted      TEXT NOT NULL DEFAULT '',
    use_ssl                 BOOLEAN NOT NULL DEFAULT 1,
    verify_ssl              BOOLEAN NOT NULL DEFAULT 1,
    ca_cert_pem             TEXT NOT NULL DEFAULT '',
    is_active               BOOLEAN NOT NULL DEFAULT 1,
    enable_netbox_export    BOOLEAN NOT NULL DEFAULT 1,
    export_interval_minutes INTEGER NOT NULL DEFAULT 180 CHECK (export_interval_minutes > 0),
    last_export             DATETIME NULL,
    auto_scan_exported_ips  BOOLEAN NOT NULL DEFAULT 1,
    device_filters          TEXT NOT NULL DEFAULT '{}',
    group_template          TEXT NOT NULL DEFAULT '{site}',
    role_rules              TEXT NULL,
    create_missing_groups   BOOLEAN NOT NULL DEFAULT 1,
    decommission_action     TEXT NOT NULL DEFAULT 'none' CHECK (decommission_action IN ('none', 'maintenance', 'delete')),
    rate_limit_per_second   INTEGER NOT NULL DEFAULT 10 CHECK (rate_limit_per_second > 0),
    max_concurrent_requests INTEGER NOT NULL DEFAULT 4 CHECK (max_concurrent_requests > 0),
    batch_size              INTEGER NOT NULL DEFAULT 100 CHECK (batch_size BETWEEN 1 AND 499),
    created_at              DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    updated_at              DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT uq_wug_connections_name UNIQUE (name)
);
CREATE INDEX idx_wug_connections_export ON wug_connections (is_active, enable_netbox_export);

CREATE TABLE wug_sync_logs (
    id                INTEGER PRIMARY KEY AUTOINCREMENT,
    connection_id     INTEGER NOT NULL REFERENCES wug_connections (id) ON DELETE CASCADE,
    sync_type         TEXT NOT NULL CHECK (sync_type IN ('export', 'device_sync', 'decommission')),
    "trigger"         TEXT NOT NULL CHECK ("trigger" IN ('manual', 'scheduled', 'webhook', 'api')),
    status            TEXT NOT NULL DEFAULT 'queued' CHECK (status IN ('queued', 'running', 'completed', 'failed', 'cancelled')),
    dry_run           BOOLEAN NOT NULL DEFAULT 0,
    filters           TEXT NOT NULL DEFAULT '{}',
    started_at        DATETIME NULL,
    planned_at        DATETIME NULL,
    ended_at          DATETIME NULL,
    devices_total     INTEGER NOT NULL DEFAULT 0,
    devices_created   INTEGER NOT NULL DEFAULT 0,
    devices_updated   INTEGER NOT NULL DEFAULT 0,
    devices_unchanged INTEGER NOT NULL DEFAULT 0,
    devices_skipped   INTEGER NOT NULL DEFAULT 0,
    devices_failed    INTEGER NOT NULL DEFAULT 0,
    batches_total     INTEGER NOT NULL DEFAULT 0,
    batches_done      INTEGER NOT NULL DEFAULT 0,
    summary           TEXT NOT NULL DEFAULT '',
    error_message     TEXT NOT NULL DEFAULT '',
    created_at        DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    updated_at        DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP
);
-- One active export run per connection: a second request finds the first.
CREATE UNIQUE INDEX uq_wug_sync_logs_active_export ON wug_sync_logs (connection_id)
    WHERE sync_type = 'export' AND status IN ('queued', 'running');
CREATE INDEX idx_wug_sync_logs_connection_created ON wug_sync_logs (connection_id, created_at);
CREATE INDEX idx_wug_sync_logs_status ON wug_sync_logs (status);

CREATE TABLE netbox_ip_exports (
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
CREATE INDEX idx_netbox_ip_exports_connection_status ON netbox_ip_exports (connection_id, export_status);
CREATE INDEX idx_netbox_ip_exports_ip ON netbox_ip_exports (ip_address);
CREATE INDEX idx_netbox_ip_exports_device ON netbox_ip_exports (netbox_device_id);
CREATE INDEX idx_netbox_ip_exports_wug_device ON netbox_ip_exports (connection_id, wug_device_id);

CREATE TABLE sync_plan_entries (
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
CREATE INDEX idx_sync_plan_entries_run_action ON sync_plan_entries (sync_log_id, action);
CREATE INDEX idx_sync_plan_entries_run_batch ON sync_plan_entries (sync_log_id, batch);

CREATE TABLE sync_run_batches (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    sync_log_id    INTEGER NOT NULL REFERENCES wug_sync_logs (id) ON DELETE CASCADE,
    batch          INTEGER NOT NULL,
    created        INTEGER NOT NULL DEFAULT 0,
    updated        INTEGER NOT NULL DEFAULT 0,
    decommissioned INTEGER NOT NULL DEFAULT 0,
    failed         INTEGER NOT NULL DEFAULT 0,
    scanning       INTEGER NOT NULL DEFAULT 0,
    pending        INTEGER NOT NULL DEFAULT 0,
    updated_at     DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT uq_sync_run_batches_run_batch UNIQUE (sync_log_id, batch)
);

CREATE TABLE export_attempts (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    connection_id INTEGER NULL REFERENCES wug_connections (id) ON DELETE CASCADE,
    export_id     INTEGER NULL REFERENCES netbox_ip_exports (id) ON DELETE CASCADE,
    sync_log_id   INTEGER NULL REFERENCES wug_sync_logs (id) ON DELETE CASCADE,
    task_id       TEXT NOT NULL DEFAULT '',
    task_type     TEXT NOT NULL DEFAULT '',
    attempt       INTEGER NOT NULL DEFAULT 0,
    error         TEXT NOT NULL DEFAULT '',
    occurred_at   DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP
);
CREATE INDEX idx_export_attempts_export ON export_attempts (export_id, occurred_at);
CREATE INDEX idx_export_attempts_sync_log ON export_attempts (sync_log_id, occurred_at);

-- +goose Down
DROP TABLE export_attempts;
DROP TABLE sync_run_batches;
DROP TABLE sync_plan_entries;
DROP TABLE netbox_ip_exports;
DROP TABLE wug_sync_logs;
DROP TABLE wug_connections;
