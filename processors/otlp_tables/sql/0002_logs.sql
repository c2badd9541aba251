-- Logs: the clickhouseexporter's otel_logs, fed by ClickHouse decoding OTLP export requests
-- (message LogsRequest of ../otlp_ingest.proto) inserted into the Null table otlp_logs_ingest.
-- A record without time_unix_nano takes its observed time, as the OTLP data model says.
-- Array and map values are JSON text as the collector writes it (Go's encoding/json leaves '/'
-- alone), hence the view's output_format_json_escape_forward_slashes = 0.

CREATE TABLE IF NOT EXISTS $db.otel_logs$local $on_cluster (
    Timestamp DateTime64(9) CODEC(Delta(8), ZSTD(1)),
    TimestampTime DateTime DEFAULT toDateTime(Timestamp),
    TraceId String CODEC(ZSTD(1)),
    SpanId String CODEC(ZSTD(1)),
    TraceFlags UInt8,
    SeverityText LowCardinality(String) CODEC(ZSTD(1)),
    SeverityNumber UInt8,
    ServiceName LowCardinality(String) CODEC(ZSTD(1)),
    Body String CODEC(ZSTD(1)),
    ResourceSchemaUrl LowCardinality(String) CODEC(ZSTD(1)),
    ResourceAttributes Map(LowCardinality(String), String) CODEC(ZSTD(1)),
    ScopeSchemaUrl LowCardinality(String) CODEC(ZSTD(1)),
    ScopeName String CODEC(ZSTD(1)),
    ScopeVersion LowCardinality(String) CODEC(ZSTD(1)),
    ScopeAttributes Map(LowCardinality(String), String) CODEC(ZSTD(1)),
    LogAttributes Map(LowCardinality(String), String) CODEC(ZSTD(1)),
    EventName String CODEC(ZSTD(1)),
    INDEX idx_trace_id TraceId TYPE bloom_filter(0.001) GRANULARITY 1,
    INDEX idx_res_attr_key mapKeys(ResourceAttributes) TYPE bloom_filter(0.01) GRANULARITY 1,
    INDEX idx_res_attr_value mapValues(ResourceAttributes) TYPE bloom_filter(0.01) GRANULARITY 1,
    INDEX idx_scope_attr_key mapKeys(ScopeAttributes) TYPE bloom_filter(0.01) GRANULARITY 1,
    INDEX idx_scope_attr_value mapValues(ScopeAttributes) TYPE bloom_filter(0.01) GRANULARITY 1,
    INDEX idx_log_attr_key mapKeys(LogAttributes) TYPE bloom_filter(0.01) GRANULARITY 1,
    INDEX idx_log_attr_value mapValues(LogAttributes) TYPE bloom_filter(0.01) GRANULARITY 1,
    INDEX idx_body Body TYPE tokenbf_v1(32768, 3, 0) GRANULARITY 8
) ENGINE = $MergeTree
PARTITION BY toDate(TimestampTime)
PRIMARY KEY (ServiceName, TimestampTime)
ORDER BY (ServiceName, TimestampTime, Timestamp)
@ttl_logs(TimestampTime)
SETTINGS index_granularity = 8192, ttl_only_drop_parts = 1;

CREATE TABLE IF NOT EXISTS $db.otlp_logs_ingest $on_cluster (
    resource_logs Array(Tuple(
        resource Tuple(attributes @attributes_type()),
        schema_url String,
        scope_logs Array(Tuple(
            scope @scope_type(),
            schema_url String,
            log_records Array(Tuple(
                time_unix_nano UInt64,
                severity_number Int32,
                severity_text String,
                body @any_value_type(),
                attributes @attributes_type(),
                flags UInt32,
                trace_id String,
                span_id String,
                observed_time_unix_nano UInt64,
                event_name String))))))
) ENGINE = Null;

CREATE MATERIALIZED VIEW IF NOT EXISTS $db.otlp_logs_ingest_mv $on_cluster
TO $db.otel_logs AS
SELECT
    @unix_nano(if(record.time_unix_nano != 0, record.time_unix_nano, record.observed_time_unix_nano)) AS Timestamp,
    toDateTime(Timestamp) AS TimestampTime,
    @hex_id(record.trace_id) AS TraceId,
    @hex_id(record.span_id) AS SpanId,
    toUInt8(bitAnd(record.flags, 255)) AS TraceFlags,
    record.severity_text AS SeverityText,
    toUInt8(greatest(least(record.severity_number, 255), 0)) AS SeverityNumber,
    @service_name(rl.resource.attributes) AS ServiceName,
    @value_text(record.body) AS Body,
    rl.schema_url AS ResourceSchemaUrl,
    @attributes_map(rl.resource.attributes) AS ResourceAttributes,
    sl.schema_url AS ScopeSchemaUrl,
    sl.scope.name AS ScopeName,
    sl.scope.version AS ScopeVersion,
    @attributes_map(sl.scope.attributes) AS ScopeAttributes,
    @attributes_map(record.attributes) AS LogAttributes,
    record.event_name AS EventName
FROM $db.otlp_logs_ingest
ARRAY JOIN resource_logs AS rl
ARRAY JOIN rl.scope_logs AS sl
ARRAY JOIN sl.log_records AS record
SETTINGS output_format_json_escape_forward_slashes = 0;
