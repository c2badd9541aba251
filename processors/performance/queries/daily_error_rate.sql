-- Share of failed requests per model version and UTC day (day = ns of its midnight) since {since}.
SELECT
    assumeNotNull(ModelName) AS Model,
    ifNull(ModelVersion, '') AS Version,
    intDiv(toUnixTimestamp64Nano(assumeNotNull(RequestStart)), 86400000000000) * 86400000000000 AS DayNs,
    countIf(Failed) / count() AS ErrorRate,
    count() AS Requests
FROM ml_request_breakdown
WHERE RequestStart >= fromUnixTimestamp64Nano({since:Int64})
GROUP BY Model, Version, DayNs
ORDER BY Model, Version, DayNs
