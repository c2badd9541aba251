"""Micro-benchmark: requests/s and spans/s through ``processors.ml.pii.PiiProtector.process``.

Reads: nothing. Writes: a few lines to stdout. No config keys. Not a test; run it by hand:
``python -m bench.pii_speed [--spans N] [--repeat R]`` from the repository root.

Builds ExportTraceServiceRequests of N spans with 13 attributes each (the mixed types of
``bench/ingest.py``) and a protector configured like a typical deployment (one hashed key, one
dropped key, e-mail and phone redaction). Each request is parsed from bytes before every run, as
a receiver would, and only ``process`` is timed. Cases:

- ``clean, raw given``: no PII; the receiver's bytes are passed, so only the pre-check runs.
- ``clean, raw=None``: no PII; ``process`` serializes the request for the pre-check itself.
- ``clean, UUIDs and dates``: no PII, but every span's request id is a UUID and it has an ISO
  timestamp string: digit groups with dashes that the phone pre-check must look at and reject.
- ``one PII span``: a single span carries an e-mail: the pre-check fires, every attribute is walked.
- ``PII in every span``: each span has a hashed key, a dropped key, an e-mail and a phone number.
- ``parse only``: ``FromString`` of the clean request, for scale.
"""

from __future__ import annotations

import argparse
import random
import time
import uuid
from collections.abc import Callable
from typing import Any

from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

from processors.ml.pii import PiiProtector
from processors.otlp.signals import Signal

_START = 1_700_000_000_000_000_000
_ATTRIBUTES: tuple[tuple[str, Any], ...] = (
    ("ml.request.id", "req-{i:06d}"),
    ("ml.input.tokens", 512),
    ("ml.output.tokens", 64),
    ("ml.latency.ms", 12.5),
    ("ml.prediction.score", 0.973),
    ("ml.prediction.label", "cat"),
    ("ml.cache.hit", False),
    ("ml.batch.size", 8),
    ("ml.feature.country", "DE"),
    ("ml.feature.age", 41.0),
    ("ml.is_shadow", True),
    ("http.route", "/v1/models/resnet50:predict"),
    ("http.status_code", 200),
)
_PII = (("user.id", "u-{i:06d}"), ("user.ssn", "078-05-1120"), ("contact", "mail jane.doe@example.com"))


def build_request(spans: int, pii_spans: int, uuids: bool = False) -> bytes:
    """``spans`` spans of 13 attributes; the first ``pii_spans`` of them also carry PII.

    With ``uuids``, the request id is a UUID and the label an ISO timestamp (same count).
    """
    ids = random.Random(spans)
    request = ExportTraceServiceRequest()
    resource_spans = request.resource_spans.add()
    for key, text in (
        ("service.name", "bench"),
        ("ml.model.name", "resnet50"),
        ("ml.model.version", "3.1.0"),
    ):
        resource_spans.resource.attributes.add(key=key).value.string_value = text
    scope_spans = resource_spans.scope_spans.add()
    scope_spans.scope.name = "bench"
    for index in range(spans):
        span = scope_spans.spans.add()
        span.trace_id = (index + 1).to_bytes(16, "big")
        span.span_id = (index + 1).to_bytes(8, "big")
        span.name = "predict"
        span.kind = 2
        span.start_time_unix_nano = _START + index * 1_000
        span.end_time_unix_nano = span.start_time_unix_nano + 5_000_000
        extra = _PII if index < pii_spans else ()
        for key, python in (*_ATTRIBUTES, *extra):
            value = span.attributes.add(key=key).value
            if isinstance(python, bool):
                value.bool_value = python
            elif isinstance(python, int):
                value.int_value = python + index
            elif isinstance(python, float):
                value.double_value = python + index / 1000
            elif uuids and key == "ml.request.id":
                value.string_value = str(uuid.UUID(int=ids.getrandbits(128), version=4))
            elif uuids and key == "ml.prediction.label":
                value.string_value = f"2024-01-15T10:30:{index % 60:02d}.{index:06d}Z"
            else:
                value.string_value = python.format(i=index)
        if index < pii_spans:
            span.status.message = "could not reach +1 (415) 555-0132"
    return request.SerializeToString()


def best_seconds(
    body: bytes, run: Callable[[ExportTraceServiceRequest, bytes], object], repeat: int
) -> float:
    best = float("inf")
    for _ in range(repeat):
        request = ExportTraceServiceRequest.FromString(body)
        started = time.perf_counter()
        run(request, body)
        best = min(best, time.perf_counter() - started)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--spans", type=int, default=500)
    parser.add_argument("--repeat", type=int, default=200)
    args = parser.parse_args()
    pii = PiiProtector(hash_keys=["user.id"], drop_keys=["user.ssn"], salt="bench-salt")
    clean = build_request(args.spans, 0)
    clean_uuids = build_request(args.spans, 0, uuids=True)
    one = build_request(args.spans, 1)
    every = build_request(args.spans, args.spans)

    def with_raw(request: ExportTraceServiceRequest, body: bytes) -> bool:
        return pii.process(Signal.TRACES, request, body)

    def without_raw(request: ExportTraceServiceRequest, body: bytes) -> bool:
        return pii.process(Signal.TRACES, request, None)

    def parse(request: ExportTraceServiceRequest, body: bytes) -> object:
        return ExportTraceServiceRequest.FromString(body)

    for request_body, changed in ((clean, False), (clean_uuids, False), (one, True), (every, True)):
        assert with_raw(ExportTraceServiceRequest.FromString(request_body), request_body) is changed
        assert (pii._plan(request_body) is None) is not changed, "the pre-check lets a clean request pass"
    cases = (
        ("clean, raw given (pre-check only)", clean, with_raw),
        ("clean, raw=None (serialize + pre-check)", clean, without_raw),
        ("clean, UUIDs and dates (pre-check only)", clean_uuids, with_raw),
        ("one PII span (pre-check + full walk)", one, with_raw),
        ("PII in every span (walk + rewrite)", every, with_raw),
        ("parse only (FromString), for scale", clean, parse),
    )
    print(
        f"{args.spans} spans x 13 attributes, {len(clean):,} bytes per clean request, best of {args.repeat}"
    )
    for name, body, run in cases:
        seconds = best_seconds(body, run, args.repeat)
        print(
            f"  {name:42s} {seconds * 1e6:9.1f} µs/request  {1 / seconds:10,.0f} requests/s"
            f"  {args.spans / seconds:14,.0f} spans/s"
        )


if __name__ == "__main__":
    main()
