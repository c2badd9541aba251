-- Every finite value of the numeric columns named in the grid, counted in that column's baseline PSI
-- bins, with count, mean, population variance, min and max per bin, and a Bernoulli sample.
-- grid: names, edges[j][i] = j-th interior edge of column i (padded with 1e308), min[i], max[i].
-- code = bin * 4 + (value < baseline min) + 2 * (value > baseline max); bins are right-closed
-- (bin = number of edges below the value, as numpy.searchsorted(side="left")). Datetime features
-- (text in CategoricalFeatures) join as epoch seconds when the query is built with datetimes.
-- Edges are gathered by position and summed as comparisons ($bin_sum) because a per-row lambda over an array is ~3x slower.
-- The sample keeps a value when its event's draw (a hash of trace and request id, so replicas draw
-- the same events) is below {sample_ppm} per million; the report merges bins back into moments.
WITH JSONExtract(
        {grid:String},
        'Tuple(names Array(String), edges Array(Array(Float64)), min Array(Float64), max Array(Float64))'
    ) AS grid,
    grid.edges AS edges
SELECT name, code, count() AS n, avg(value) AS mean, varPop(value) AS variance,
       min(value) AS low, max(value) AS high, groupArrayIf(value, draw < {sample_ppm:UInt32}) AS sample
FROM (
    SELECT pair.1 AS name, pair.2 AS value, draw
    FROM (
        SELECT NumericFeatures, PredictionValue, Confidence$datetime_source,
               cityHash64(TraceId, RequestId, Timestamp) % 1000000 AS draw
        FROM ml_features
        WHERE $window
    )
    ARRAY JOIN $numeric_pairs AS pair
)
WHERE (transform(name, grid.names, range(1, length(grid.names) + 1), 0) AS i) > 0 AND isFinite(value)
GROUP BY name, toUInt32(($bin_sum) * 4 + (value < grid.min[i]) + (value > grid.max[i]) * 2) AS code
ORDER BY name, code
