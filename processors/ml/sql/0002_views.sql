-- Views for analysts: the per-request breakdown and the deployment events (docs/signals.md).

CREATE VIEW IF NOT EXISTS $db.ml_request_breakdown $on_cluster AS
SELECT
    TraceId, Start, RequestStart, ServiceName, ModelName, ModelVersion, Environment, RequestId, RequestNs,
    arraySum(arrayMap(s_ -> s_.3, arrayFilter(s_ -> s_.2 = 'queue', stage_spans))) AS QueueNs,
    arraySum(arrayMap(s_ -> s_.3, arrayFilter(s_ -> s_.2 = 'preprocess', stage_spans))) AS PreprocessNs,
    arraySum(arrayMap(s_ -> s_.3, arrayFilter(s_ -> s_.2 = 'inference', stage_spans))) AS InferenceNs,
    arraySum(arrayMap(s_ -> s_.3, arrayFilter(s_ -> s_.2 = 'postprocess', stage_spans))) AS PostprocessNs,
    -- Network: explicit ml.stage=network spans, else the caller's CLIENT span minus the SERVER span.
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
    FROM $db.ml_requests
    GROUP BY TraceId
    HAVING ModelName IS NOT NULL AND RequestStart IS NOT NULL
);

CREATE VIEW IF NOT EXISTS $db.ml_deployments $on_cluster AS
SELECT ModelName, ModelVersion, min(FirstSeen) AS DeployedAt, max(LastSeen) AS LastSeen,
       any(ServiceName) AS ServiceName, any(Environment) AS Environment, sum(Events) AS Events
FROM $db.ml_model_versions
GROUP BY ModelName, ModelVersion;
