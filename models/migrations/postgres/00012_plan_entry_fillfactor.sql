-- +goose Up
-- A batch stores the outcome of each of its plan entries (outcome, error,
-- wug_device_id: no index holds them). With full pages each such update
-- was a new row version elsewhere, with an entry in each of the table's
-- four indexes: 8,262 of 8,278 outcome updates of a 10,000-device cold
-- run. An entry is about 850 bytes; pages filled to half keep room for
-- the new version of each of their rows in the same page, so the update
-- is heap-only (HOT) and touches no index. New pages only: the plan
-- entries of a run are written once and pruned by retention.
ALTER TABLE sync_plan_entries SET (fillfactor = 50);

-- +goose Down
ALTER TABLE sync_plan_entries RESET (fillfactor);
