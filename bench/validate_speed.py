"""Micro-benchmark: spans/s through ``processors.otlp.validate`` for valid data.

Reads: nothing. Writes: one line to stdout. No config keys. Not a test; run it by hand:
``python -m bench.validate_speed [--spans N] [--repeat R]`` from the repository root.

Builds one ExportTraceServiceRequest of N spans with 13 attributes each (some with a link), parses
it from bytes before every run, as a receiver would, and times only ``validate``.
"""

from __future__ import annotations

import argparse
import time

from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

from processors.otlp.signals import Signal
from processors.otlp.validate import validate

_START = 1_700_000_000_000_000_000
_SPANS_PER_SCOPE = 1_000


def build_request(spans: int) -> bytes:
    request = ExportTraceServiceRequest()
    resource_spans = request.resource_spans.add()
    resource_spans.resource.attributes.add(key="service.name").value.string_value = "bench"
    scope_spans = None
    for index in range(spans):
        if index % _SPANS_PER_SCOPE == 0:
            scope_spans = resource_spans.scope_spans.add()
            scope_spans.scope.name = "bench"
        span = scope_spans.spans.add()
        span.trace_id = (index + 1).to_bytes(16, "big")
        span.span_id = (index + 1).to_bytes(8, "big")
        if index % 4:
            span.parent_span_id = index.to_bytes(8, "big")
        span.name = "predict"
        span.kind = 2
        span.start_time_unix_nano = _START + index * 1_000
        span.end_time_unix_nano = span.start_time_unix_nano + 5_000_000
        for attribute in range(13):
            span.attributes.add(key=f"attribute.{attribute}").value.string_value = f"value {index}"
        if index % 10 == 0:
            link = span.links.add()
            link.trace_id = span.trace_id
            link.span_id = span.span_id
    return request.SerializeToString()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--spans", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    body = build_request(args.spans)
    best = float("inf")
    for _ in range(args.repeat):
        request = ExportTraceServiceRequest.FromString(body)
        started = time.perf_counter()
        result = validate(Signal.TRACES, request, _START)
        best = min(best, time.perf_counter() - started)
        assert result.accepted == args.spans and not result.modified, result
    rate = args.spans / best
    print(f"validate: {rate:,.0f} spans/s ({args.spans} spans, 13 attributes, best of {args.repeat})")


if __name__ == "__main__":
    main()
