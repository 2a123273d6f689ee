-- +goose Up
-- PostgreSQL leaves room in the pages of sync_plan_entries for their
-- outcome updates (see its 00012); SQLite has no fill factor and updates
-- rows in place. The version keeps both databases' numbering the same.
SELECT 1;

-- +goose Down
SELECT 1;
