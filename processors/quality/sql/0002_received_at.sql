-- The time each ml_features row reached ClickHouse (ReceivedAt), for timeliness: event time vs
-- receive time. Added in two migrations on purpose. For parts written before a column existed,
-- ClickHouse computes its DEFAULT when reading: with DEFAULT now64(3) straight away, every older row
-- would read "received just now" at every query and land in every window. So the column first
-- defaults to the epoch (meaning "receive time unknown"), the older rows get that value written
-- (MATERIALIZE, waited for), and only then (0003) the default becomes now64(3) for new rows.
-- Rerunning this file is safe: until 0003 the default is still the epoch.
--
-- On a cluster the materialized views insert into the Distributed table ml_features, which fills
-- defaults from its own column list before forwarding, so it gets the column too (on a single node
-- the second ALTER names the same table again and does nothing).

ALTER TABLE $db.ml_features$local $on_cluster
    ADD COLUMN IF NOT EXISTS ReceivedAt DateTime64(3) DEFAULT toDateTime64(0, 3);

ALTER TABLE $db.ml_features$local $on_cluster
    MATERIALIZE COLUMN ReceivedAt SETTINGS mutations_sync = 2;

ALTER TABLE $db.ml_features $on_cluster
    ADD COLUMN IF NOT EXISTS ReceivedAt DateTime64(3) DEFAULT toDateTime64(0, 3);
