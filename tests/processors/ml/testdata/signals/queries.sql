-- latency
SELECT ModelVersion AS version, Stage AS stage, count() AS count,
       quantilesExactInclusive(0.5, 0.75, 0.95, 0.99, 0.999)(DurationNs) AS quantiles_ns
FROM ml_stage_spans
WHERE ModelName = {model:String}
  AND Timestamp BETWEEN fromUnixTimestamp64Nano({start_ns:Int64}) AND fromUnixTimestamp64Nano({end_ns:Int64})
  AND Stage IN ('request', 'queue', 'preprocess', 'inference', 'postprocess')
GROUP BY version, stage
UNION ALL
SELECT ifNull(ModelVersion, '') AS version, 'network' AS stage, count() AS count,
       quantilesExactInclusive(0.5, 0.75, 0.95, 0.99, 0.999)(NetworkNs) AS quantiles_ns
FROM ml_request_breakdown
WHERE ModelName = {model:String}
  AND RequestStart BETWEEN fromUnixTimestamp64Nano({start_ns:Int64}) AND fromUnixTimestamp64Nano({end_ns:Int64})
  AND NetworkNs > 0
GROUP BY version;

-- throughput
SELECT count() AS requests, countIf(NOT Failed) AS successful, countIf(Failed) AS failed,
       countIf(ErrorClass = 'timeout') AS timeouts
FROM ml_request_breakdown
WHERE ModelName = {model:String}
  AND RequestStart BETWEEN fromUnixTimestamp64Nano({start_ns:Int64}) AND fromUnixTimestamp64Nano({end_ns:Int64});

-- concurrency
SELECT max(running) AS peak_concurrent_requests
FROM (
    SELECT sum(delta) OVER (ORDER BY at, delta DESC ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)
        AS running
    FROM (
        SELECT arrayJoin([(start_ns, toInt8(1)), (start_ns + toInt64(RequestNs), toInt8(-1))]) AS event,
               event.1 AS at, event.2 AS delta
        FROM (
            SELECT toUnixTimestamp64Nano(RequestStart) AS start_ns, RequestNs
            FROM ml_request_breakdown
            WHERE ModelName = {model:String}
              AND RequestStart BETWEEN fromUnixTimestamp64Nano({start_ns:Int64}) AND fromUnixTimestamp64Nano({end_ns:Int64})
        )
    )
);

-- queue_depth
SELECT sum(series_last) AS last, sum(series_sum) / sum(series_points) AS avg, max(series_max) AS max,
       sum(series_points) AS points
FROM (
    SELECT argMax(Value, TimeUnix) AS series_last, sum(Value) AS series_sum, max(Value) AS series_max,
           count() AS series_points
    FROM otel_metrics_gauge
    WHERE MetricName = 'ml.queue.depth'
      AND TimeUnix BETWEEN fromUnixTimestamp64Nano({start_ns:Int64}) AND fromUnixTimestamp64Nano({end_ns:Int64})
      AND ifNull(coalesce(nullIf(Attributes['ml.model.name'], ''), nullIf(ResourceAttributes['ml.model.name'], '')) = {model:String},
               ServiceName IN (SELECT assumeNotNull(ServiceName) FROM ml_requests
                               WHERE ModelName = {model:String} AND ServiceName IS NOT NULL))
    GROUP BY ServiceName, ResourceAttributes, Attributes
);

-- active_requests
SELECT sum(series_last) AS last, sum(series_points) AS points
FROM (
    SELECT argMax(Value, TimeUnix) AS series_last, count() AS series_points
    FROM otel_metrics_sum
    WHERE MetricName = 'ml.requests.active'
      AND TimeUnix BETWEEN fromUnixTimestamp64Nano({start_ns:Int64}) AND fromUnixTimestamp64Nano({end_ns:Int64})
      AND ifNull(coalesce(nullIf(Attributes['ml.model.name'], ''), nullIf(ResourceAttributes['ml.model.name'], '')) = {model:String},
               ServiceName IN (SELECT assumeNotNull(ServiceName) FROM ml_requests
                               WHERE ModelName = {model:String} AND ServiceName IS NOT NULL))
    GROUP BY ServiceName, ResourceAttributes, Attributes
);

-- error_classes
SELECT ErrorClass AS error_class, count() AS count
FROM ml_request_breakdown
WHERE ModelName = {model:String}
  AND RequestStart BETWEEN fromUnixTimestamp64Nano({start_ns:Int64}) AND fromUnixTimestamp64Nano({end_ns:Int64})
  AND Failed
GROUP BY error_class
ORDER BY count DESC, error_class;

-- prediction_classes
SELECT PredictionClass AS prediction_class, count() AS count
FROM ml_request_breakdown
WHERE ModelName = {model:String}
  AND RequestStart BETWEEN fromUnixTimestamp64Nano({start_ns:Int64}) AND fromUnixTimestamp64Nano({end_ns:Int64})
  AND PredictionClass IS NOT NULL
GROUP BY prediction_class
ORDER BY count DESC, prediction_class;

-- prediction_stats
SELECT count(value) AS value_count, avg(value) AS value_mean,
       quantileExactInclusive(0.5)(value) AS value_median, stddevPopStable(value) AS value_std,
       min(value) AS value_min, max(value) AS value_max,
       count(confidence) AS confidence_count, avg(confidence) AS confidence_mean,
       countIf(confidence < {low_confidence:Float64}) AS confidence_below
FROM (
    SELECT if(isFinite(PredictionValue), PredictionValue, NULL) AS value,
           if(Confidence BETWEEN 0 AND 1, Confidence, NULL) AS confidence
    FROM ml_request_breakdown
    WHERE ModelName = {model:String}
      AND RequestStart BETWEEN fromUnixTimestamp64Nano({start_ns:Int64}) AND fromUnixTimestamp64Nano({end_ns:Int64})
);

-- deployments
SELECT ModelVersion AS version, toUnixTimestamp64Nano(DeployedAt) AS deployed_at_ns,
       toUnixTimestamp64Nano(LastSeen) AS last_seen_ns, ServiceName AS service,
       Environment AS environment, Events AS events
FROM ml_deployments
WHERE ModelName = {model:String}
  AND DeployedAt BETWEEN fromUnixTimestamp64Nano({since_ns:Int64}) AND fromUnixTimestamp64Nano({end_ns:Int64})
ORDER BY DeployedAt, version;

-- latency (--version)
SELECT ModelVersion AS version, Stage AS stage, count() AS count,
       quantilesExactInclusive(0.5, 0.75, 0.95, 0.99, 0.999)(DurationNs) AS quantiles_ns
FROM ml_stage_spans
WHERE ModelName = {model:String}
  AND Timestamp BETWEEN fromUnixTimestamp64Nano({start_ns:Int64}) AND fromUnixTimestamp64Nano({end_ns:Int64})
  AND ModelVersion = {version:String}
  AND Stage IN ('request', 'queue', 'preprocess', 'inference', 'postprocess')
GROUP BY version, stage
UNION ALL
SELECT ifNull(ModelVersion, '') AS version, 'network' AS stage, count() AS count,
       quantilesExactInclusive(0.5, 0.75, 0.95, 0.99, 0.999)(NetworkNs) AS quantiles_ns
FROM ml_request_breakdown
WHERE ModelName = {model:String}
  AND RequestStart BETWEEN fromUnixTimestamp64Nano({start_ns:Int64}) AND fromUnixTimestamp64Nano({end_ns:Int64})
  AND ModelVersion = {version:String}
  AND NetworkNs > 0
GROUP BY version;

-- throughput (--version)
SELECT count() AS requests, countIf(NOT Failed) AS successful, countIf(Failed) AS failed,
       countIf(ErrorClass = 'timeout') AS timeouts
FROM ml_request_breakdown
WHERE ModelName = {model:String}
  AND RequestStart BETWEEN fromUnixTimestamp64Nano({start_ns:Int64}) AND fromUnixTimestamp64Nano({end_ns:Int64})
  AND ModelVersion = {version:String};

-- concurrency (--version)
SELECT max(running) AS peak_concurrent_requests
FROM (
    SELECT sum(delta) OVER (ORDER BY at, delta DESC ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)
        AS running
    FROM (
        SELECT arrayJoin([(start_ns, toInt8(1)), (start_ns + toInt64(RequestNs), toInt8(-1))]) AS event,
               event.1 AS at, event.2 AS delta
        FROM (
            SELECT toUnixTimestamp64Nano(RequestStart) AS start_ns, RequestNs
            FROM ml_request_breakdown
            WHERE ModelName = {model:String}
              AND RequestStart BETWEEN fromUnixTimestamp64Nano({start_ns:Int64}) AND fromUnixTimestamp64Nano({end_ns:Int64})
              AND ModelVersion = {version:String}
        )
    )
);

-- queue_depth (--version)
SELECT sum(series_last) AS last, sum(series_sum) / sum(series_points) AS avg, max(series_max) AS max,
       sum(series_points) AS points
FROM (
    SELECT argMax(Value, TimeUnix) AS series_last, sum(Value) AS series_sum, max(Value) AS series_max,
           count() AS series_points
    FROM otel_metrics_gauge
    WHERE MetricName = 'ml.queue.depth'
      AND TimeUnix BETWEEN fromUnixTimestamp64Nano({start_ns:Int64}) AND fromUnixTimestamp64Nano({end_ns:Int64})
      AND ifNull(coalesce(nullIf(Attributes['ml.model.name'], ''), nullIf(ResourceAttributes['ml.model.name'], '')) = {model:String},
               ServiceName IN (SELECT assumeNotNull(ServiceName) FROM ml_requests
                               WHERE ModelName = {model:String} AND ServiceName IS NOT NULL))
      AND coalesce(nullIf(Attributes['ml.model.version'], ''), nullIf(ResourceAttributes['ml.model.version'], ''), {version:String}) = {version:String}
    GROUP BY ServiceName, ResourceAttributes, Attributes
);

-- active_requests (--version)
SELECT sum(series_last) AS last, sum(series_points) AS points
FROM (
    SELECT argMax(Value, TimeUnix) AS series_last, count() AS series_points
    FROM otel_metrics_sum
    WHERE MetricName = 'ml.requests.active'
      AND TimeUnix BETWEEN fromUnixTimestamp64Nano({start_ns:Int64}) AND fromUnixTimestamp64Nano({end_ns:Int64})
      AND ifNull(coalesce(nullIf(Attributes['ml.model.name'], ''), nullIf(ResourceAttributes['ml.model.name'], '')) = {model:String},
               ServiceName IN (SELECT assumeNotNull(ServiceName) FROM ml_requests
                               WHERE ModelName = {model:String} AND ServiceName IS NOT NULL))
      AND coalesce(nullIf(Attributes['ml.model.version'], ''), nullIf(ResourceAttributes['ml.model.version'], ''), {version:String}) = {version:String}
    GROUP BY ServiceName, ResourceAttributes, Attributes
);

-- error_classes (--version)
SELECT ErrorClass AS error_class, count() AS count
FROM ml_request_breakdown
WHERE ModelName = {model:String}
  AND RequestStart BETWEEN fromUnixTimestamp64Nano({start_ns:Int64}) AND fromUnixTimestamp64Nano({end_ns:Int64})
  AND ModelVersion = {version:String}
  AND Failed
GROUP BY error_class
ORDER BY count DESC, error_class;

-- prediction_classes (--version)
SELECT PredictionClass AS prediction_class, count() AS count
FROM ml_request_breakdown
WHERE ModelName = {model:String}
  AND RequestStart BETWEEN fromUnixTimestamp64Nano({start_ns:Int64}) AND fromUnixTimestamp64Nano({end_ns:Int64})
  AND ModelVersion = {version:String}
  AND PredictionClass IS NOT NULL
GROUP BY prediction_class
ORDER BY count DESC, prediction_class;

-- prediction_stats (--version)
SELECT count(value) AS value_count, avg(value) AS value_mean,
       quantileExactInclusive(0.5)(value) AS value_median, stddevPopStable(value) AS value_std,
       min(value) AS value_min, max(value) AS value_max,
       count(confidence) AS confidence_count, avg(confidence) AS confidence_mean,
       countIf(confidence < {low_confidence:Float64}) AS confidence_below
FROM (
    SELECT if(isFinite(PredictionValue), PredictionValue, NULL) AS value,
           if(Confidence BETWEEN 0 AND 1, Confidence, NULL) AS confidence
    FROM ml_request_breakdown
    WHERE ModelName = {model:String}
      AND RequestStart BETWEEN fromUnixTimestamp64Nano({start_ns:Int64}) AND fromUnixTimestamp64Nano({end_ns:Int64})
      AND ModelVersion = {version:String}
);

-- deployments (--version)
SELECT ModelVersion AS version, toUnixTimestamp64Nano(DeployedAt) AS deployed_at_ns,
       toUnixTimestamp64Nano(LastSeen) AS last_seen_ns, ServiceName AS service,
       Environment AS environment, Events AS events
FROM ml_deployments
WHERE ModelName = {model:String}
  AND DeployedAt BETWEEN fromUnixTimestamp64Nano({since_ns:Int64}) AND fromUnixTimestamp64Nano({end_ns:Int64})
ORDER BY DeployedAt, version;

-- known models
SELECT DISTINCT assumeNotNull(ModelName) AS model FROM ml_requests
WHERE ModelName IS NOT NULL ORDER BY model;
