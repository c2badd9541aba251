CREATE TABLE IF NOT EXISTS `default`.inferwatch_settings  (
    key String,
    value String,
    updated_at DateTime64(3) DEFAULT now64(3)
) ENGINE = ReplacingMergeTree(updated_at)
ORDER BY key;

CREATE TABLE IF NOT EXISTS `default`.ml_requests  (
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
) ENGINE = AggregatingMergeTree
PARTITION BY toDate(Start)
ORDER BY TraceId

SETTINGS ttl_only_drop_parts = 1;

CREATE MATERIALIZED VIEW IF NOT EXISTS `default`.ml_requests_from_spans_mv 
TO `default`.ml_requests AS
SELECT
    TraceId,
    Timestamp AS Start,
    if(is_request, Timestamp, NULL) AS RequestStart,
    if(model_name IS NULL, NULL, nullIf(ServiceName, '')) AS ServiceName,
    model_name AS ModelName,
    coalesce(nullIf(SpanAttributes['ml.model.version'], ''), nullIf(ResourceAttributes['ml.model.version'], '')) AS ModelVersion,
    coalesce(nullIf(SpanAttributes['deployment.environment.name'], ''), nullIf(ResourceAttributes['deployment.environment.name'], '')) AS Environment,
    nullIf(SpanAttributes['ml.request.id'], '') AS RequestId,
    if(is_request, SpanId, NULL) AS RequestSpanId,
    if(is_request, nullIf(ParentSpanId, ''), NULL) AS RequestParentSpanId,
    if(is_request, Duration, 0) AS RequestNs,
    if(stage IN ('queue', 'preprocess', 'inference', 'postprocess', 'network'), [(SpanId, stage, Duration)], [])
        AS StageSpans,
    if(SpanKind = 'SPAN_KIND_CLIENT', [(SpanId, Duration)], []) AS ClientSpans,
    if(is_request, toUInt16(least(err_http, 65535)), 0) AS HttpStatus,
    if(model_name IS NULL, CAST((0, ''), 'Tuple(UInt8, String)'), multiIf(err_explicit != '', (6, err_explicit), err_http IN (400, 401, 403, 404, 429), (5, concat('client_', toString(err_http))), err_http BETWEEN 400 AND 499, (5, 'client_other'), err_grpc = 3, (5, 'client_400'), err_grpc = 16, (5, 'client_401'), err_grpc = 7, (5, 'client_403'), err_grpc = 5, (5, 'client_404'), err_grpc = 8, (5, 'client_429'), (err_failed OR err_http >= 400 OR err_text != '' OR (err_grpc IS NOT NULL AND err_grpc != 0)) AND match(err_text, '(?i)time[d _-]?out|deadline'), (4, 'timeout'), (err_failed OR err_http >= 400 OR err_text != '' OR (err_grpc IS NOT NULL AND err_grpc != 0)) AND match(err_text, '(?i)model.{0,30}(load|not found|missing)|load.{0,30}model|weights|checkpoint'), (4, 'model_load'), (err_failed OR err_http >= 400 OR err_text != '' OR (err_grpc IS NOT NULL AND err_grpc != 0)) AND match(err_text, '(?i)database|\\bsql|psycopg|pymysql|postgres|mysql|mongo|OperationalError|IntegrityError'), (4, 'database'), (err_failed OR err_http >= 400 OR err_text != '' OR (err_grpc IS NOT NULL AND err_grpc != 0)) AND match(err_text, '(?i)cache|redis|memcache'), (4, 'cache'), (err_failed OR err_http >= 400 OR err_text != '' OR (err_grpc IS NOT NULL AND err_grpc != 0)) AND match(err_text, '(?i)preprocess|feature|tokeni[sz]|transform|schema'), (4, 'preprocessing'), err_grpc = 4, (4, 'timeout'), (err_failed OR err_http >= 400 OR err_text != '' OR (err_grpc IS NOT NULL AND err_grpc != 0)) AND err_stage = 'preprocess', (4, 'preprocessing'), (pred_value IS NOT NULL AND (isNaN(pred_value) OR isInfinite(pred_value))) OR (pred_confidence IS NOT NULL AND (isNaN(pred_confidence) OR pred_confidence < 0 OR pred_confidence > 1)), (3, 'invalid_prediction'), err_http IN (500, 502, 503, 504), (2, concat('server_', toString(err_http))), err_http >= 500, (2, 'server_other'), err_grpc = 13, (2, 'server_500'), err_grpc = 14, (2, 'server_503'), (err_failed OR err_http >= 400 OR err_text != '' OR (err_grpc IS NOT NULL AND err_grpc != 0)), (1, 'unknown'), (0, ''))) AS ErrorCandidate,
    nullIf(SpanAttributes['ml.prediction.class'], '') AS PredictionClass,
    pred_value AS PredictionValue,
    pred_confidence AS Confidence,
    toFloat64OrNull(SpanAttributes['ml.prediction.score']) AS Score,
    nullIf(SpanAttributes['ml.input.hash'], '') AS InputHash,
    toUInt64(1) AS Spans
FROM (
    SELECT
        *,
        coalesce(nullIf(SpanAttributes['ml.model.name'], ''), nullIf(ResourceAttributes['ml.model.name'], '')) AS model_name,
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
    FROM `default`.otel_traces
)
WHERE model_name IS NOT NULL OR SpanKind = 'SPAN_KIND_CLIENT';

CREATE MATERIALIZED VIEW IF NOT EXISTS `default`.ml_requests_from_logs_mv 
TO `default`.ml_requests AS
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
    multiIf(err_explicit != '', (6, err_explicit), err_http IN (400, 401, 403, 404, 429), (5, concat('client_', toString(err_http))), err_http BETWEEN 400 AND 499, (5, 'client_other'), err_grpc = 3, (5, 'client_400'), err_grpc = 16, (5, 'client_401'), err_grpc = 7, (5, 'client_403'), err_grpc = 5, (5, 'client_404'), err_grpc = 8, (5, 'client_429'), (err_failed OR err_http >= 400 OR err_text != '' OR (err_grpc IS NOT NULL AND err_grpc != 0)) AND match(err_text, '(?i)time[d _-]?out|deadline'), (4, 'timeout'), (err_failed OR err_http >= 400 OR err_text != '' OR (err_grpc IS NOT NULL AND err_grpc != 0)) AND match(err_text, '(?i)model.{0,30}(load|not found|missing)|load.{0,30}model|weights|checkpoint'), (4, 'model_load'), (err_failed OR err_http >= 400 OR err_text != '' OR (err_grpc IS NOT NULL AND err_grpc != 0)) AND match(err_text, '(?i)database|\\bsql|psycopg|pymysql|postgres|mysql|mongo|OperationalError|IntegrityError'), (4, 'database'), (err_failed OR err_http >= 400 OR err_text != '' OR (err_grpc IS NOT NULL AND err_grpc != 0)) AND match(err_text, '(?i)cache|redis|memcache'), (4, 'cache'), (err_failed OR err_http >= 400 OR err_text != '' OR (err_grpc IS NOT NULL AND err_grpc != 0)) AND match(err_text, '(?i)preprocess|feature|tokeni[sz]|transform|schema'), (4, 'preprocessing'), err_grpc = 4, (4, 'timeout'), (err_failed OR err_http >= 400 OR err_text != '' OR (err_grpc IS NOT NULL AND err_grpc != 0)) AND err_stage = 'preprocess', (4, 'preprocessing'), (pred_value IS NOT NULL AND (isNaN(pred_value) OR isInfinite(pred_value))) OR (pred_confidence IS NOT NULL AND (isNaN(pred_confidence) OR pred_confidence < 0 OR pred_confidence > 1)), (3, 'invalid_prediction'), err_http IN (500, 502, 503, 504), (2, concat('server_', toString(err_http))), err_http >= 500, (2, 'server_other'), err_grpc = 13, (2, 'server_500'), err_grpc = 14, (2, 'server_503'), (err_failed OR err_http >= 400 OR err_text != '' OR (err_grpc IS NOT NULL AND err_grpc != 0)), (1, 'unknown'), (0, '')) AS ErrorCandidate,
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
    FROM `default`.otel_logs
)
WHERE model_name IS NOT NULL AND (EventName = 'ml.inference' OR field_latency IS NOT NULL OR field_prediction IS NOT NULL);

CREATE TABLE IF NOT EXISTS `default`.ml_stage_spans  (
    Timestamp DateTime64(9) CODEC(Delta(8), ZSTD(1)),
    TraceId String CODEC(ZSTD(1)),
    ServiceName LowCardinality(String),
    ModelName LowCardinality(String),
    ModelVersion LowCardinality(String),
    Stage LowCardinality(String),
    DurationNs UInt64 CODEC(T64, ZSTD(1)),
    Failed Bool
) ENGINE = MergeTree
PARTITION BY toDate(Timestamp)
ORDER BY (ModelName, Stage, Timestamp)

SETTINGS ttl_only_drop_parts = 1;

CREATE MATERIALIZED VIEW IF NOT EXISTS `default`.ml_stage_spans_mv 
TO `default`.ml_stage_spans AS
SELECT
    Timestamp,
    TraceId,
    ServiceName,
    ifNull(coalesce(nullIf(SpanAttributes['ml.model.name'], ''), nullIf(ResourceAttributes['ml.model.name'], '')), '') AS ModelName,
    ifNull(coalesce(nullIf(SpanAttributes['ml.model.version'], ''), nullIf(ResourceAttributes['ml.model.version'], '')), '') AS ModelVersion,
    if(SpanAttributes['ml.stage'] != '', SpanAttributes['ml.stage'], 'request') AS Stage,
    Duration AS DurationNs,
    StatusCode = 'STATUS_CODE_ERROR' AS Failed
FROM `default`.otel_traces
WHERE coalesce(nullIf(SpanAttributes['ml.model.name'], ''), nullIf(ResourceAttributes['ml.model.name'], '')) IS NOT NULL
  AND (SpanAttributes['ml.stage'] IN ('request', 'queue', 'preprocess', 'inference', 'postprocess', 'network')
       OR (SpanKind = 'SPAN_KIND_SERVER' AND SpanAttributes['ml.stage'] = ''));

CREATE TABLE IF NOT EXISTS `default`.ml_features  (
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
) ENGINE = MergeTree
PARTITION BY toDate(Timestamp)
ORDER BY (ModelName, ModelVersion, Timestamp)

SETTINGS ttl_only_drop_parts = 1;

CREATE MATERIALIZED VIEW IF NOT EXISTS `default`.ml_features_from_spans_mv 
TO `default`.ml_features AS
SELECT
    Timestamp,
    TraceId,
    SpanAttributes['ml.request.id'] AS RequestId,
    ServiceName,
    ifNull(coalesce(nullIf(SpanAttributes['ml.model.name'], ''), nullIf(ResourceAttributes['ml.model.name'], '')), '') AS ModelName,
    ifNull(coalesce(nullIf(SpanAttributes['ml.model.version'], ''), nullIf(ResourceAttributes['ml.model.version'], '')), '') AS ModelVersion,
    SpanAttributes['ml.input.hash'] AS InputHash,
    mapApply((k_, v_) -> (substring(k_, 12), toFloat64(v_)), mapFilter((k_, v_) -> startsWith(k_, 'ml.feature.') AND isNotNull(toFloat64OrNull(v_)), SpanAttributes)) AS NumericFeatures,
    mapApply((k_, v_) -> (substring(k_, 12), v_), mapFilter((k_, v_) -> startsWith(k_, 'ml.feature.') AND isNull(toFloat64OrNull(v_)), SpanAttributes)) AS CategoricalFeatures,
    nullIf(SpanAttributes['ml.prediction.class'], '') AS PredictionClass,
    toFloat64OrNull(SpanAttributes['ml.prediction.value']) AS PredictionValue,
    toFloat64OrNull(SpanAttributes['ml.prediction.confidence']) AS Confidence,
    toFloat64OrNull(SpanAttributes['ml.prediction.score']) AS Score,
    'span' AS Source
FROM `default`.otel_traces
WHERE coalesce(nullIf(SpanAttributes['ml.model.name'], ''), nullIf(ResourceAttributes['ml.model.name'], '')) IS NOT NULL
  AND arrayExists(k_ -> startsWith(k_, 'ml.feature.') OR startsWith(k_, 'ml.prediction.'), mapKeys(SpanAttributes))
  AND cityHash64(TraceId) % 1000000 < (SELECT toUInt64OrDefault(argMax(value, updated_at), toUInt64(1000000)) FROM `default`.inferwatch_settings WHERE key = 'ml.feature_sample_ppm');

CREATE MATERIALIZED VIEW IF NOT EXISTS `default`.ml_features_from_logs_mv 
TO `default`.ml_features AS
SELECT
    Timestamp,
    TraceId,
    request_id AS RequestId,
    ServiceName,
    model_name AS ModelName,
    field_version AS ModelVersion,
    coalesce(nullIf(LogAttributes['input_hash'], ''), JSONExtractString(body_json, 'input_hash')) AS InputHash,
    mapApply((k_, v_) -> (substring(k_, 12), toFloat64(v_)), mapFilter((k_, v_) -> startsWith(k_, 'ml.feature.') AND isNotNull(toFloat64OrNull(v_)), LogAttributes)) AS NumericFeatures,
    mapApply((k_, v_) -> (substring(k_, 12), v_), mapFilter((k_, v_) -> startsWith(k_, 'ml.feature.') AND isNull(toFloat64OrNull(v_)), LogAttributes)) AS CategoricalFeatures,
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
    FROM `default`.otel_logs
)
WHERE model_name != '' AND (EventName = 'ml.inference' OR field_prediction != '')
  AND (TraceId = '' OR arrayExists(k_ -> startsWith(k_, 'ml.feature.'), mapKeys(LogAttributes)))
  AND cityHash64(if(TraceId != '', TraceId, request_id)) % 1000000 < (SELECT toUInt64OrDefault(argMax(value, updated_at), toUInt64(1000000)) FROM `default`.inferwatch_settings WHERE key = 'ml.feature_sample_ppm');

CREATE TABLE IF NOT EXISTS `default`.ml_model_versions  (
    ModelName String,
    ModelVersion String,
    FirstSeen SimpleAggregateFunction(min, DateTime64(9)),
    LastSeen SimpleAggregateFunction(max, DateTime64(9)),
    ServiceName SimpleAggregateFunction(any, String),
    Environment SimpleAggregateFunction(any, String),
    Events SimpleAggregateFunction(sum, UInt64)
) ENGINE = AggregatingMergeTree
ORDER BY (ModelName, ModelVersion);

CREATE MATERIALIZED VIEW IF NOT EXISTS `default`.ml_model_versions_from_spans_mv 
TO `default`.ml_model_versions AS
SELECT
    model_name AS ModelName,
    model_version AS ModelVersion,
    min(Timestamp) AS FirstSeen,
    max(Timestamp) AS LastSeen,
    any(ServiceName) AS ServiceName,
    any(ifNull(coalesce(nullIf(SpanAttributes['deployment.environment.name'], ''), nullIf(ResourceAttributes['deployment.environment.name'], '')), '')) AS Environment,
    count() AS Events
FROM (
    SELECT *, ifNull(coalesce(nullIf(SpanAttributes['ml.model.name'], ''), nullIf(ResourceAttributes['ml.model.name'], '')), '') AS model_name, ifNull(coalesce(nullIf(SpanAttributes['ml.model.version'], ''), nullIf(ResourceAttributes['ml.model.version'], '')), '') AS model_version
    FROM `default`.otel_traces
)
WHERE model_name != '' AND model_version != ''
GROUP BY ModelName, ModelVersion;

CREATE MATERIALIZED VIEW IF NOT EXISTS `default`.ml_model_versions_from_logs_mv 
TO `default`.ml_model_versions AS
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
    FROM `default`.otel_logs
)
WHERE model_name != '' AND model_version != ''
GROUP BY ModelName, ModelVersion;

CREATE VIEW IF NOT EXISTS `default`.ml_request_breakdown  AS
SELECT
    TraceId, Start, RequestStart, ServiceName, ModelName, ModelVersion, Environment, RequestId, RequestNs,
    arraySum(arrayMap(s_ -> s_.3, arrayFilter(s_ -> s_.2 = 'queue', stage_spans))) AS QueueNs,
    arraySum(arrayMap(s_ -> s_.3, arrayFilter(s_ -> s_.2 = 'preprocess', stage_spans))) AS PreprocessNs,
    arraySum(arrayMap(s_ -> s_.3, arrayFilter(s_ -> s_.2 = 'inference', stage_spans))) AS InferenceNs,
    arraySum(arrayMap(s_ -> s_.3, arrayFilter(s_ -> s_.2 = 'postprocess', stage_spans))) AS PostprocessNs,
    if(notEmpty(arrayFilter(s_ -> s_.2 = 'network', stage_spans)),
       arraySum(arrayMap(s_ -> s_.3, arrayFilter(s_ -> s_.2 = 'network', stage_spans))),
       toUInt64(greatest(toInt64(arrayFirst(c_ -> c_.1 = parent_span_id, client_spans).2) - toInt64(RequestNs), 0)))
        AS NetworkNs,
    HttpStatus, Failed, ErrorClass, PredictionClass, PredictionValue, Confidence, Score, InputHash
FROM (
    SELECT
        TraceId,
        min(Start) AS Start,
        min(RequestStart) AS RequestStart,
        any(ServiceName) AS ServiceName,
        any(ModelName) AS ModelName,
        any(ModelVersion) AS ModelVersion,
        any(Environment) AS Environment,
        any(RequestId) AS RequestId,
        max(RequestNs) AS RequestNs,
        groupUniqArrayArray(StageSpans) AS stage_spans,
        any(RequestParentSpanId) AS parent_span_id,
        groupUniqArrayArray(ClientSpans) AS client_spans,
        max(HttpStatus) AS HttpStatus,
        max(ErrorCandidate).1 > 0 AS Failed,
        max(ErrorCandidate).2 AS ErrorClass,
        any(PredictionClass) AS PredictionClass,
        any(PredictionValue) AS PredictionValue,
        any(Confidence) AS Confidence,
        any(Score) AS Score,
        any(InputHash) AS InputHash
    FROM `default`.ml_requests
    GROUP BY TraceId
    HAVING ModelName IS NOT NULL AND RequestStart IS NOT NULL
);

CREATE VIEW IF NOT EXISTS `default`.ml_deployments  AS
SELECT ModelName, ModelVersion, min(FirstSeen) AS DeployedAt, max(LastSeen) AS LastSeen,
       any(ServiceName) AS ServiceName, any(Environment) AS Environment, sum(Events) AS Events
FROM `default`.ml_model_versions
GROUP BY ModelName, ModelVersion;

CREATE TABLE IF NOT EXISTS `default`.ml_drift  (
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
) ENGINE = ReplacingMergeTree(EvaluatedAt)
PARTITION BY toYYYYMM(WindowEnd)
ORDER BY (ModelName, Signal, ModelVersion, LabelsKey, WindowEnd);

CREATE TABLE IF NOT EXISTS `default`.ml_quality  (
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
) ENGINE = ReplacingMergeTree(EvaluatedAt)
PARTITION BY toYYYYMM(WindowEnd)
ORDER BY (ModelName, Signal, ModelVersion, LabelsKey, WindowEnd);

CREATE TABLE IF NOT EXISTS `default`.ml_performance  (
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
) ENGINE = ReplacingMergeTree(EvaluatedAt)
PARTITION BY toYYYYMM(WindowEnd)
ORDER BY (ModelName, Signal, ModelVersion, LabelsKey, WindowEnd);

