-- +goose Up
-- Rows and plan entries are keyed by (connection, object type, NetBox
-- object id), so virtual machines can be exported beside devices whose ids
-- they share (DESIGN.md section 10). Every existing row is a device: it
-- keeps its netbox_device_id, its id is copied to netbox_object_id, and its
-- history (export_attempts) stays attached.
ALTER TABLE netbox_ip_exports ADD COLUMN object_type TEXT NOT NULL DEFAULT 'device'
    CHECK (object_type IN ('device', 'virtualmachine'));
ALTER TABLE netbox_ip_exports ADD COLUMN netbox_object_id BIGINT NOT NULL DEFAULT 0;
UPDATE netbox_ip_exports SET netbox_object_id = netbox_device_id;
ALTER TABLE netbox_ip_exports DROP CONSTRAINT uq_netbox_ip_exports_connection_device;
ALTER TABLE netbox_ip_exports ADD CONSTRAINT uq_netbox_ip_exports_connection_object
    UNIQUE (connection_id, object_type, netbox_object_id);

-- A plan entry remembers the hash of the Fields it was decided on, so the
-- batch that applies it can tell whether NetBox changed since the plan.
ALTER TABLE sync_plan_entries ADD COLUMN payload_hash TEXT NOT NULL DEFAULT '';
ALTER TABLE sync_plan_entries ADD COLUMN object_type TEXT NOT NULL DEFAULT 'device'
    CHECK (object_type IN ('device', 'virtualmachine'));
ALTER TABLE sync_plan_entries ADD COLUMN netbox_object_id BIGINT NOT NULL DEFAULT 0;
UPDATE sync_plan_entries SET netbox_object_id = netbox_device_id;
ALTER TABLE sync_plan_entries DROP CONSTRAINT uq_sync_plan_entries_run_device;
ALTER TABLE sync_plan_entries ADD CONSTRAINT uq_sync_plan_entries_run_object
    UNIQUE (sync_log_id, object_type, netbox_object_id);

-- +goose Down
ALTER TABLE sync_plan_entries DROP CONSTRAINT uq_sync_plan_entries_run_object;
ALTER TABLE sync_plan_entries ADD CONSTRAINT uq_sync_plan_entries_run_device UNIQUE (sync_log_id, netbox_device_id);
ALTER TABLE sync_plan_entries DROP COLUMN netbox_object_id;
ALTER TABLE sync_plan_entries DROP COLUMN object_type;
ALTER TABLE sync_plan_entries DROP COLUMN payload_hash;
ALTER TABLE netbox_ip_exports DROP CONSTRAINT uq_netbox_ip_exports_connection_object;
ALTER TABLE netbox_ip_exports ADD CONSTRAINT uq_netbox_ip_exports_connection_device UNIQUE (connection_id, netbox_device_id);
ALTER TABLE netbox_ip_exports DROP COLUMN netbox_object_id;
ALTER TABLE netbox_ip_exports DROP COLUMN object_type;
