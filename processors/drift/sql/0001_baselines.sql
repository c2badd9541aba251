-- Drift baselines (processors/drift/baseline.py): one row per stored baseline, versioned per model
-- version by Revision (1, 2, ...), and the activations that choose which one is compared.
-- ml_baselines: the profile as JSON (BaselineProfile.to_dict), where it came from and its row count.
-- ml_baseline_activations: one row per activation; the active baseline of a model version is the
--   BaselineId of its newest activation (argMax(BaselineId, ActivatedAt)), so activating is one
--   INSERT, replicas agree, and the history of activations stays readable. ActivatedAt has ns
--   precision and never repeats within a model version (the store bumps it past the previous one).

CREATE TABLE IF NOT EXISTS $db.ml_baselines$local $on_cluster (
    BaselineId String,
    ModelName LowCardinality(String),
    ModelVersion LowCardinality(String),
    Revision UInt32,
    CreatedAt DateTime64(3),
    Source String,
    Rows UInt64,
    Profile String CODEC(ZSTD(3))
) ENGINE = $ReplacingMergeTree(CreatedAt)
ORDER BY (ModelName, ModelVersion, BaselineId);

CREATE TABLE IF NOT EXISTS $db.ml_baseline_activations$local $on_cluster (
    ModelName LowCardinality(String),
    ModelVersion LowCardinality(String),
    BaselineId String,
    ActivatedAt DateTime64(9)
) ENGINE = $MergeTree
ORDER BY (ModelName, ModelVersion, ActivatedAt);
