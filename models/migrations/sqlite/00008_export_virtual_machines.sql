-- +goose Up
-- Export NetBox virtual machines too (DESIGN.md section 10). Off by
-- default, so an upgrade changes nothing on WUG until a person opts in.
ALTER TABLE wug_connections ADD COLUMN export_virtual_machines BOOLEAN NOT NULL DEFAULT 0;

-- +goose Down
ALTER TABLE wug_connections DROP COLUMN export_virtual_machines;
