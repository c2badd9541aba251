-- CBPE inputs per model version and window of {length} ns: how many classifier predictions had a
-- confidence, Σc and Σc(1 − c). Confidence is ml.prediction.confidence, else max(score, 1 − score).
SELECT
    ModelName,
    ModelVersion,
    intDiv(toUnixTimestamp64Nano(Timestamp), {length:Int64}) AS Bucket,
    count() AS Predictions,
    sum(c_) AS ConfidenceSum,
    sum(c_ * (1 - c_)) AS VarianceSum
FROM (
    SELECT ModelName, ModelVersion, Timestamp, coalesce(Confidence, greatest(Score, 1 - Score)) AS c_
    FROM ml_features
    WHERE Timestamp >= fromUnixTimestamp64Nano({start:Int64})
      AND Timestamp < fromUnixTimestamp64Nano({end:Int64})
      AND PredictionClass IS NOT NULL
      AND ({model:String} = '' OR ModelName = {model:String})
      AND ({version:String} = '' OR ModelVersion = {version:String})
)
WHERE c_ IS NOT NULL AND c_ >= 0 AND c_ <= 1
GROUP BY ModelName, ModelVersion, Bucket
