from __future__ import annotations

from collections import Counter
from typing import Any

import pytest
from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceRequest
from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import ExportMetricsServiceRequest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.logs.v1.logs_pb2 import LogRecord
from opentelemetry.proto.metrics.v1.metrics_pb2 import HistogramDataPoint, Metric, NumberDataPoint
from opentelemetry.proto.trace.v1.trace_pb2 import Span

from processors.otlp.signals import Signal
from processors.otlp.validate import NANOS_PER_DAY, split_by_partition, validate

DAY = NANOS_PER_DAY
DAY_0 = 19_675  # 2023-11-14
T0 = DAY_0 * DAY + 3_600_000_000_000
NOW = T0 + 10 * DAY


def _span(index: int, start: int = T0, **fields: Any) -> Span:
    values: dict[str, Any] = {
        "trace_id": (index + 1).to_bytes(16, "big"),
        "span_id": (index + 1).to_bytes(8, "big"),
        "name": f"span-{index}",
        "start_time_unix_nano": start,
        "end_time_unix_nano": start + 1_000,
    }
    values.update(fields)
    return Span(**values)


def _traces(*scopes: list[Span]) -> ExportTraceServiceRequest:
    request = ExportTraceServiceRequest()
    resource_spans = request.resource_spans.add()
    resource_spans.resource.attributes.add(key="service.name").value.string_value = "model"
    for spans in scopes:
        scope_spans = resource_spans.scope_spans.add()
        scope_spans.scope.name = "scope"
        scope_spans.spans.extend(spans)
    return request


def _names(request: ExportTraceServiceRequest) -> list[str]:
    return [span.name for rs in request.resource_spans for ss in rs.scope_spans for span in ss.spans]


def test_valid_traces_are_untouched() -> None:
    request = _traces([_span(0), _span(1, parent_span_id=b"\x01" * 8)], [_span(2, start=T0 + DAY)])
    before = request.SerializeToString()
    result = validate(Signal.TRACES, request, NOW)
    assert result.accepted == 3
    assert result.rejected == 0
    assert result.message == ""
    assert not result.modified
    assert result.partition_days == frozenset({DAY_0, DAY_0 + 1})
    assert request.SerializeToString() == before


def test_empty_request_is_valid() -> None:
    for signal in Signal:
        result = validate(signal, signal.request_type(), NOW)
        assert (result.accepted, result.rejected, result.message, result.modified) == (0, 0, "", False)
        assert result.partition_days == frozenset()


@pytest.mark.parametrize(
    ("fields", "reason"),
    [
        ({"trace_id": b"\x01" * 15}, "trace_id must be 16 bytes"),
        ({"trace_id": b""}, "trace_id must be 16 bytes"),
        ({"trace_id": bytes(16)}, "trace_id is all zero"),
        ({"span_id": b"\x01" * 9}, "span_id must be 8 bytes"),
        ({"span_id": bytes(8)}, "span_id is all zero"),
        ({"parent_span_id": b"\x01" * 4}, "parent_span_id must be empty or 8 bytes"),
        ({"start_time_unix_nano": T0, "end_time_unix_nano": T0 - 1}, "end before start"),
        ({"links": [Span.Link(trace_id=b"\x01" * 8, span_id=b"\x01" * 8)]}, "link trace_id must be 16 bytes"),
        ({"links": [Span.Link(trace_id=b"\x01" * 16, span_id=b"")]}, "link span_id must be 8 bytes"),
    ],
)
def test_each_span_rule(fields: dict[str, Any], reason: str) -> None:
    good_link = Span.Link(trace_id=b"\x02" * 16, span_id=b"\x02" * 8)
    request = _traces([_span(0, links=[good_link]), _span(1, **fields), _span(2, start=T0 + DAY)])
    result = validate(Signal.TRACES, request, NOW)
    assert result.accepted == 2
    assert result.rejected == 1
    assert result.message == f"1 span rejected: {reason} (1)"
    assert result.modified
    assert _names(request) == ["span-0", "span-2"]
    assert result.partition_days == frozenset({DAY_0, DAY_0 + 1})


def test_span_with_equal_start_and_end_and_valid_links_is_accepted() -> None:
    link = Span.Link(trace_id=b"\x02" * 16, span_id=b"\x02" * 8)
    request = _traces([_span(0, end_time_unix_nano=T0, links=[link, link])])
    assert validate(Signal.TRACES, request, NOW).accepted == 1


def test_message_counts_each_reason() -> None:
    request = _traces(
        [_span(0, trace_id=b"\x01"), _span(1), _span(2, end_time_unix_nano=0)],
        [_span(3, trace_id=b""), _span(4)],
    )
    result = validate(Signal.TRACES, request, NOW)
    assert (result.accepted, result.rejected) == (2, 3)
    assert result.message == "3 spans rejected: trace_id must be 16 bytes (2), end before start (1)"
    assert _names(request) == ["span-1", "span-4"]


def test_days_of_rejected_items_are_not_partition_days() -> None:
    request = _traces([_span(0), _span(1, start=T0 + 5 * DAY, span_id=b"")])
    assert validate(Signal.TRACES, request, NOW).partition_days == frozenset({DAY_0})


def test_many_rejections_keep_valid_siblings_in_order() -> None:
    spans = [
        _span(index, trace_id=b"" if index % 2 else (index + 1).to_bytes(16, "big")) for index in range(501)
    ]
    request = _traces(spans)
    result = validate(Signal.TRACES, request, NOW)
    assert (result.accepted, result.rejected) == (251, 250)
    assert _names(request) == [f"span-{index}" for index in range(0, 501, 2)]
    assert all(
        len(span.attributes) == 0 and len(span.trace_id) == 16
        for span in request.resource_spans[0].scope_spans[0].spans
    )


def test_all_spans_rejected_leaves_empty_containers() -> None:
    request = _traces([_span(0, span_id=b""), _span(1, span_id=b"")])
    result = validate(Signal.TRACES, request, NOW)
    assert (result.accepted, result.rejected, result.partition_days) == (0, 2, frozenset())
    assert _names(request) == []


def _logs(*records: LogRecord) -> ExportLogsServiceRequest:
    request = ExportLogsServiceRequest()
    request.resource_logs.add().scope_logs.add().log_records.extend(records)
    return request


@pytest.mark.parametrize(
    ("fields", "reason"),
    [
        ({"trace_id": b"\x01" * 8}, "trace_id must be empty or 16 bytes"),
        ({"span_id": b"\x01" * 16}, "span_id must be empty or 8 bytes"),
    ],
)
def test_each_log_rule(fields: dict[str, Any], reason: str) -> None:
    request = _logs(
        LogRecord(time_unix_nano=T0, severity_text="a"),
        LogRecord(time_unix_nano=T0, severity_text="b", **fields),
        LogRecord(time_unix_nano=T0, severity_text="c", trace_id=b"\x01" * 16, span_id=b"\x01" * 8),
    )
    result = validate(Signal.LOGS, request, NOW)
    assert (result.accepted, result.rejected, result.modified) == (2, 1, True)
    assert result.message == f"1 log record rejected: {reason} (1)"
    records = request.resource_logs[0].scope_logs[0].log_records
    assert [record.severity_text for record in records] == ["a", "c"]


def test_log_days_fall_back_to_observed_time_then_now() -> None:
    request = _logs(
        LogRecord(time_unix_nano=T0, observed_time_unix_nano=T0 + 3 * DAY),
        LogRecord(observed_time_unix_nano=T0 + DAY),
        LogRecord(),
    )
    result = validate(Signal.LOGS, request, NOW)
    assert result.partition_days == frozenset({DAY_0, DAY_0 + 1, NOW // DAY})
    assert result.modified, "the record without any time gets the receive time as observed time"
    assert request.resource_logs[0].scope_logs[0].log_records[2].observed_time_unix_nano == NOW
    assert request.resource_logs[0].scope_logs[0].log_records[1].observed_time_unix_nano == T0 + DAY


def test_undated_log_beside_a_rejected_one_is_stamped_too() -> None:
    request = _logs(LogRecord(trace_id=b"\x01" * 3), LogRecord())
    result = validate(Signal.LOGS, request, NOW)
    assert (result.accepted, result.rejected) == (1, 1)
    (kept,) = request.resource_logs[0].scope_logs[0].log_records
    assert kept.observed_time_unix_nano == NOW
    assert result.partition_days == frozenset({NOW // DAY})


def _metrics(*metrics: Metric) -> ExportMetricsServiceRequest:
    request = ExportMetricsServiceRequest()
    request.resource_metrics.add().scope_metrics.add().metrics.extend(metrics)
    return request


def _gauge(name: str, *points: NumberDataPoint) -> Metric:
    metric = Metric(name=name)
    metric.gauge.data_points.extend(points)
    return metric


def _histogram(name: str, *points: HistogramDataPoint) -> Metric:
    metric = Metric(name=name)
    metric.histogram.data_points.extend(points)
    return metric


def test_number_points_without_value_are_rejected() -> None:
    total = Metric(name="s")
    total.sum.data_points.extend(
        [NumberDataPoint(time_unix_nano=T0), NumberDataPoint(time_unix_nano=T0, as_int=0)]
    )
    total.sum.is_monotonic = True
    request = _metrics(
        _gauge(
            "g", NumberDataPoint(time_unix_nano=T0, as_double=0.0), NumberDataPoint(time_unix_nano=T0 + DAY)
        ),
        total,
    )
    result = validate(Signal.METRICS, request, NOW)
    assert (result.accepted, result.rejected) == (2, 2)
    assert result.message == "2 data points rejected: data point has no value (2)"
    assert result.partition_days == frozenset({DAY_0})
    metrics = request.resource_metrics[0].scope_metrics[0].metrics
    assert [point.WhichOneof("value") for point in metrics[0].gauge.data_points] == ["as_double"]
    assert [point.WhichOneof("value") for point in metrics[1].sum.data_points] == ["as_int"]
    assert metrics[1].sum.is_monotonic


def test_histogram_bucket_counts_must_match_bounds() -> None:
    request = _metrics(
        _histogram(
            "h",
            HistogramDataPoint(time_unix_nano=T0, count=3, bucket_counts=[1, 2], explicit_bounds=[1.0]),
            HistogramDataPoint(time_unix_nano=T0, count=3, bucket_counts=[3], explicit_bounds=[1.0]),
            HistogramDataPoint(time_unix_nano=T0, count=3, sum=2.0),
            HistogramDataPoint(time_unix_nano=T0, count=3, bucket_counts=[3]),
        )
    )
    result = validate(Signal.METRICS, request, NOW)
    assert (result.accepted, result.rejected) == (3, 1)
    assert (
        result.message == "1 data point rejected: bucket_counts must be empty or len(explicit_bounds) + 1 (1)"
    )
    points = request.resource_metrics[0].scope_metrics[0].metrics[0].histogram.data_points
    assert [len(point.bucket_counts) for point in points] == [2, 0, 1]


def test_exponential_histograms_and_summaries_are_counted() -> None:
    exponential = Metric(name="e")
    exponential.exponential_histogram.data_points.add(time_unix_nano=T0, count=1)
    summary = Metric(name="q")
    summary.summary.data_points.add(time_unix_nano=T0 + 2 * DAY)
    summary.summary.data_points.add(time_unix_nano=T0 + 2 * DAY)
    result = validate(Signal.METRICS, _metrics(exponential, summary), NOW)
    assert (result.accepted, result.rejected, result.modified) == (3, 0, False)
    assert result.partition_days == frozenset({DAY_0, DAY_0 + 2})


def test_metric_without_data_is_removed_without_counting() -> None:
    request = _metrics(
        Metric(name="empty"), _gauge("g", NumberDataPoint(time_unix_nano=T0, as_int=1)), Metric(name="x")
    )
    result = validate(Signal.METRICS, request, NOW)
    assert (result.accepted, result.rejected, result.message, result.modified) == (1, 0, "", True)
    assert [metric.name for metric in request.resource_metrics[0].scope_metrics[0].metrics] == ["g"]


def _items(signal: Signal, request: Any) -> Counter[bytes]:
    """Every span, log record or data point, serialized with its resource, scope and metric header."""
    resource_field, scope_field, item_field = {
        Signal.TRACES: ("resource_spans", "scope_spans", "spans"),
        Signal.LOGS: ("resource_logs", "scope_logs", "log_records"),
        Signal.METRICS: ("resource_metrics", "scope_metrics", "metrics"),
    }[signal]
    found: Counter[bytes] = Counter()
    for resource in getattr(request, resource_field):
        for scope in getattr(resource, scope_field):
            context = resource.resource.SerializeToString() + scope.scope.SerializeToString()
            for item in getattr(scope, item_field):
                if signal is not Signal.METRICS:
                    found[context + item.SerializeToString()] += 1
                    continue
                kind = item.WhichOneof("data")
                header = Metric()
                header.CopyFrom(item)
                del getattr(header, kind).data_points[:]
                for point in getattr(item, kind).data_points:
                    found[
                        context + header.SerializeToString(deterministic=True) + point.SerializeToString()
                    ] += 1
    return found


def _check_split(signal: Signal, request: Any, max_days: int, expected_parts: int) -> list[Any]:
    expected_days = validate(signal, request, NOW).partition_days
    parts = split_by_partition(signal, request, max_days, now_unix_nano=NOW)
    assert len(parts) == expected_parts
    days_of_parts = [validate(signal, part, NOW).partition_days for part in parts]
    assert all(1 <= len(days) <= max_days for days in days_of_parts)
    assert sum(len(days) for days in days_of_parts) == len(expected_days)
    assert frozenset().union(*days_of_parts) == expected_days
    assert sum((_items(signal, part) for part in parts), Counter()) == _items(signal, request)
    return parts


def test_split_traces_keeps_every_span_once() -> None:
    request = ExportTraceServiceRequest()
    index = 0
    for service in ("a", "b"):
        resource_spans = request.resource_spans.add(schema_url="https://schema")
        resource_spans.resource.attributes.add(key="service.name").value.string_value = service
        for scope_name in ("s1", "s2"):
            scope_spans = resource_spans.scope_spans.add()
            scope_spans.scope.name = scope_name
            for day in (6, 0, 3, 1, 5, 2, 4, 0, 6):
                scope_spans.spans.append(_span(index, start=T0 + day * DAY))
                index += 1
    parts = _check_split(Signal.TRACES, request, max_days=3, expected_parts=3)
    assert parts[0].resource_spans[0].schema_url == "https://schema"
    assert [rs.resource.attributes[0].value.string_value for rs in parts[2].resource_spans] == ["a", "b"]
    assert [ss.scope.name for ss in parts[1].resource_spans[1].scope_spans] == ["s1", "s2"]


def test_split_is_not_needed_within_max_days() -> None:
    request = _traces([_span(0), _span(1, start=T0 + DAY)])
    parts = split_by_partition(Signal.TRACES, request, 2, now_unix_nano=NOW)
    assert len(parts) == 1
    assert parts[0] is request


def test_split_logs_dates_untimed_records_now() -> None:
    request = _logs(
        LogRecord(time_unix_nano=T0, severity_text="a"),
        LogRecord(observed_time_unix_nano=T0 + DAY, severity_text="b"),
        LogRecord(severity_text="now"),
        LogRecord(time_unix_nano=NOW, severity_text="now too"),
    )
    parts = _check_split(Signal.LOGS, request, max_days=1, expected_parts=3)
    last = parts[-1].resource_logs[0].scope_logs[0].log_records
    assert [record.severity_text for record in last] == ["now", "now too"]


def test_split_metrics_copies_the_metric_for_each_part() -> None:
    total = Metric(name="requests", unit="1", description="served")
    total.sum.aggregation_temporality = 2
    total.sum.is_monotonic = True
    total.sum.data_points.extend(
        NumberDataPoint(time_unix_nano=T0 + day * DAY, as_int=day) for day in (0, 1, 2, 0)
    )
    gauge = _gauge("load", NumberDataPoint(time_unix_nano=T0 + 2 * DAY, as_double=0.5))
    parts = _check_split(Signal.METRICS, _metrics(total, gauge), max_days=2, expected_parts=2)
    first = parts[0].resource_metrics[0].scope_metrics[0].metrics
    assert [metric.name for metric in first] == ["requests"]
    assert (first[0].unit, first[0].description, first[0].sum.is_monotonic) == ("1", "served", True)
    assert [point.as_int for point in first[0].sum.data_points] == [0, 1, 0]
    second = parts[1].resource_metrics[0].scope_metrics[0].metrics
    assert [metric.name for metric in second] == ["requests", "load"]
    assert second[0].sum.aggregation_temporality == 2


def test_split_rejects_max_days_below_one() -> None:
    with pytest.raises(ValueError, match="max_days must be at least 1, got 0"):
        split_by_partition(Signal.TRACES, _traces([_span(0)]), 0, now_unix_nano=NOW)
