-- +goose Up
-- An export that links a device now settles its create: RowExported clears
-- the create claim and mark. Rows linked before kept both for good, so the
-- claims' partial index (00010) held every created row, and a device
-- deleted in WUG was looked up in WUG before it was created again, for a
-- template call whose answer had come back. A linked row's create is
-- settled: nothing creates a linked object, so its claim and mark go.
UPDATE netbox_ip_exports SET create_claim = '', create_claimed_at = NULL, create_attempted_at = NULL
WHERE wug_device_id <> ''
  AND (create_claim <> '' OR create_claimed_at IS NOT NULL OR create_attempted_at IS NOT NULL);

-- +goose Down
-- The claims and marks cleared were settled ones; nothing to restore.
SELECT 1;
