-- +goose Up
-- The WUG web console's page for one device ({id} is the WUG device id).
-- Empty means the default, the console's root on the connection's host,
-- which then follows the host when it changes.
ALTER TABLE wug_connections ADD COLUMN wug_console_url TEXT NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE wug_connections DROP COLUMN wug_console_url;
