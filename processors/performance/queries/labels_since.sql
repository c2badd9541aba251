-- Labels of one model received since {since} (the latest label per request counts once).
SELECT count() FROM ml_latest_labels
WHERE ModelName = {model:String} AND ReceivedAt >= fromUnixTimestamp64Nano({since:Int64})
