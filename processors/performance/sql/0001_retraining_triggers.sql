-- Retraining triggers that fired (processors/performance/triggers, gateway/performance/retraining.py).
-- One row per (model, version, trigger, episode): the episode is the start of the condition's run of
-- days, the due time of a period, or the version's first sighting, so a condition that keeps holding
-- is recorded once. Delivery to the webhook is tracked by writing a newer row of the same key
-- (UpdatedAt is the version): read the latest with argMax(..., UpdatedAt) or FINAL.

CREATE TABLE IF NOT EXISTS $db.ml_retraining_triggers$local $on_cluster (
    FiredAt DateTime64(3),
    ModelName LowCardinality(String),
    ModelVersion LowCardinality(String),
    Trigger LowCardinality(String),
    Kind LowCardinality(String),
    Episode DateTime64(3),
    Evidence String CODEC(ZSTD(3)),
    Delivered UInt8,
    Attempts UInt32,
    LastError String,
    UpdatedAt DateTime64(3)
) ENGINE = $ReplacingMergeTree(UpdatedAt)
ORDER BY (ModelName, ModelVersion, Trigger, Episode);
