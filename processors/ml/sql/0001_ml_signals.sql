-- ML inference signals derived from the OTLP tables (docs/signals.md, docs/semantic-conventions.md).
--
-- ml_requests: one aggregate row per request, keyed by trace id. Each span or log record of a
--   request adds its part (stage durations, status, error candidate, prediction) as it arrives, in
--   any batch, order or gateway replica; read it with GROUP BY TraceId (see the ml_request_breakdown view).
-- ml_stage_spans: one row per request or stage span, for latency percentiles per stage.
-- ml_features: feature values and predictions per inference event, sampled by a hash of the trace
--   id (ml.feature_sample_rate), numeric and categorical apart.
-- ml_model_versions: first and last sighting of each model version: the deployment events.

CREATE TABLE IF NOT EXISTS $db.inferwatch_settings $on_cluster (
    key String,
    value String,
    updated_at DateTime64(3) DEFAULT now64(3)
) ENGINE = $ReplacingMergeTree(updated_at)
ORDER BY key;

CREATE TABLE IF NOT EXISTS $db.ml_requests$local $on_cluster (
    TraceId String,
    Start SimpleAggregateFunction(min, DateTime64(9)),
    RequestStart SimpleAggregateFunction(min, Nullable(DateTime64(9))),
    ServiceName SimpleAggregateFunction(any, Nullable(String)),
    ModelName SimpleAggregateFunction(any, Nullable(String)),
    ModelVersion SimpleAggregateFunction(any, Nullable(String)),
    Environment SimpleAggregateFunction(any, Nullable(String)),
    RequestId SimpleAggregateFunction(any, Nullable(String)),
    RequestSpanId SimpleAggregateFunction(any, Nullable(String)),
    RequestParentSpanId SimpleAggregateFunction(any, Nullable(String)),
    RequestNs SimpleAggregateFunction(max, UInt64),
    -- (span id, stage, duration) of stage spans: a set, so a span delivered twice counts once.
    StageSpans SimpleAggregateFunction(groupUniqArrayArray, Array(Tuple(String, String, UInt64))),
    ClientSpans SimpleAggregateFunction(groupUniqArrayArray, Array(Tuple(String, UInt64))),
    HttpStatus SimpleAggregateFunction(max, UInt16),
    ErrorCandidate SimpleAggregateFunction(max, Tuple(UInt8, String)),
    PredictionClass SimpleAggregateFunction(any, Nullable(String)),
    PredictionValue SimpleAggregateFunction(any, Nullable(Float64)),
    Confidence SimpleAggregateFunction(any, Nullable(Float64)),
    Score SimpleAggregateFunction(any, Nullable(Float64)),
    InputHash SimpleAggregateFunction(any, Nullable(String)),
    Spans SimpleAggregateFunction(sum, UInt64)
) ENGINE = $AggregatingMergeTree
PARTITION BY toDate(Start)
ORDER BY TraceId
@ttl_ml(Start)
SETTINGS ttl_only_drop_parts = 1;

CREATE MATERIALIZED VIEW IF NOT EXISTS $db.ml_requests_from_spans_mv $on_cluster
TO $db.ml_requests AS
SELECT
    TraceId,
    Timestamp AS Start,
    if(is_request, Timestamp, NULL) AS RequestStart,
    if(model_name IS NULL, NULL, nullIf(ServiceName, '')) AS ServiceName,
    model_name AS ModelName,
    @span_model_version() AS ModelVersion,
    @span_environment() AS Environment,
    nullIf(SpanAttributes['ml.request.id'], '') AS RequestId,
    if(is_request, SpanId, NULL) AS RequestSpanId,
    if(is_request, nullIf(ParentSpanId, ''), NULL) AS RequestParentSpanId,
    if(is_request, Duration, 0) AS RequestNs,
    if(stage IN ('queue', 'preprocess', 'inference', 'postprocess', 'network'), [(SpanId, stage, Duration)], [])
        AS StageSpans,
    if(SpanKind = 'SPAN_KIND_CLIENT', [(SpanId, Duration)], []) AS ClientSpans,
    if(is_request, toUInt16(least(err_http, 65535)), 0) AS HttpStatus,
    -- CLIENT spans of other services are kept for network time only: their failures are not the model's.
    if(model_name IS NULL, CAST((0, ''), 'Tuple(UInt8, String)'), @error_candidate()) AS ErrorCandidate,
    nullIf(SpanAttributes['ml.prediction.class'], '') AS PredictionClass,
    pred_value AS PredictionValue,
    pred_confidence AS Confidence,
    toFloat64OrNull(SpanAttributes['ml.prediction.score']) AS Score,
    nullIf(SpanAttributes['ml.input.hash'], '') AS InputHash,
    toUInt64(1) AS Spans
FROM (
    SELECT
        *,
        @span_model_name() AS model_name,
        SpanAttributes['ml.stage'] AS stage,
        model_name IS NOT NULL AND (SpanKind = 'SPAN_KIND_SERVER' OR stage = 'request') AS is_request,
        SpanAttributes['ml.error.class'] AS err_explicit,
        toUInt32OrZero(SpanAttributes['http.response.status_code']) AS err_http,
        toInt32OrNull(SpanAttributes['rpc.grpc.status_code']) AS err_grpc,
        stage AS err_stage,
        trim(concat(
            SpanAttributes['error.type'], ' ',
            arrayStringConcat(
                arrayMap(a_ -> concat(a_['exception.type'], ' ', a_['exception.message']),
                         arrayFilter((a_, n_) -> n_ = 'exception', Events.Attributes, Events.Name)),
                ' '),
            ' ', if(StatusCode = 'STATUS_CODE_ERROR', StatusMessage, ''))) AS err_text,
        StatusCode = 'STATUS_CODE_ERROR' AS err_failed,
        toFloat64OrNull(SpanAttributes['ml.prediction.value']) AS pred_value,
        toFloat64OrNull(SpanAttributes['ml.prediction.confidence']) AS pred_confidence
    FROM $db.otel_traces$local
)
WHERE model_name IS NOT NULL OR SpanKind = 'SPAN_KIND_CLIENT';

CREATE MATERIALIZED VIEW IF NOT EXISTS $db.ml_requests_from_logs_mv $on_cluster
TO $db.ml_requests AS
SELECT
    if(TraceId != '', TraceId, concat('request:', ifNull(request_id, toString(generateUUIDv4())))) AS TraceId,
    Timestamp AS Start,
    Timestamp AS RequestStart,
    nullIf(ServiceName, '') AS ServiceName,
    model_name AS ModelName,
    nullIf(field_version, '') AS ModelVersion,
    nullIf(ResourceAttributes['deployment.environment.name'], '') AS Environment,
    request_id AS RequestId,
    CAST(NULL AS Nullable(String)) AS RequestSpanId,
    CAST(NULL AS Nullable(String)) AS RequestParentSpanId,
    toUInt64(greatest(ifNull(toFloat64OrNull(field_latency), 0), 0) * 1e6) AS RequestNs,
    CAST([], 'Array(Tuple(String, String, UInt64))') AS StageSpans,
    CAST([], 'Array(Tuple(String, UInt64))') AS ClientSpans,
    toUInt16(least(err_http, 65535)) AS HttpStatus,
    @error_candidate() AS ErrorCandidate,
    nullIf(field_prediction, '') AS PredictionClass,
    pred_value AS PredictionValue,
    pred_confidence AS Confidence,
    CAST(NULL AS Nullable(Float64)) AS Score,
    nullIf(field_input_hash, '') AS InputHash,
    toUInt64(1) AS Spans
FROM (
    SELECT
        *,
        if(isValidJSON(Body), Body, '{}') AS body_json,
        coalesce(nullIf(LogAttributes['model'], ''), nullIf(JSONExtractString(body_json, 'model'), ''),
                 nullIf(ResourceAttributes['ml.model.name'], '')) AS model_name,
        coalesce(nullIf(LogAttributes['version'], ''), nullIf(JSONExtractString(body_json, 'version'), ''),
                 ResourceAttributes['ml.model.version']) AS field_version,
        coalesce(nullIf(LogAttributes['request_id'], ''), nullIf(JSONExtractString(body_json, 'request_id'), ''))
            AS request_id,
        coalesce(nullIf(LogAttributes['latency_ms'], ''), nullIf(JSONExtractRaw(body_json, 'latency_ms'), ''))
            AS field_latency,
        coalesce(nullIf(LogAttributes['prediction'], ''),
                 nullIf(trim(BOTH '"' FROM JSONExtractRaw(body_json, 'prediction')), '')) AS field_prediction,
        coalesce(nullIf(LogAttributes['confidence'], ''), nullIf(JSONExtractRaw(body_json, 'confidence'), ''))
            AS field_confidence,
        coalesce(nullIf(LogAttributes['input_hash'], ''), nullIf(JSONExtractString(body_json, 'input_hash'), ''))
            AS field_input_hash,
        coalesce(nullIf(LogAttributes['error_class'], ''), LogAttributes['ml.error.class']) AS err_explicit,
        toUInt32OrZero(LogAttributes['http.response.status_code']) AS err_http,
        CAST(NULL AS Nullable(Int32)) AS err_grpc,
        '' AS err_stage,
        trim(concat(LogAttributes['exception.type'], ' ', LogAttributes['exception.message'])) AS err_text,
        SeverityNumber >= 17 OR upper(SeverityText) IN ('ERROR', 'CRITICAL', 'FATAL') AS err_failed,
        toFloat64OrNull(field_prediction) AS pred_value,
        toFloat64OrNull(field_confidence) AS pred_confidence
    FROM $db.otel_logs$local
)
WHERE model_name IS NOT NULL AND (EventName = 'ml.inference' OR field_latency IS NOT NULL OR field_prediction IS NOT NULL);

CREATE TABLE IF NOT EXISTS $db.ml_stage_spans$local $on_cluster (
    Timestamp DateTime64(9) CODEC(Delta(8), ZSTD(1)),
    TraceId String CODEC(ZSTD(1)),
    ServiceName LowCardinality(String),
    ModelName LowCardinality(String),
    ModelVersion LowCardinality(String),
    Stage LowCardinality(String),
    DurationNs UInt64 CODEC(T64, ZSTD(1)),
    Failed Bool
) ENGINE = $MergeTree
PARTITION BY toDate(Timestamp)
ORDER BY (ModelName, Stage, Timestamp)
@ttl_ml(Timestamp)
SETTINGS ttl_only_drop_parts = 1;

CREATE MATERIALIZED VIEW IF NOT EXISTS $db.ml_stage_spans_mv $on_cluster
TO $db.ml_stage_spans AS
SELECT
    Timestamp,
    TraceId,
    ServiceName,
    ifNull(@span_model_name(), '') AS ModelName,
    ifNull(@span_model_version(), '') AS ModelVersion,
    if(SpanAttributes['ml.stage'] != '', SpanAttributes['ml.stage'], 'request') AS Stage,
    Duration AS DurationNs,
    StatusCode = 'STATUS_CODE_ERROR' AS Failed
FROM $db.otel_traces$local
WHERE @span_model_name() IS NOT NULL
  AND (SpanAttributes['ml.stage'] IN ('request', 'queue', 'preprocess', 'inference', 'postprocess', 'network')
       OR (SpanKind = 'SPAN_KIND_SERVER' AND SpanAttributes['ml.stage'] = ''));

CREATE TABLE IF NOT EXISTS $db.ml_features$local $on_cluster (
    Timestamp DateTime64(9) CODEC(Delta(8), ZSTD(1)),
    TraceId String CODEC(ZSTD(1)),
    RequestId String CODEC(ZSTD(1)),
    ServiceName LowCardinality(String),
    ModelName LowCardinality(String),
    ModelVersion LowCardinality(String),
    InputHash String CODEC(ZSTD(1)),
    NumericFeatures Map(LowCardinality(String), Float64) CODEC(ZSTD(1)),
    CategoricalFeatures Map(LowCardinality(String), String) CODEC(ZSTD(1)),
    PredictionClass Nullable(String),
    PredictionValue Nullable(Float64),
    Confidence Nullable(Float64),
    Score Nullable(Float64),
    Source LowCardinality(String)
) ENGINE = $MergeTree
PARTITION BY toDate(Timestamp)
ORDER BY (ModelName, ModelVersion, Timestamp)
@ttl_ml(Timestamp)
SETTINGS ttl_only_drop_parts = 1;

CREATE MATERIALIZED VIEW IF NOT EXISTS $db.ml_features_from_spans_mv $on_cluster
TO $db.ml_features AS
SELECT
    Timestamp,
    TraceId,
    SpanAttributes['ml.request.id'] AS RequestId,
    ServiceName,
    ifNull(@span_model_name(), '') AS ModelName,
    ifNull(@span_model_version(), '') AS ModelVersion,
    SpanAttributes['ml.input.hash'] AS InputHash,
    @numeric_features(SpanAttributes) AS NumericFeatures,
    @categorical_features(SpanAttributes) AS CategoricalFeatures,
    nullIf(SpanAttributes['ml.prediction.class'], '') AS PredictionClass,
    toFloat64OrNull(SpanAttributes['ml.prediction.value']) AS PredictionValue,
    toFloat64OrNull(SpanAttributes['ml.prediction.confidence']) AS Confidence,
    toFloat64OrNull(SpanAttributes['ml.prediction.score']) AS Score,
    'span' AS Source
FROM $db.otel_traces$local
WHERE @span_model_name() IS NOT NULL
  AND arrayExists(k_ -> startsWith(k_, 'ml.feature.') OR startsWith(k_, 'ml.prediction.'), mapKeys(SpanAttributes))
  AND cityHash64(TraceId) % 1000000 < @feature_sample_ppm();

CREATE MATERIALIZED VIEW IF NOT EXISTS $db.ml_features_from_logs_mv $on_cluster
TO $db.ml_features AS
SELECT
    Timestamp,
    TraceId,
    request_id AS RequestId,
    ServiceName,
    model_name AS ModelName,
    field_version AS ModelVersion,
    coalesce(nullIf(LogAttributes['input_hash'], ''), JSONExtractString(body_json, 'input_hash')) AS InputHash,
    @numeric_features(LogAttributes) AS NumericFeatures,
    @categorical_features(LogAttributes) AS CategoricalFeatures,
    nullIf(field_prediction, '') AS PredictionClass,
    toFloat64OrNull(field_prediction) AS PredictionValue,
    toFloat64OrNull(coalesce(nullIf(LogAttributes['confidence'], ''), JSONExtractRaw(body_json, 'confidence')))
        AS Confidence,
    CAST(NULL AS Nullable(Float64)) AS Score,
    'log' AS Source
FROM (
    SELECT
        *,
        if(isValidJSON(Body), Body, '{}') AS body_json,
        coalesce(nullIf(LogAttributes['model'], ''), nullIf(JSONExtractString(body_json, 'model'), ''),
                 ResourceAttributes['ml.model.name']) AS model_name,
        coalesce(nullIf(LogAttributes['version'], ''), nullIf(JSONExtractString(body_json, 'version'), ''),
                 ResourceAttributes['ml.model.version']) AS field_version,
        coalesce(nullIf(LogAttributes['request_id'], ''), JSONExtractString(body_json, 'request_id')) AS request_id,
        coalesce(nullIf(LogAttributes['prediction'], ''), trim(BOTH '"' FROM JSONExtractRaw(body_json, 'prediction')))
            AS field_prediction
    FROM $db.otel_logs$local
)
WHERE model_name != '' AND (EventName = 'ml.inference' OR field_prediction != '')
  -- A record inside a traced request only adds a row when it carries the features itself: the
  -- request's span already gave one.
  AND (TraceId = '' OR arrayExists(k_ -> startsWith(k_, 'ml.feature.'), mapKeys(LogAttributes)))
  AND cityHash64(if(TraceId != '', TraceId, request_id)) % 1000000 < @feature_sample_ppm();

CREATE TABLE IF NOT EXISTS $db.ml_model_versions$local $on_cluster (
    ModelName String,
    ModelVersion String,
    FirstSeen SimpleAggregateFunction(min, DateTime64(9)),
    LastSeen SimpleAggregateFunction(max, DateTime64(9)),
    ServiceName SimpleAggregateFunction(any, String),
    Environment SimpleAggregateFunction(any, String),
    Events SimpleAggregateFunction(sum, UInt64)
) ENGINE = $AggregatingMergeTree
ORDER BY (ModelName, ModelVersion);

CREATE MATERIALIZED VIEW IF NOT EXISTS $db.ml_model_versions_from_spans_mv $on_cluster
TO $db.ml_model_versions AS
SELECT
    model_name AS ModelName,
    model_version AS ModelVersion,
    min(Timestamp) AS FirstSeen,
    max(Timestamp) AS LastSeen,
    any(ServiceName) AS ServiceName,
    any(ifNull(@span_environment(), '')) AS Environment,
    count() AS Events
FROM (
    SELECT *, ifNull(@span_model_name(), '') AS model_name, ifNull(@span_model_version(), '') AS model_version
    FROM $db.otel_traces$local
)
WHERE model_name != '' AND model_version != ''
GROUP BY ModelName, ModelVersion;

CREATE MATERIALIZED VIEW IF NOT EXISTS $db.ml_model_versions_from_logs_mv $on_cluster
TO $db.ml_model_versions AS
SELECT
    model_name AS ModelName,
    model_version AS ModelVersion,
    min(Timestamp) AS FirstSeen,
    max(Timestamp) AS LastSeen,
    any(ServiceName) AS ServiceName,
    any(ResourceAttributes['deployment.environment.name']) AS Environment,
    count() AS Events
FROM (
    SELECT
        *,
        if(isValidJSON(Body), Body, '{}') AS body_json,
        coalesce(nullIf(LogAttributes['model'], ''), nullIf(JSONExtractString(body_json, 'model'), ''),
                 ResourceAttributes['ml.model.name']) AS model_name,
        coalesce(nullIf(LogAttributes['version'], ''), nullIf(JSONExtractString(body_json, 'version'), ''),
                 ResourceAttributes['ml.model.version']) AS model_version
    FROM $db.otel_logs$local
)
WHERE model_name != '' AND model_version != ''
GROUP BY ModelName, ModelVersion;
