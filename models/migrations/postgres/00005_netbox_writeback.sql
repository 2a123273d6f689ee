-- +goose Up
-- NetBox write-back (DESIGN.md section 10), off by default so an upgrade
-- writes nothing to NetBox until a person opts in.
ALTER TABLE wug_connections ADD COLUMN netbox_writeback BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE wug_connections ADD COLUMN netbox_custom_field TEXT NOT NULL DEFAULT 'wug_device_id';
ALTER TABLE wug_connections ADD COLUMN netbox_journal BOOLEAN NOT NULL DEFAULT FALSE;
-- Two write-back connections naming the same custom field would overwrite
-- each other's WUG device id.
CREATE UNIQUE INDEX uq_wug_connections_writeback_field ON wug_connections (netbox_custom_field) WHERE netbox_writeback;

-- What NetBox's custom field holds for the row's object, as wugsync last
-- read or wrote it (empty: nothing), and the write-back still owed to
-- NetBox (created, adopted, linked, updated or decommissioned; empty: none),
-- so a task that dies between WUG and NetBox leaves the write to its retry.
ALTER TABLE netbox_ip_exports ADD COLUMN netbox_field_value TEXT NOT NULL DEFAULT '';
ALTER TABLE netbox_ip_exports ADD COLUMN netbox_writeback_due TEXT NOT NULL DEFAULT '';
CREATE INDEX idx_netbox_ip_exports_writeback_due ON netbox_ip_exports (connection_id, netbox_writeback_due);

-- +goose Down
DROP INDEX idx_netbox_ip_exports_writeback_due;
ALTER TABLE netbox_ip_exports DROP COLUMN netbox_writeback_due;
ALTER TABLE netbox_ip_exports DROP COLUMN netbox_field_value;
DROP INDEX uq_wug_connections_writeback_field;
ALTER TABLE wug_connections DROP COLUMN netbox_journal;
ALTER TABLE wug_connections DROP COLUMN netbox_custom_field;
ALTER TABLE wug_connections DROP COLUMN netbox_writeback;
