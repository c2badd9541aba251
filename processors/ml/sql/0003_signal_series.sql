-- Evaluated signals as time series (processors/ml/series.py): drift, data quality, performance.
-- One row per (model, signal, version, labels, window end); replicas that evaluate the same aligned
-- window write the same key, so the ReplacingMergeTree keeps one (read with FINAL or argMax).

CREATE TABLE IF NOT EXISTS $db.ml_drift$local $on_cluster (
    EvaluatedAt DateTime64(3),
    WindowStart DateTime64(3),
    WindowEnd DateTime64(3),
    ModelName LowCardinality(String),
    ModelVersion LowCardinality(String),
    Signal LowCardinality(String),
    Labels Map(LowCardinality(String), String),
    LabelsKey String,
    Value Float64,
    Samples UInt64,
    Details String CODEC(ZSTD(3))
) ENGINE = $ReplacingMergeTree(EvaluatedAt)
PARTITION BY toYYYYMM(WindowEnd)
ORDER BY (ModelName, Signal, ModelVersion, LabelsKey, WindowEnd)
@ttl_ml(WindowEnd);

CREATE TABLE IF NOT EXISTS $db.ml_quality$local $on_cluster (
    EvaluatedAt DateTime64(3),
    WindowStart DateTime64(3),
    WindowEnd DateTime64(3),
    ModelName LowCardinality(String),
    ModelVersion LowCardinality(String),
    Signal LowCardinality(String),
    Labels Map(LowCardinality(String), String),
    LabelsKey String,
    Value Float64,
    Samples UInt64,
    Details String CODEC(ZSTD(3))
) ENGINE = $ReplacingMergeTree(EvaluatedAt)
PARTITION BY toYYYYMM(WindowEnd)
ORDER BY (ModelName, Signal, ModelVersion, LabelsKey, WindowEnd)
@ttl_ml(WindowEnd);

CREATE TABLE IF NOT EXISTS $db.ml_performance$local $on_cluster (
    EvaluatedAt DateTime64(3),
    WindowStart DateTime64(3),
    WindowEnd DateTime64(3),
    ModelName LowCardinality(String),
    ModelVersion LowCardinality(String),
    Signal LowCardinality(String),
    Labels Map(LowCardinality(String), String),
    LabelsKey String,
    Value Float64,
    Samples UInt64,
    Details String CODEC(ZSTD(3))
) ENGINE = $ReplacingMergeTree(EvaluatedAt)
PARTITION BY toYYYYMM(WindowEnd)
ORDER BY (ModelName, Signal, ModelVersion, LabelsKey, WindowEnd)
@ttl_ml(WindowEnd);
