-- Count per label of the categorical columns named in {names} (predicted classes included), the
-- most frequent {limit} labels per column, with the column's total and number of distinct labels.
SELECT name, value, n, sum(n) OVER (PARTITION BY name) AS present, count() OVER (PARTITION BY name) AS labels
FROM (
    WITH JSONExtract({names:String}, 'Array(String)') AS names
    SELECT pair.1 AS name, pair.2 AS value, count() AS n
    FROM ml_features
    ARRAY JOIN $categorical_pairs AS pair
    WHERE $window
      AND transform(name, names, arrayResize([1], length(names), 1), 0) = 1
      AND value != ''
    GROUP BY name, value
)
ORDER BY name, n DESC, value
LIMIT {limit:UInt32} BY name
