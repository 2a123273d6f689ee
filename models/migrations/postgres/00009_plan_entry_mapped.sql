-- +goose Up
-- A plan entry that writes to WUG keeps what the plan mapped (the Fields as
-- JSON, and the write-back custom field NetBox showed), so its batch writes
-- exactly that with no NetBox read of its own (issue 15: NetBox reads stay
-- within 1.5x the floor's).
ALTER TABLE sync_plan_entries ADD COLUMN mapped TEXT NULL;

-- +goose Down
ALTER TABLE sync_plan_entries DROP COLUMN mapped;
