-- The latest value of each window of one stored signal series since {since} (window end), per model
-- version and labels; {window} '' = any window label (ml_drift has none). $table is ml_performance or
-- ml_drift (chosen in code, never from input).
SELECT
    ModelName,
    ModelVersion,
    Labels['feature'] AS Feature,
    toUnixTimestamp64Nano(any(WindowStart)) AS StartNs,
    toUnixTimestamp64Nano(WindowEnd) AS EndNs,
    argMax(Value, EvaluatedAt) AS Value,
    argMax(Samples, EvaluatedAt) AS Samples
FROM $table
WHERE Signal = {signal:String}
  AND WindowEnd > fromUnixTimestamp64Nano({since:Int64})
  AND ({window:String} = '' OR Labels['window'] = {window:String})
GROUP BY ModelName, ModelVersion, LabelsKey, Feature, WindowEnd
ORDER BY ModelName, ModelVersion, Feature, EndNs
