-- Data-quality violations per evaluated window (processors/quality, gateway/quality/evaluation.py):
-- one row per (model, rule, field, window end) with how often the rule failed, how many values or
-- records it checked, and a few violating records as JSON (PII hashed, processors/quality/samples.py).
-- Replicas that evaluate the same aligned window write the same key; the ReplacingMergeTree keeps one.

CREATE TABLE IF NOT EXISTS $db.ml_quality_violations$local $on_cluster (
    EvaluatedAt DateTime64(3),
    WindowStart DateTime64(3),
    WindowEnd DateTime64(3),
    ModelName LowCardinality(String),
    ModelVersion LowCardinality(String),
    Rule LowCardinality(String),
    Field String,
    Violations UInt64,
    Checked UInt64,
    Samples Array(String) CODEC(ZSTD(3))
) ENGINE = $ReplacingMergeTree(EvaluatedAt)
PARTITION BY toYYYYMM(WindowEnd)
ORDER BY (ModelName, ModelVersion, Rule, Field, WindowEnd)
@ttl_ml(WindowEnd);
