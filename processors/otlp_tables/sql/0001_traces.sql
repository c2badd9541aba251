-- Traces: the OpenTelemetry Collector clickhouseexporter layout (otel_traces and its
-- trace-id lookup), fed by ClickHouse itself decoding OTLP export requests.
--
-- The gateway inserts raw, length-delimited ExportTraceServiceRequest messages into the
-- Null-engine table otlp_traces_ingest (schema: ../otlp_ingest.proto, message TracesRequest);
-- the materialized view otlp_traces_ingest_mv turns each span into one otel_traces row.
-- Array and map attribute values are JSON text as the Collector writes it (Go leaves '/' alone),
-- hence output_format_json_escape_forward_slashes = 0 on the view.
-- Placeholders ($db, $on_cluster, $MergeTree, $local) and macros (@name(arg)) are expanded
-- by gateway.storage.ddl.

CREATE TABLE IF NOT EXISTS $db.otel_traces$local $on_cluster (
    Timestamp DateTime64(9) CODEC(Delta(8), ZSTD(1)),
    TraceId String CODEC(ZSTD(1)),
    SpanId String CODEC(ZSTD(1)),
    ParentSpanId String CODEC(ZSTD(1)),
    TraceState String CODEC(ZSTD(1)),
    SpanName LowCardinality(String) CODEC(ZSTD(1)),
    SpanKind LowCardinality(String) CODEC(ZSTD(1)),
    ServiceName LowCardinality(String) CODEC(ZSTD(1)),
    ResourceAttributes Map(LowCardinality(String), String) CODEC(ZSTD(1)),
    ScopeName String CODEC(ZSTD(1)),
    ScopeVersion String CODEC(ZSTD(1)),
    SpanAttributes Map(LowCardinality(String), String) CODEC(ZSTD(1)),
    Duration UInt64 CODEC(T64, ZSTD(1)),
    StatusCode LowCardinality(String) CODEC(ZSTD(1)),
    StatusMessage String CODEC(ZSTD(1)),
    Events Nested (
        Timestamp DateTime64(9),
        Name LowCardinality(String),
        Attributes Map(LowCardinality(String), String)
    ) CODEC(ZSTD(1)),
    Links Nested (
        TraceId String,
        SpanId String,
        TraceState String,
        Attributes Map(LowCardinality(String), String)
    ) CODEC(ZSTD(1)),
    INDEX idx_trace_id TraceId TYPE bloom_filter(0.001) GRANULARITY 1,
    INDEX idx_res_attr_key mapKeys(ResourceAttributes) TYPE bloom_filter(0.01) GRANULARITY 1,
    INDEX idx_res_attr_value mapValues(ResourceAttributes) TYPE bloom_filter(0.01) GRANULARITY 1,
    INDEX idx_span_attr_key mapKeys(SpanAttributes) TYPE bloom_filter(0.01) GRANULARITY 1,
    INDEX idx_span_attr_value mapValues(SpanAttributes) TYPE bloom_filter(0.01) GRANULARITY 1,
    INDEX idx_duration Duration TYPE minmax GRANULARITY 1
) ENGINE = $MergeTree
PARTITION BY toDate(Timestamp)
ORDER BY (ServiceName, SpanName, toDateTime(Timestamp))
@ttl_traces(Timestamp)
SETTINGS index_granularity = 8192, ttl_only_drop_parts = 1;

CREATE TABLE IF NOT EXISTS $db.otel_traces_trace_id_ts$local $on_cluster (
    TraceId String CODEC(ZSTD(1)),
    Start DateTime CODEC(Delta, ZSTD(1)),
    End DateTime CODEC(Delta, ZSTD(1)),
    INDEX idx_trace_id TraceId TYPE bloom_filter(0.01) GRANULARITY 1
) ENGINE = $MergeTree
PARTITION BY toDate(Start)
ORDER BY (TraceId, Start)
@ttl_traces(Start)
SETTINGS index_granularity = 8192, ttl_only_drop_parts = 1;

CREATE MATERIALIZED VIEW IF NOT EXISTS $db.otel_traces_trace_id_ts_mv $on_cluster
TO $db.otel_traces_trace_id_ts AS
SELECT
    TraceId,
    min(Timestamp) AS Start,
    max(Timestamp) AS End
FROM $db.otel_traces$local
WHERE TraceId != ''
GROUP BY TraceId;

CREATE TABLE IF NOT EXISTS $db.otlp_traces_ingest $on_cluster (
    resource_spans Array(Tuple(
        resource Tuple(attributes @attributes_type()),
        scope_spans Array(Tuple(
            scope @scope_type(),
            spans Array(Tuple(
                trace_id String,
                span_id String,
                trace_state String,
                parent_span_id String,
                name String,
                kind Int32,
                start_time_unix_nano UInt64,
                end_time_unix_nano UInt64,
                attributes @attributes_type(),
                events Array(Tuple(
                    time_unix_nano UInt64,
                    name String,
                    attributes @attributes_type())),
                links Array(Tuple(
                    trace_id String,
                    span_id String,
                    trace_state String,
                    attributes @attributes_type())),
                status Tuple(message String, code Int32)))))))
) ENGINE = Null;

CREATE MATERIALIZED VIEW IF NOT EXISTS $db.otlp_traces_ingest_mv $on_cluster
TO $db.otel_traces AS
SELECT
    fromUnixTimestamp64Nano(toInt64(span.start_time_unix_nano)) AS Timestamp,
    lower(hex(span.trace_id)) AS TraceId,
    lower(hex(span.span_id)) AS SpanId,
    lower(hex(span.parent_span_id)) AS ParentSpanId,
    span.trace_state AS TraceState,
    span.name AS SpanName,
    @span_kind_name(span.kind) AS SpanKind,
    @service_name(rs.resource.attributes) AS ServiceName,
    @attributes_map(rs.resource.attributes) AS ResourceAttributes,
    ss.scope.name AS ScopeName,
    ss.scope.version AS ScopeVersion,
    @attributes_map(span.attributes) AS SpanAttributes,
    span.end_time_unix_nano - span.start_time_unix_nano AS Duration,
    @status_code_name(span.status.code) AS StatusCode,
    span.status.message AS StatusMessage,
    arrayMap(e -> fromUnixTimestamp64Nano(toInt64(e.time_unix_nano)), span.events) AS `Events.Timestamp`,
    arrayMap(e -> e.name, span.events) AS `Events.Name`,
    arrayMap(e -> @attributes_map(e.attributes), span.events) AS `Events.Attributes`,
    arrayMap(l -> lower(hex(l.trace_id)), span.links) AS `Links.TraceId`,
    arrayMap(l -> lower(hex(l.span_id)), span.links) AS `Links.SpanId`,
    arrayMap(l -> l.trace_state, span.links) AS `Links.TraceState`,
    arrayMap(l -> @attributes_map(l.attributes), span.links) AS `Links.Attributes`
FROM $db.otlp_traces_ingest
ARRAY JOIN resource_spans AS rs
ARRAY JOIN rs.scope_spans AS ss
ARRAY JOIN ss.spans AS span
SETTINGS output_format_json_escape_forward_slashes = 0;
