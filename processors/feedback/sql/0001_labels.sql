-- Ground truth (docs/feedback.md): labels for predictions, keyed by (model, request id).
--
-- ml_labels: one row per label as received. A ReplacingMergeTree on (ModelName, RequestId) with
--   ReceivedAt as version, so a label delivered twice collapses into one row and a correction sent
--   later replaces the earlier label. Merges run when ClickHouse gets to them: readers take the
--   latest label with argMax(..., ReceivedAt) (as the views below do) or read with FINAL. No
--   partitioning, because a replacing merge only meets rows of the same partition and a correction may
--   come months later. ReceivedAt is the ClickHouse server's clock for every way in (the column
--   default), one clock for all gateway replicas, so "later" means the same thing whichever replica
--   stored the label.
--   Matched labels live as long as the ML data (TTL family ml); labels without a prediction are deleted
--   earlier by the gateway's "feedback" task (feedback.unmatched_retention).
-- ml_labels_from_logs_mv: OTLP log records with event name ml.feedback (attributes ml.request.id,
--   ml.label.class or ml.label.value, ml.model.name from the record or its resource; event time = the
--   record's time). Records without request id or model, or with neither or both of class and value,
--   are not labels and are left out.
-- ml_latest_labels: the latest label of each (model, request id).
-- ml_labeled_predictions: the latest label of each (model, request id) joined with that request's
--   prediction. A label whose prediction has not arrived yet simply does not appear; it joins as soon
--   as the prediction is stored.
-- ml_unmatched_labels: the latest label of each (model, request id) that has no prediction (yet).

CREATE TABLE IF NOT EXISTS $db.ml_labels$local $on_cluster (
    RequestId String,
    ModelName LowCardinality(String),
    LabelClass Nullable(String),
    LabelValue Nullable(Float64),
    EventTime DateTime64(3),
    ReceivedAt DateTime64(3) DEFAULT now64(3),
    Source LowCardinality(String)
) ENGINE = $ReplacingMergeTree(ReceivedAt)
ORDER BY (ModelName, RequestId)
@ttl_ml(ReceivedAt);

CREATE MATERIALIZED VIEW IF NOT EXISTS $db.ml_labels_from_logs_mv $on_cluster
TO $db.ml_labels AS
SELECT
    request_id AS RequestId,
    model_name AS ModelName,
    label_class AS LabelClass,
    label_value AS LabelValue,
    toDateTime64(Timestamp, 3) AS EventTime,
    now64(3) AS ReceivedAt,
    'otlp' AS Source
FROM (
    SELECT
        Timestamp,
        LogAttributes['ml.request.id'] AS request_id,
        coalesce(nullIf(LogAttributes['ml.model.name'], ''), ResourceAttributes['ml.model.name']) AS model_name,
        nullIf(LogAttributes['ml.label.class'], '') AS label_class,
        toFloat64OrNull(LogAttributes['ml.label.value']) AS label_value,
        EventName = 'ml.feedback' OR LogAttributes['event.name'] = 'ml.feedback' AS is_feedback
    FROM $db.otel_logs$local
)
WHERE is_feedback AND request_id != '' AND model_name != ''
  AND (label_class IS NULL) != (label_value IS NULL);

CREATE VIEW IF NOT EXISTS $db.ml_latest_labels $on_cluster AS
SELECT
    model_ AS ModelName,
    request_id_ AS RequestId,
    latest_.1 AS LabelClass,
    latest_.2 AS LabelValue,
    latest_.3 AS EventTime,
    latest_.4 AS Source,
    received_ AS ReceivedAt
FROM (
    -- A tuple, so that argMax does not skip a label whose class (or value) is NULL.
    SELECT
        ModelName AS model_,
        RequestId AS request_id_,
        argMax((LabelClass, LabelValue, EventTime, Source), ReceivedAt) AS latest_,
        max(ReceivedAt) AS received_
    FROM $db.ml_labels
    GROUP BY ModelName, RequestId
);

CREATE VIEW IF NOT EXISTS $db.ml_labeled_predictions $on_cluster AS
SELECT
    p.ModelName AS ModelName,
    p.ModelVersion AS ModelVersion,
    l.RequestId AS RequestId,
    p.TraceId AS TraceId,
    p.RequestStart AS PredictionTime,
    p.PredictionClass AS PredictionClass,
    p.PredictionValue AS PredictionValue,
    p.Confidence AS Confidence,
    p.Score AS Score,
    l.LabelClass AS LabelClass,
    l.LabelValue AS LabelValue,
    l.EventTime AS LabelEventTime,
    l.ReceivedAt AS LabelReceivedAt,
    l.Source AS LabelSource
FROM (
    -- One prediction per (model, request id): the first request that carried the id.
    SELECT
        model_ AS ModelName,
        request_id_ AS RequestId,
        argMin((trace_id_, version_, class_, value_, confidence_, score_), start_) AS first_,
        first_.1 AS TraceId,
        first_.2 AS ModelVersion,
        first_.3 AS PredictionClass,
        first_.4 AS PredictionValue,
        first_.5 AS Confidence,
        first_.6 AS Score,
        min(start_) AS RequestStart
    FROM (
        -- ml_requests holds partial rows per trace until merged: one request = GROUP BY TraceId.
        SELECT
            TraceId AS trace_id_,
            any(ModelName) AS model_,
            any(ModelVersion) AS version_,
            any(RequestId) AS request_id_,
            min(RequestStart) AS start_,
            any(PredictionClass) AS class_,
            any(PredictionValue) AS value_,
            any(Confidence) AS confidence_,
            any(Score) AS score_
        FROM $db.ml_requests
        -- Only the traces of labelled request ids: reading every request costs 4-8x more when a tenth of
        -- them have labels (bench/feedback.py). GLOBAL: the same on a single node, and on a cluster the
        -- id sets are built once on the initiator.
        WHERE TraceId GLOBAL IN (
            SELECT TraceId FROM $db.ml_requests WHERE RequestId GLOBAL IN (SELECT RequestId FROM $db.ml_labels))
        GROUP BY TraceId
        HAVING model_ IS NOT NULL AND request_id_ IS NOT NULL AND start_ IS NOT NULL
    )
    GROUP BY model_, request_id_
) AS p
INNER JOIN $db.ml_latest_labels AS l ON p.ModelName = l.ModelName AND p.RequestId = l.RequestId;

CREATE VIEW IF NOT EXISTS $db.ml_unmatched_labels $on_cluster AS
SELECT
    l.ModelName AS ModelName,
    l.RequestId AS RequestId,
    l.LabelClass AS LabelClass,
    l.LabelValue AS LabelValue,
    l.EventTime AS LabelEventTime,
    l.ReceivedAt AS LabelReceivedAt,
    l.Source AS LabelSource
FROM $db.ml_latest_labels AS l
LEFT ANTI JOIN (
    SELECT DISTINCT assumeNotNull(ModelName) AS model_, assumeNotNull(RequestId) AS request_id_
    FROM $db.ml_requests
    WHERE ModelName IS NOT NULL AND RequestId IS NOT NULL
) AS p ON l.ModelName = p.model_ AND l.RequestId = p.request_id_;
