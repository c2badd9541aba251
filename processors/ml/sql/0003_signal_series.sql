-- Evaluated signals as time series (processors/ml/series.py): drift, data quality, performance.
-- One row per (model, signal, version, labels, window end); replicas that evaluate the same aligned
-- window write the same key, so the ReplacingMergeTree keeps one (read with FINAL or argMax).
-- The shared shape (columns, engine, key, TTL) is the macro @signal_series_table in processors/ml/tables.py.

CREATE TABLE IF NOT EXISTS $db.ml_drift$local $on_cluster @signal_series_table();

CREATE TABLE IF NOT EXISTS $db.ml_quality$local $on_cluster @signal_series_table();

CREATE TABLE IF NOT EXISTS $db.ml_performance$local $on_cluster @signal_series_table();
