"""The three OTLP signals and what differs between them on the wire.

Reads: nothing. Writes: nothing. No config keys.

Each ``Signal`` member carries its ``Export*ServiceRequest``/``Export*ServiceResponse`` message
classes, the partial-success counter field, the OTLP/HTTP path and the gRPC full method name, so
receivers and codecs can stay signal-agnostic.
"""

from __future__ import annotations

from enum import Enum

from google.protobuf.message import Message
from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import (
    ExportLogsServiceRequest,
    ExportLogsServiceResponse,
)
from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import (
    ExportMetricsServiceRequest,
    ExportMetricsServiceResponse,
)
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)


class Signal(Enum):
    """An OTLP signal. ``value`` is the lowercase label used in config, logs and self-telemetry."""

    request_type: type[Message]
    response_type: type[Message]
    rejected_field: str
    http_path: str
    grpc_method: str

    TRACES = (
        "traces",
        ExportTraceServiceRequest,
        ExportTraceServiceResponse,
        "rejected_spans",
        "/v1/traces",
        "/opentelemetry.proto.collector.trace.v1.TraceService/Export",
    )
    METRICS = (
        "metrics",
        ExportMetricsServiceRequest,
        ExportMetricsServiceResponse,
        "rejected_data_points",
        "/v1/metrics",
        "/opentelemetry.proto.collector.metrics.v1.MetricsService/Export",
    )
    LOGS = (
        "logs",
        ExportLogsServiceRequest,
        ExportLogsServiceResponse,
        "rejected_log_records",
        "/v1/logs",
        "/opentelemetry.proto.collector.logs.v1.LogsService/Export",
    )

    def __new__(
        cls,
        label: str,
        request_type: type[Message],
        response_type: type[Message],
        rejected_field: str,
        http_path: str,
        grpc_method: str,
    ) -> Signal:
        member = object.__new__(cls)
        member._value_ = label
        member.request_type = request_type
        member.response_type = response_type
        member.rejected_field = rejected_field
        member.http_path = http_path
        member.grpc_method = grpc_method
        return member
