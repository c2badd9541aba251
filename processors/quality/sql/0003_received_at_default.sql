-- New ml_features rows record when they reached ClickHouse (see 0002 for why this is a step of its own).

ALTER TABLE $db.ml_features$local $on_cluster MODIFY COLUMN ReceivedAt DEFAULT now64(3);

ALTER TABLE $db.ml_features $on_cluster MODIFY COLUMN ReceivedAt DEFAULT now64(3);
