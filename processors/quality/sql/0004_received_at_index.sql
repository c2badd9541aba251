-- The quality task reads ml_features by ReceivedAt (the window of rows received), which is not in the
-- sorting key; a minmax skip index lets ClickHouse skip the granules of parts received long before.
-- Parts written before this index existed are read in full until they are merged.

ALTER TABLE $db.ml_features$local $on_cluster
    ADD INDEX IF NOT EXISTS received_at_minmax ReceivedAt TYPE minmax GRANULARITY 1;
