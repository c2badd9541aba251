-- Labelled predictions whose prediction time lies in [start, end), of one model ('' = all).
SELECT
    ModelName,
    ModelVersion,
    toUnixTimestamp64Nano(assumeNotNull(PredictionTime)) AS PredictionNs,
    PredictionClass,
    PredictionValue,
    Confidence,
    Score,
    LabelClass,
    LabelValue
FROM ml_labeled_predictions
WHERE PredictionTime >= fromUnixTimestamp64Nano({start:Int64})
  AND PredictionTime < fromUnixTimestamp64Nano({end:Int64})
  AND ({model:String} = '' OR ModelName = {model:String})
  AND ({version:String} = '' OR ModelVersion = {version:String})
ORDER BY ModelName, ModelVersion, PredictionNs
