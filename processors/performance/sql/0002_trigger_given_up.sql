-- A retraining-trigger episode whose webhook delivery was given up (performance.webhook.max_age passed, or
-- the receiver answered a permanent 4xx): 1 stops the retries; Delivered stays 0 and LastError says why.
-- On a cluster the Distributed table gets the column too (on a single node the second ALTER names the
-- same table again and does nothing).

ALTER TABLE $db.ml_retraining_triggers$local $on_cluster
    ADD COLUMN IF NOT EXISTS GivenUp UInt8 DEFAULT 0 AFTER Delivered;

ALTER TABLE $db.ml_retraining_triggers $on_cluster
    ADD COLUMN IF NOT EXISTS GivenUp UInt8 DEFAULT 0 AFTER Delivered;
