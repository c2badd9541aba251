-- Inference events of one model version in the window [start, end): the denominator of missing rates.
SELECT count() AS rows
FROM ml_features
WHERE $window
