-- Every recorded trigger episode with its latest delivery state.
SELECT
    ModelName,
    ModelVersion,
    Trigger,
    toUnixTimestamp64Nano(Episode) AS EpisodeNs,
    argMax(Kind, UpdatedAt) AS Kind,
    toUnixTimestamp64Nano(argMax(FiredAt, UpdatedAt)) AS FiredNs,
    argMax(Evidence, UpdatedAt) AS Evidence,
    argMax(Delivered, UpdatedAt) AS Delivered,
    argMax(GivenUp, UpdatedAt) AS GivenUp,
    argMax(Attempts, UpdatedAt) AS Attempts,
    argMax(LastError, UpdatedAt) AS LastError,
    toUnixTimestamp64Nano(max(UpdatedAt)) AS UpdatedNs
FROM ml_retraining_triggers
WHERE ({model:String} = '' OR ModelName = {model:String})
GROUP BY ModelName, ModelVersion, Trigger, Episode
ORDER BY FiredNs
