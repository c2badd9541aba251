-- Model versions seen since {since}, with their first sighting (the deployment).
SELECT ModelName, ModelVersion, toUnixTimestamp64Nano(min(FirstSeen)) AS FirstSeenNs
FROM ml_model_versions
GROUP BY ModelName, ModelVersion
HAVING max(LastSeen) >= fromUnixTimestamp64Nano({since:Int64})
ORDER BY ModelName, ModelVersion
