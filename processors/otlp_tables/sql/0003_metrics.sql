-- Metrics: the clickhouseexporter's five otel_metrics_* tables, fed by ClickHouse decoding
-- OTLP export requests (message MetricsRequest of ../otlp_ingest.proto) inserted into the Null
-- table otlp_metrics_ingest. One materialized view per metric type picks its data points.
-- Array and map values are JSON text as the collector writes it (Go's encoding/json leaves '/'
-- alone), hence each view's output_format_json_escape_forward_slashes = 0.

CREATE TABLE IF NOT EXISTS $db.otel_metrics_gauge$local $on_cluster (
    ResourceAttributes Map(LowCardinality(String), String) CODEC(ZSTD(1)),
    ResourceSchemaUrl String CODEC(ZSTD(1)),
    ScopeName String CODEC(ZSTD(1)),
    ScopeVersion String CODEC(ZSTD(1)),
    ScopeAttributes Map(LowCardinality(String), String) CODEC(ZSTD(1)),
    ScopeDroppedAttrCount UInt32 CODEC(ZSTD(1)),
    ScopeSchemaUrl String CODEC(ZSTD(1)),
    ServiceName LowCardinality(String) CODEC(ZSTD(1)),
    MetricName String CODEC(ZSTD(1)),
    MetricDescription String CODEC(ZSTD(1)),
    MetricUnit String CODEC(ZSTD(1)),
    Attributes Map(LowCardinality(String), String) CODEC(ZSTD(1)),
    StartTimeUnix DateTime64(9) CODEC(Delta, ZSTD(1)),
    TimeUnix DateTime64(9) CODEC(Delta, ZSTD(1)),
    Value Float64 CODEC(ZSTD(1)),
    Flags UInt32 CODEC(ZSTD(1)),
    Exemplars Nested (
        FilteredAttributes Map(LowCardinality(String), String),
        TimeUnix DateTime64(9),
        Value Float64,
        SpanId String,
        TraceId String
    ) CODEC(ZSTD(1)),
    INDEX idx_res_attr_key mapKeys(ResourceAttributes) TYPE bloom_filter(0.01) GRANULARITY 1,
    INDEX idx_res_attr_value mapValues(ResourceAttributes) TYPE bloom_filter(0.01) GRANULARITY 1,
    INDEX idx_scope_attr_key mapKeys(ScopeAttributes) TYPE bloom_filter(0.01) GRANULARITY 1,
    INDEX idx_scope_attr_value mapValues(ScopeAttributes) TYPE bloom_filter(0.01) GRANULARITY 1,
    INDEX idx_attr_key mapKeys(Attributes) TYPE bloom_filter(0.01) GRANULARITY 1,
    INDEX idx_attr_value mapValues(Attributes) TYPE bloom_filter(0.01) GRANULARITY 1
) ENGINE = $MergeTree
PARTITION BY toDate(TimeUnix)
ORDER BY (ServiceName, MetricName, Attributes, toUnixTimestamp64Nano(TimeUnix))
@ttl_metrics(TimeUnix)
SETTINGS index_granularity = 8192, ttl_only_drop_parts = 1;

CREATE TABLE IF NOT EXISTS $db.otel_metrics_sum$local $on_cluster (
    ResourceAttributes Map(LowCardinality(String), String) CODEC(ZSTD(1)),
    ResourceSchemaUrl String CODEC(ZSTD(1)),
    ScopeName String CODEC(ZSTD(1)),
    ScopeVersion String CODEC(ZSTD(1)),
    ScopeAttributes Map(LowCardinality(String), String) CODEC(ZSTD(1)),
    ScopeDroppedAttrCount UInt32 CODEC(ZSTD(1)),
    ScopeSchemaUrl String CODEC(ZSTD(1)),
    ServiceName LowCardinality(String) CODEC(ZSTD(1)),
    MetricName String CODEC(ZSTD(1)),
    MetricDescription String CODEC(ZSTD(1)),
    MetricUnit String CODEC(ZSTD(1)),
    Attributes Map(LowCardinality(String), String) CODEC(ZSTD(1)),
    StartTimeUnix DateTime64(9) CODEC(Delta, ZSTD(1)),
    TimeUnix DateTime64(9) CODEC(Delta, ZSTD(1)),
    Value Float64 CODEC(ZSTD(1)),
    Flags UInt32 CODEC(ZSTD(1)),
    Exemplars Nested (
        FilteredAttributes Map(LowCardinality(String), String),
        TimeUnix DateTime64(9),
        Value Float64,
        SpanId String,
        TraceId String
    ) CODEC(ZSTD(1)),
    AggregationTemporality Int32 CODEC(ZSTD(1)),
    IsMonotonic Bool CODEC(Delta, ZSTD(1)),
    INDEX idx_res_attr_key mapKeys(ResourceAttributes) TYPE bloom_filter(0.01) GRANULARITY 1,
    INDEX idx_res_attr_value mapValues(ResourceAttributes) TYPE bloom_filter(0.01) GRANULARITY 1,
    INDEX idx_scope_attr_key mapKeys(ScopeAttributes) TYPE bloom_filter(0.01) GRANULARITY 1,
    INDEX idx_scope_attr_value mapValues(ScopeAttributes) TYPE bloom_filter(0.01) GRANULARITY 1,
    INDEX idx_attr_key mapKeys(Attributes) TYPE bloom_filter(0.01) GRANULARITY 1,
    INDEX idx_attr_value mapValues(Attributes) TYPE bloom_filter(0.01) GRANULARITY 1
) ENGINE = $MergeTree
PARTITION BY toDate(TimeUnix)
ORDER BY (ServiceName, MetricName, Attributes, toUnixTimestamp64Nano(TimeUnix))
@ttl_metrics(TimeUnix)
SETTINGS index_granularity = 8192, ttl_only_drop_parts = 1;

CREATE TABLE IF NOT EXISTS $db.otel_metrics_histogram$local $on_cluster (
    ResourceAttributes Map(LowCardinality(String), String) CODEC(ZSTD(1)),
    ResourceSchemaUrl String CODEC(ZSTD(1)),
    ScopeName String CODEC(ZSTD(1)),
    ScopeVersion String CODEC(ZSTD(1)),
    ScopeAttributes Map(LowCardinality(String), String) CODEC(ZSTD(1)),
    ScopeDroppedAttrCount UInt32 CODEC(ZSTD(1)),
    ScopeSchemaUrl String CODEC(ZSTD(1)),
    ServiceName LowCardinality(String) CODEC(ZSTD(1)),
    MetricName String CODEC(ZSTD(1)),
    MetricDescription String CODEC(ZSTD(1)),
    MetricUnit String CODEC(ZSTD(1)),
    Attributes Map(LowCardinality(String), String) CODEC(ZSTD(1)),
    StartTimeUnix DateTime64(9) CODEC(Delta, ZSTD(1)),
    TimeUnix DateTime64(9) CODEC(Delta, ZSTD(1)),
    Count UInt64 CODEC(Delta, ZSTD(1)),
    Sum Float64 CODEC(ZSTD(1)),
    BucketCounts Array(UInt64) CODEC(ZSTD(1)),
    ExplicitBounds Array(Float64) CODEC(ZSTD(1)),
    Exemplars Nested (
        FilteredAttributes Map(LowCardinality(String), String),
        TimeUnix DateTime64(9),
        Value Float64,
        SpanId String,
        TraceId String
    ) CODEC(ZSTD(1)),
    Flags UInt32 CODEC(ZSTD(1)),
    Min Float64 CODEC(ZSTD(1)),
    Max Float64 CODEC(ZSTD(1)),
    AggregationTemporality Int32 CODEC(ZSTD(1)),
    INDEX idx_res_attr_key mapKeys(ResourceAttributes) TYPE bloom_filter(0.01) GRANULARITY 1,
    INDEX idx_res_attr_value mapValues(ResourceAttributes) TYPE bloom_filter(0.01) GRANULARITY 1,
    INDEX idx_scope_attr_key mapKeys(ScopeAttributes) TYPE bloom_filter(0.01) GRANULARITY 1,
    INDEX idx_scope_attr_value mapValues(ScopeAttributes) TYPE bloom_filter(0.01) GRANULARITY 1,
    INDEX idx_attr_key mapKeys(Attributes) TYPE bloom_filter(0.01) GRANULARITY 1,
    INDEX idx_attr_value mapValues(Attributes) TYPE bloom_filter(0.01) GRANULARITY 1
) ENGINE = $MergeTree
PARTITION BY toDate(TimeUnix)
ORDER BY (ServiceName, MetricName, Attributes, toUnixTimestamp64Nano(TimeUnix))
@ttl_metrics(TimeUnix)
SETTINGS index_granularity = 8192, ttl_only_drop_parts = 1;

CREATE TABLE IF NOT EXISTS $db.otel_metrics_exponential_histogram$local $on_cluster (
    ResourceAttributes Map(LowCardinality(String), String) CODEC(ZSTD(1)),
    ResourceSchemaUrl String CODEC(ZSTD(1)),
    ScopeName String CODEC(ZSTD(1)),
    ScopeVersion String CODEC(ZSTD(1)),
    ScopeAttributes Map(LowCardinality(String), String) CODEC(ZSTD(1)),
    ScopeDroppedAttrCount UInt32 CODEC(ZSTD(1)),
    ScopeSchemaUrl String CODEC(ZSTD(1)),
    ServiceName LowCardinality(String) CODEC(ZSTD(1)),
    MetricName String CODEC(ZSTD(1)),
    MetricDescription String CODEC(ZSTD(1)),
    MetricUnit String CODEC(ZSTD(1)),
    Attributes Map(LowCardinality(String), String) CODEC(ZSTD(1)),
    StartTimeUnix DateTime64(9) CODEC(Delta, ZSTD(1)),
    TimeUnix DateTime64(9) CODEC(Delta, ZSTD(1)),
    Count UInt64 CODEC(Delta, ZSTD(1)),
    Sum Float64 CODEC(ZSTD(1)),
    Scale Int32 CODEC(ZSTD(1)),
    ZeroCount UInt64 CODEC(ZSTD(1)),
    PositiveOffset Int32 CODEC(ZSTD(1)),
    PositiveBucketCounts Array(UInt64) CODEC(ZSTD(1)),
    NegativeOffset Int32 CODEC(ZSTD(1)),
    NegativeBucketCounts Array(UInt64) CODEC(ZSTD(1)),
    Exemplars Nested (
        FilteredAttributes Map(LowCardinality(String), String),
        TimeUnix DateTime64(9),
        Value Float64,
        SpanId String,
        TraceId String
    ) CODEC(ZSTD(1)),
    Flags UInt32 CODEC(ZSTD(1)),
    Min Float64 CODEC(ZSTD(1)),
    Max Float64 CODEC(ZSTD(1)),
    AggregationTemporality Int32 CODEC(ZSTD(1)),
    INDEX idx_res_attr_key mapKeys(ResourceAttributes) TYPE bloom_filter(0.01) GRANULARITY 1,
    INDEX idx_res_attr_value mapValues(ResourceAttributes) TYPE bloom_filter(0.01) GRANULARITY 1,
    INDEX idx_scope_attr_key mapKeys(ScopeAttributes) TYPE bloom_filter(0.01) GRANULARITY 1,
    INDEX idx_scope_attr_value mapValues(ScopeAttributes) TYPE bloom_filter(0.01) GRANULARITY 1,
    INDEX idx_attr_key mapKeys(Attributes) TYPE bloom_filter(0.01) GRANULARITY 1,
    INDEX idx_attr_value mapValues(Attributes) TYPE bloom_filter(0.01) GRANULARITY 1
) ENGINE = $MergeTree
PARTITION BY toDate(TimeUnix)
ORDER BY (ServiceName, MetricName, Attributes, toUnixTimestamp64Nano(TimeUnix))
@ttl_metrics(TimeUnix)
SETTINGS index_granularity = 8192, ttl_only_drop_parts = 1;

CREATE TABLE IF NOT EXISTS $db.otel_metrics_summary$local $on_cluster (
    ResourceAttributes Map(LowCardinality(String), String) CODEC(ZSTD(1)),
    ResourceSchemaUrl String CODEC(ZSTD(1)),
    ScopeName String CODEC(ZSTD(1)),
    ScopeVersion String CODEC(ZSTD(1)),
    ScopeAttributes Map(LowCardinality(String), String) CODEC(ZSTD(1)),
    ScopeDroppedAttrCount UInt32 CODEC(ZSTD(1)),
    ScopeSchemaUrl String CODEC(ZSTD(1)),
    ServiceName LowCardinality(String) CODEC(ZSTD(1)),
    MetricName String CODEC(ZSTD(1)),
    MetricDescription String CODEC(ZSTD(1)),
    MetricUnit String CODEC(ZSTD(1)),
    Attributes Map(LowCardinality(String), String) CODEC(ZSTD(1)),
    StartTimeUnix DateTime64(9) CODEC(Delta, ZSTD(1)),
    TimeUnix DateTime64(9) CODEC(Delta, ZSTD(1)),
    Count UInt64 CODEC(Delta, ZSTD(1)),
    Sum Float64 CODEC(ZSTD(1)),
    ValueAtQuantiles Nested (
        Quantile Float64,
        Value Float64
    ) CODEC(ZSTD(1)),
    Flags UInt32 CODEC(ZSTD(1)),
    INDEX idx_res_attr_key mapKeys(ResourceAttributes) TYPE bloom_filter(0.01) GRANULARITY 1,
    INDEX idx_res_attr_value mapValues(ResourceAttributes) TYPE bloom_filter(0.01) GRANULARITY 1,
    INDEX idx_scope_attr_key mapKeys(ScopeAttributes) TYPE bloom_filter(0.01) GRANULARITY 1,
    INDEX idx_scope_attr_value mapValues(ScopeAttributes) TYPE bloom_filter(0.01) GRANULARITY 1,
    INDEX idx_attr_key mapKeys(Attributes) TYPE bloom_filter(0.01) GRANULARITY 1,
    INDEX idx_attr_value mapValues(Attributes) TYPE bloom_filter(0.01) GRANULARITY 1
) ENGINE = $MergeTree
PARTITION BY toDate(TimeUnix)
ORDER BY (ServiceName, MetricName, Attributes, toUnixTimestamp64Nano(TimeUnix))
@ttl_metrics(TimeUnix)
SETTINGS index_granularity = 8192, ttl_only_drop_parts = 1;

CREATE TABLE IF NOT EXISTS $db.otlp_metrics_ingest $on_cluster (
    resource_metrics Array(Tuple(
        resource Tuple(attributes @attributes_type()),
        schema_url String,
        scope_metrics Array(Tuple(
            scope @scope_type(),
            schema_url String,
            metrics Array(Tuple(
                name String,
                description String,
                unit String,
                gauge Tuple(data_points Array(Tuple(attributes @attributes_type(), start_time_unix_nano UInt64, time_unix_nano UInt64, as_double Nullable(Float64), as_int Nullable(Int64), exemplars Array(Tuple(as_double Nullable(Float64), as_int Nullable(Int64), time_unix_nano UInt64, span_id String, trace_id String, filtered_attributes @attributes_type())), flags UInt32))),
                sum Tuple(data_points Array(Tuple(attributes @attributes_type(), start_time_unix_nano UInt64, time_unix_nano UInt64, as_double Nullable(Float64), as_int Nullable(Int64), exemplars Array(Tuple(as_double Nullable(Float64), as_int Nullable(Int64), time_unix_nano UInt64, span_id String, trace_id String, filtered_attributes @attributes_type())), flags UInt32)), aggregation_temporality Int32, is_monotonic Bool),
                histogram Tuple(data_points Array(Tuple(attributes @attributes_type(), start_time_unix_nano UInt64, time_unix_nano UInt64, count UInt64, sum Nullable(Float64), bucket_counts Array(UInt64), explicit_bounds Array(Float64), exemplars Array(Tuple(as_double Nullable(Float64), as_int Nullable(Int64), time_unix_nano UInt64, span_id String, trace_id String, filtered_attributes @attributes_type())), flags UInt32, min Nullable(Float64), max Nullable(Float64))), aggregation_temporality Int32),
                exponential_histogram Tuple(data_points Array(Tuple(attributes @attributes_type(), start_time_unix_nano UInt64, time_unix_nano UInt64, count UInt64, sum Nullable(Float64), scale Int32, zero_count UInt64, positive Tuple(offset Int32, bucket_counts Array(UInt64)), negative Tuple(offset Int32, bucket_counts Array(UInt64)), flags UInt32, exemplars Array(Tuple(as_double Nullable(Float64), as_int Nullable(Int64), time_unix_nano UInt64, span_id String, trace_id String, filtered_attributes @attributes_type())), min Nullable(Float64), max Nullable(Float64))), aggregation_temporality Int32),
                summary Tuple(data_points Array(Tuple(attributes @attributes_type(), start_time_unix_nano UInt64, time_unix_nano UInt64, count UInt64, sum Float64, quantile_values Array(Tuple(quantile Float64, value Float64)), flags UInt32)))))))))
) ENGINE = Null;

CREATE MATERIALIZED VIEW IF NOT EXISTS $db.otlp_metrics_gauge_mv $on_cluster
TO $db.otel_metrics_gauge AS
SELECT
    @attributes_map(rm.resource.attributes) AS ResourceAttributes,
    rm.schema_url AS ResourceSchemaUrl,
    sm.scope.name AS ScopeName,
    sm.scope.version AS ScopeVersion,
    @attributes_map(sm.scope.attributes) AS ScopeAttributes,
    sm.scope.dropped_attributes_count AS ScopeDroppedAttrCount,
    sm.schema_url AS ScopeSchemaUrl,
    @service_name(rm.resource.attributes) AS ServiceName,
    metric.name AS MetricName,
    metric.description AS MetricDescription,
    metric.unit AS MetricUnit,
    @attributes_map(point.attributes) AS Attributes,
    @unix_nano(point.start_time_unix_nano) AS StartTimeUnix,
    @unix_nano(point.time_unix_nano) AS TimeUnix,
    point.flags AS Flags,
    ifNull(point.as_double, toFloat64(ifNull(point.as_int, 0))) AS Value,
    arrayMap(x_ -> @attributes_map(x_.filtered_attributes), point.exemplars) AS `Exemplars.FilteredAttributes`,
    arrayMap(x_ -> @unix_nano(x_.time_unix_nano), point.exemplars) AS `Exemplars.TimeUnix`,
    arrayMap(x_ -> ifNull(x_.as_double, toFloat64(ifNull(x_.as_int, 0))), point.exemplars) AS `Exemplars.Value`,
    arrayMap(x_ -> @hex_id(x_.span_id), point.exemplars) AS `Exemplars.SpanId`,
    arrayMap(x_ -> @hex_id(x_.trace_id), point.exemplars) AS `Exemplars.TraceId`
FROM $db.otlp_metrics_ingest
ARRAY JOIN resource_metrics AS rm
ARRAY JOIN rm.scope_metrics AS sm
ARRAY JOIN sm.metrics AS metric
ARRAY JOIN metric.gauge.data_points AS point
SETTINGS output_format_json_escape_forward_slashes = 0;

CREATE MATERIALIZED VIEW IF NOT EXISTS $db.otlp_metrics_sum_mv $on_cluster
TO $db.otel_metrics_sum AS
SELECT
    @attributes_map(rm.resource.attributes) AS ResourceAttributes,
    rm.schema_url AS ResourceSchemaUrl,
    sm.scope.name AS ScopeName,
    sm.scope.version AS ScopeVersion,
    @attributes_map(sm.scope.attributes) AS ScopeAttributes,
    sm.scope.dropped_attributes_count AS ScopeDroppedAttrCount,
    sm.schema_url AS ScopeSchemaUrl,
    @service_name(rm.resource.attributes) AS ServiceName,
    metric.name AS MetricName,
    metric.description AS MetricDescription,
    metric.unit AS MetricUnit,
    @attributes_map(point.attributes) AS Attributes,
    @unix_nano(point.start_time_unix_nano) AS StartTimeUnix,
    @unix_nano(point.time_unix_nano) AS TimeUnix,
    point.flags AS Flags,
    ifNull(point.as_double, toFloat64(ifNull(point.as_int, 0))) AS Value,
    metric.sum.aggregation_temporality AS AggregationTemporality,
    metric.sum.is_monotonic AS IsMonotonic,
    arrayMap(x_ -> @attributes_map(x_.filtered_attributes), point.exemplars) AS `Exemplars.FilteredAttributes`,
    arrayMap(x_ -> @unix_nano(x_.time_unix_nano), point.exemplars) AS `Exemplars.TimeUnix`,
    arrayMap(x_ -> ifNull(x_.as_double, toFloat64(ifNull(x_.as_int, 0))), point.exemplars) AS `Exemplars.Value`,
    arrayMap(x_ -> @hex_id(x_.span_id), point.exemplars) AS `Exemplars.SpanId`,
    arrayMap(x_ -> @hex_id(x_.trace_id), point.exemplars) AS `Exemplars.TraceId`
FROM $db.otlp_metrics_ingest
ARRAY JOIN resource_metrics AS rm
ARRAY JOIN rm.scope_metrics AS sm
ARRAY JOIN sm.metrics AS metric
ARRAY JOIN metric.sum.data_points AS point
SETTINGS output_format_json_escape_forward_slashes = 0;

CREATE MATERIALIZED VIEW IF NOT EXISTS $db.otlp_metrics_histogram_mv $on_cluster
TO $db.otel_metrics_histogram AS
SELECT
    @attributes_map(rm.resource.attributes) AS ResourceAttributes,
    rm.schema_url AS ResourceSchemaUrl,
    sm.scope.name AS ScopeName,
    sm.scope.version AS ScopeVersion,
    @attributes_map(sm.scope.attributes) AS ScopeAttributes,
    sm.scope.dropped_attributes_count AS ScopeDroppedAttrCount,
    sm.schema_url AS ScopeSchemaUrl,
    @service_name(rm.resource.attributes) AS ServiceName,
    metric.name AS MetricName,
    metric.description AS MetricDescription,
    metric.unit AS MetricUnit,
    @attributes_map(point.attributes) AS Attributes,
    @unix_nano(point.start_time_unix_nano) AS StartTimeUnix,
    @unix_nano(point.time_unix_nano) AS TimeUnix,
    point.flags AS Flags,
    point.count AS Count,
    ifNull(point.sum, 0) AS Sum,
    point.bucket_counts AS BucketCounts,
    point.explicit_bounds AS ExplicitBounds,
    ifNull(point.min, 0) AS Min,
    ifNull(point.max, 0) AS Max,
    metric.histogram.aggregation_temporality AS AggregationTemporality,
    arrayMap(x_ -> @attributes_map(x_.filtered_attributes), point.exemplars) AS `Exemplars.FilteredAttributes`,
    arrayMap(x_ -> @unix_nano(x_.time_unix_nano), point.exemplars) AS `Exemplars.TimeUnix`,
    arrayMap(x_ -> ifNull(x_.as_double, toFloat64(ifNull(x_.as_int, 0))), point.exemplars) AS `Exemplars.Value`,
    arrayMap(x_ -> @hex_id(x_.span_id), point.exemplars) AS `Exemplars.SpanId`,
    arrayMap(x_ -> @hex_id(x_.trace_id), point.exemplars) AS `Exemplars.TraceId`
FROM $db.otlp_metrics_ingest
ARRAY JOIN resource_metrics AS rm
ARRAY JOIN rm.scope_metrics AS sm
ARRAY JOIN sm.metrics AS metric
ARRAY JOIN metric.histogram.data_points AS point
SETTINGS output_format_json_escape_forward_slashes = 0;

CREATE MATERIALIZED VIEW IF NOT EXISTS $db.otlp_metrics_exponential_histogram_mv $on_cluster
TO $db.otel_metrics_exponential_histogram AS
SELECT
    @attributes_map(rm.resource.attributes) AS ResourceAttributes,
    rm.schema_url AS ResourceSchemaUrl,
    sm.scope.name AS ScopeName,
    sm.scope.version AS ScopeVersion,
    @attributes_map(sm.scope.attributes) AS ScopeAttributes,
    sm.scope.dropped_attributes_count AS ScopeDroppedAttrCount,
    sm.schema_url AS ScopeSchemaUrl,
    @service_name(rm.resource.attributes) AS ServiceName,
    metric.name AS MetricName,
    metric.description AS MetricDescription,
    metric.unit AS MetricUnit,
    @attributes_map(point.attributes) AS Attributes,
    @unix_nano(point.start_time_unix_nano) AS StartTimeUnix,
    @unix_nano(point.time_unix_nano) AS TimeUnix,
    point.flags AS Flags,
    point.count AS Count,
    ifNull(point.sum, 0) AS Sum,
    point.scale AS Scale,
    point.zero_count AS ZeroCount,
    point.positive.offset AS PositiveOffset,
    point.positive.bucket_counts AS PositiveBucketCounts,
    point.negative.offset AS NegativeOffset,
    point.negative.bucket_counts AS NegativeBucketCounts,
    ifNull(point.min, 0) AS Min,
    ifNull(point.max, 0) AS Max,
    metric.exponential_histogram.aggregation_temporality AS AggregationTemporality,
    arrayMap(x_ -> @attributes_map(x_.filtered_attributes), point.exemplars) AS `Exemplars.FilteredAttributes`,
    arrayMap(x_ -> @unix_nano(x_.time_unix_nano), point.exemplars) AS `Exemplars.TimeUnix`,
    arrayMap(x_ -> ifNull(x_.as_double, toFloat64(ifNull(x_.as_int, 0))), point.exemplars) AS `Exemplars.Value`,
    arrayMap(x_ -> @hex_id(x_.span_id), point.exemplars) AS `Exemplars.SpanId`,
    arrayMap(x_ -> @hex_id(x_.trace_id), point.exemplars) AS `Exemplars.TraceId`
FROM $db.otlp_metrics_ingest
ARRAY JOIN resource_metrics AS rm
ARRAY JOIN rm.scope_metrics AS sm
ARRAY JOIN sm.metrics AS metric
ARRAY JOIN metric.exponential_histogram.data_points AS point
SETTINGS output_format_json_escape_forward_slashes = 0;

CREATE MATERIALIZED VIEW IF NOT EXISTS $db.otlp_metrics_summary_mv $on_cluster
TO $db.otel_metrics_summary AS
SELECT
    @attributes_map(rm.resource.attributes) AS ResourceAttributes,
    rm.schema_url AS ResourceSchemaUrl,
    sm.scope.name AS ScopeName,
    sm.scope.version AS ScopeVersion,
    @attributes_map(sm.scope.attributes) AS ScopeAttributes,
    sm.scope.dropped_attributes_count AS ScopeDroppedAttrCount,
    sm.schema_url AS ScopeSchemaUrl,
    @service_name(rm.resource.attributes) AS ServiceName,
    metric.name AS MetricName,
    metric.description AS MetricDescription,
    metric.unit AS MetricUnit,
    @attributes_map(point.attributes) AS Attributes,
    @unix_nano(point.start_time_unix_nano) AS StartTimeUnix,
    @unix_nano(point.time_unix_nano) AS TimeUnix,
    point.flags AS Flags,
    point.count AS Count,
    point.sum AS Sum,
    arrayMap(q_ -> q_.quantile, point.quantile_values) AS `ValueAtQuantiles.Quantile`,
    arrayMap(q_ -> q_.value, point.quantile_values) AS `ValueAtQuantiles.Value`
FROM $db.otlp_metrics_ingest
ARRAY JOIN resource_metrics AS rm
ARRAY JOIN rm.scope_metrics AS sm
ARRAY JOIN sm.metrics AS metric
ARRAY JOIN metric.summary.data_points AS point
SETTINGS output_format_json_escape_forward_slashes = 0;
