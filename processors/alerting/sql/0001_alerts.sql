-- Alert evaluation (gateway/alerting/evaluator.py): the history of transitions, the latest state of
-- every rule (restored at start), and silences. docs/alert-rules.md "Evaluation in the gateway".

-- One row per state change of one alert instance (rule + label set).
CREATE TABLE IF NOT EXISTS $db.ml_alerts$local $on_cluster (
    At DateTime64(3),
    RuleId String,
    Rule LowCardinality(String),
    Severity LowCardinality(String),
    ModelName LowCardinality(String),
    Labels Map(LowCardinality(String), String),
    FromState LowCardinality(String),
    ToState LowCardinality(String),
    Value Float64,
    Expr String,
    Summary String,
    Muted LowCardinality(String)  -- '' or why notifications are held: silenced:<ids> / inhibited
) ENGINE = $MergeTree
PARTITION BY toYYYYMM(At)
ORDER BY (RuleId, At)
@ttl_ml(At);

-- The latest RuleState JSON of every rule (processors/alerting/state.py), written when it changes.
CREATE TABLE IF NOT EXISTS $db.ml_alert_state$local $on_cluster (
    RuleId String,
    UpdatedAt DateTime64(3),
    State String CODEC(ZSTD(3))
) ENGINE = $ReplacingMergeTree(UpdatedAt)
ORDER BY RuleId;

-- Silences (processors/alerting/silences.py), one row per change; the newest row of an id wins.
CREATE TABLE IF NOT EXISTS $db.ml_silences$local $on_cluster (
    Id String,
    UpdatedAt DateTime64(3),
    StartsAt DateTime64(3),
    EndsAt DateTime64(3),
    CreatedBy String,
    Comment String,
    Matchers String
) ENGINE = $ReplacingMergeTree(UpdatedAt)
ORDER BY Id;
