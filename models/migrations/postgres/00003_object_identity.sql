-- +goose Up
-- A plan entry remembers the hash of the Fields it was decided on, so the
-- batch that applies it can tell whether NetBox changed since the plan.
ALTER TABLE sync_plan_entries ADD COLUMN payload_hash TEXT NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE sync_plan_entries DROP COLUMN payload_hash;
