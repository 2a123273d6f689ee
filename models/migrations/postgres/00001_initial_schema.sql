-- +goose Up
CREATE TABLE wug_connections (
    id                      BIGSERIAL PRIMARY KEY,
    name                    TEXT NOT NULL,
    host                    TEXT NOT NULL,
    port                    INTEGER NOT NULL DEFAULT 9644 CHECK (port BETWEEN 1 AND 65535),
    username                TEXT NOT NULL,
    password_encrypted      TEXT NOT NULL DEFAULT '',
    use_ssl                 BOOLEAN NOT NULL DEFAULT TRUE,
    verify_ssl              BOOLEAN NOT NULL DEFAULT TRUE,
    ca_cert_pem             TEXT NOT NULL DEFAULT '',
    is_active               BOOLEAN NOT NULL DEFAULT TRUE,
    enable_netbox_export    BOOLEAN NOT NULL DEFAULT TRUE,
    export_interval_minutes INTEGER NOT NULL DEFAULT 180 CHECK (export_interval_minutes > 0),
    last_export             TIMESTAMPTZ NULL,
    auto_scan_exported_ips  BOOLEAN NOT NULL DEFAULT TRUE,
    device_filters          TEXT NOT NULL DEFAULT '{}',
    group_template          TEXT NOT NULL DEFAULT '{site}',
    role_rules              TEXT NULL,
    create_missing_groups   BOOLEAN NOT NULL DEFAULT TRUE,
    decommission_action     TEXT NOT NULL DEFAULT 'none' CHECK (decommission_action IN ('none', 'maintenance', 'delete')),
    rate_limit_per_second   INTEGER NOT NULL DEFAULT 10 CHECK (rate_limit_per_second > 0),
    max_concurrent_requests INTEGER NOT NULL DEFAULT 4 CHECK (max_concurrent_requests > 0),
    batch_size              INTEGER NOT NULL DEFAULT 100 CHECK (batch_size BETWEEN 1 AND 499),
    created_at              TIMESTAMPTZ NOT NULL DEFAULT CURRENT_TIMESTAMP,
    updated_at              TIMESTAMPTZ NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT uq_wug_connections_name UNIQUE (name)
);
CREATE INDEX idx_wug_connections_export ON wug_connections (is_active, enable_netbox_export);

CREATE TABLE wug_sync_logs (
    id                BIGSERIAL PRIMARY KEY,
    connection_id     BIGINT NOT NULL REFERENCES wug_connections (id) ON DELETE CASCADE,
    sync_type         TEXT NOT NULL CHECK (sync_type IN ('export', 'device_sync', 'decommission')),
    "trigger"         TEXT NOT NULL CHECK ("trigger" IN ('manual', 'scheduled', 'webhook', 'api')),
    status            TEXT NOT NULL DEFAULT 'queued' CHECK (status IN ('queued', 'running', 'completed', 'failed', 'cancelled')),
    dry_run           BOOLEAN NOT NULL DEFAULT FALSE,
    filters           TEXT NOT NULL DEFAULT '{}',
    started_at        TIMESTAMPTZ NULL,
    planned_at        TIMESTAMPTZ NULL,
    ended_at          TIMESTAMPTZ NULL,
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
    created_at        TIMESTAMPTZ NOT NULL DEFAULT CURRENT_TIMESTAMP,
    updated_at        TIMESTAMPTZ NOT NULL DEFAULT CURRENT_TIMESTAMP
);
-- One active export run per connection: a second request finds the first.
CREATE UNIQUE INDEX uq_wug_sync_logs_active_export ON wug_sync_logs (connection_id)
    WHERE sync_type = 'export' AND status IN ('queued', 'running');
CREATE INDEX idx_wug_sync_logs_connection_created ON wug_sync_logs (connection_id, created_at);
CREATE INDEX idx_wug_sync_logs_status ON wug_sync_logs (status);

CREATE TABLE netbox_ip_exports (
    id                    BIGSERIAL PRIMARY KEY,
    connection_id         BIGINT NOT NULL REFERENCES wug_connections (id) ON DELETE CASCADE,
    netbox_device_id      BIGINT NOT NULL,
    netbox_device_name    TEXT NOT NULL DEFAULT '',
    ip_address            TEXT NOT NULL DEFAULT '',
    export_reason         TEXT NOT NULL DEFAULT 'new_device' CHECK (export_reason IN ('new_device', 'ip_change', 'changed', 'manual', 'scheduled', 'webhook', 'decommission')),
    export_status         TEXT NOT NULL DEFAULT 'pending' CHECK (export_status IN ('pending', 'exported', 'scan_triggered', 'scan_completed', 'skipped', 'error', 'decommissioned')),
    wug_device_id         TEXT NOT NULL DEFAULT '',
    adopted               BOOLEAN NOT NULL DEFAULT FALSE,
    wug_group_id          TEXT NOT NULL DEFAULT '',
    wug_scan_id           TEXT NOT NULL DEFAULT '',
    wug_scan_status       TEXT NOT NULL DEFAULT '',
    wug_device_discovered BOOLEAN NOT NULL DEFAULT FALSE,
    payload_hash          TEXT NOT NULL DEFAULT '',
    exported_fields       TEXT NOT NULL DEFAULT '',
    attempts              INTEGER NOT NULL DEFAULT 0,
    error_message         TEXT NOT NULL DEFAULT '',
    skip_reason           TEXT NOT NULL DEFAULT '',
    last_run_id           BIGINT NULL REFERENCES wug_sync_logs (id) ON DELETE SET NULL,
    create_attempted_at   TIMESTAMPTZ NULL,
    create_claim          TEXT NOT NULL DEFAULT '',
    create_claimed_at     TIMESTAMPTZ NULL,
    exported_at           TIMESTAMPTZ NULL,
    scan_triggered_at     TIMESTAMPTZ NULL,
    scan_completed_at     TIMESTAMPTZ NULL,
    skipped_at            TIMESTAMPTZ NULL,
    error_at              TIMESTAMPTZ NULL,
    decommissioned_at     TIMESTAMPTZ NULL,
    created_at            TIMESTAMPTZ NOT NULL DEFAULT CURRENT_TIMESTAMP,
    updated_at            TIMESTAMPTZ NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT uq_netbox_ip_exports_connection_device UNIQUE (connection_id, netbox_device_id)
);
CREATE INDEX idx_netbox_ip_exports_connection_status ON netbox_ip_exports (connection_id, export_status);
CREATE INDEX idx_netbox_ip_exports_ip ON netbox_ip_exports (ip_address);
CREATE INDEX idx_netbox_ip_exports_device ON netbox_ip_exports (netbox_device_id);
CREATE INDEX idx_netbox_ip_exports_wug_device ON netbox_ip_exports (connection_id, wug_device_id);

CREATE TABLE sync_plan_entries (
    id               BIGSERIAL PRIMARY KEY,
    sync_log_id      BIGINT NOT NULL REFERENCES wug_sync_logs (id) ON DELETE CASCADE,
    connection_id    BIGINT NOT NULL,
    netbox_device_id BIGINT NOT NULL,
    device_name      TEXT NOT NULL DEFAULT '',
    ip_address       TEXT NOT NULL DEFAULT '',
    action           TEXT NOT NULL CHECK (action IN ('create', 'update', 'unchanged', 'skip', 'decommission')),
    reason           TEXT NOT NULL DEFAULT '',
    wug_device_id    TEXT NOT NULL DEFAULT '',
    diff             TEXT NULL,
    batch            INTEGER NOT NULL DEFAULT 0,
    outcome          TEXT NOT NULL DEFAULT '',
    error            TEXT NOT NULL DEFAULT '',
    created_at       TIMESTAMPTZ NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT uq_sync_plan_entries_run_device UNIQUE (sync_log_id, netbox_device_id)
);
CREATE INDEX idx_sync_plan_entries_run_action ON sync_plan_entries (sync_log_id, action);
CREATE INDEX idx_sync_plan_entries_run_batch ON sync_plan_entries (sync_log_id, batch);

CREATE TABLE sync_run_batches (
    id             BIGSERIAL PRIMARY KEY,
    sync_log_id    BIGINT NOT NULL REFERENCES wug_sync_logs (id) ON DELETE CASCADE,
    batch          INTEGER NOT NULL,
    created        INTEGER NOT NULL DEFAULT 0,
    updated        INTEGER NOT NULL DEFAULT 0,
    decommissioned INTEGER NOT NULL DEFAULT 0,
    failed         INTEGER NOT NULL DEFAULT 0,
    scanning       INTEGER NOT NULL DEFAULT 0,
    pending        INTEGER NOT NULL DEFAULT 0,
    updated_at     TIMESTAMPTZ NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT uq_sync_run_batches_run_batch UNIQUE (sync_log_id, batch)
);

CREATE TABLE export_attempts (
    id            BIGSERIAL PRIMARY KEY,
    connection_id BIGINT NULL REFERENCES wug_connections (id) ON DELETE CASCADE,
    export_id     BIGINT NULL REFERENCES netbox_ip_exports (id) ON DELETE CASCADE,
    sync_log_id   BIGINT NULL REFERENCES wug_sync_logs (id) ON DELETE CASCADE,
    task_id       TEXT NOT NULL DEFAULT '',
    task_type     TEXT NOT NULL DEFAULT '',
    attempt       INTEGER NOT NULL DEFAULT 0,
    error         TEXT NOT NULL DEFAULT '',
    occurred_at   TIMESTAMPTZ NOT NULL DEFAULT CURRENT_TIMESTAMP
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
