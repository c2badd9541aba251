"""OTLP/gRPC receiver: TraceService, MetricsService and LogsService ``Export``, plus grpc.health.v1
and the project's own services that subsystems add (``Gateway.grpc_services``, e.g. FeedbackService).

Reads: gRPC requests on ``receivers.grpc.endpoint`` (default localhost:4317). Writes: through
``ExportService``. Config keys: ``receivers.grpc.*``, ``receivers.max_request_size``.

Requests arrive as bytes (no generated deserializer) so a valid request is spooled exactly as
received. gzip is handled by gRPC core; ``max_receive_message_length`` applies to the
decompressed message and answers RESOURCE_EXHAUSTED by itself.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from concurrent import futures

import grpc
from google.protobuf.message import Message
from google.rpc import error_details_pb2, status_pb2
from grpc_health.v1 import health, health_pb2, health_pb2_grpc

from gateway.receivers.errors import status_for
from gateway.receivers.export import ExportService
from processors.otlp.json_codec import decode_protobuf
from processors.otlp.signals import Signal

log = logging.getLogger(__name__)

_OTLP_SERVICES = {
    Signal.TRACES: "opentelemetry.proto.collector.trace.v1.TraceService",
    Signal.METRICS: "opentelemetry.proto.collector.metrics.v1.MetricsService",
    Signal.LOGS: "opentelemetry.proto.collector.logs.v1.LogsService",
}


def _status_details(code: grpc.StatusCode, message: str, retry_after: float | None) -> bytes:
    status = status_pb2.Status(code=code.value[0], message=message)
    if retry_after is not None:
        info = error_details_pb2.RetryInfo()
        info.retry_delay.FromNanoseconds(int(retry_after * 1e9))
        status.details.add().Pack(info)
    return status.SerializeToString()


def abort(context: grpc.ServicerContext, error: BaseException, what: str) -> None:
    """End the call with the status ``error`` maps to (with RetryInfo when retryable); never returns."""
    status = status_for(error)
    if status.grpc_code == grpc.StatusCode.INTERNAL:
        log.exception("%s failed", what)
    context.set_trailing_metadata(
        (
            (
                "grpc-status-details-bin",
                _status_details(status.grpc_code, status.message, status.retry_after_seconds),
            ),
        )
    )
    context.abort(status.grpc_code, status.message)


class GrpcReceiver:
    def __init__(
        self,
        endpoint: str,
        export: ExportService,
        *,
        max_request_size: int,
        max_workers: int = 16,
        services: Sequence[grpc.ServiceRpcHandler] = (),
    ) -> None:
        self._export = export
        self._server = grpc.server(
            futures.ThreadPoolExecutor(max_workers=max_workers, thread_name_prefix="otlp-grpc"),
            options=[
                ("grpc.max_receive_message_length", max_request_size),
                ("grpc.max_send_message_length", 16 << 20),
            ],
            maximum_concurrent_rpcs=max_workers * 8,
        )
        handlers = {
            signal: grpc.method_handlers_generic_handler(
                service,
                {
                    "Export": grpc.unary_unary_rpc_method_handler(
                        self._handler(signal),
                        request_deserializer=None,
                        response_serializer=_serialize,
                    )
                },
            )
            for signal, service in _OTLP_SERVICES.items()
        }
        self._server.add_generic_rpc_handlers((*handlers.values(), *services))
        self._health_names = [*_OTLP_SERVICES.values(), *(service.service_name() for service in services), ""]
        self.health = health.HealthServicer()
        health_pb2_grpc.add_HealthServicer_to_server(self.health, self._server)
        try:
            self.port = self._server.add_insecure_port(endpoint)
        except RuntimeError:  # grpcio raises "Failed to bind" where older releases returned 0
            self.port = 0
        if self.port == 0:
            raise OSError(
                f"cannot listen on {endpoint} for OTLP/gRPC (receivers.grpc.endpoint): the port is in use "
                "(another OTLP receiver, e.g. an OpenTelemetry Collector?) or the host is not local"
            )
        self.endpoint = endpoint

    def _handler(self, signal: Signal):
        export = self._export

        def handle(raw: bytes, context: grpc.ServicerContext) -> Message:
            try:
                request = decode_protobuf(signal, raw)
                return export.export(signal, request, raw)
            except Exception as error:  # boundary: mapped to a status in one place
                abort(context, error, f"OTLP/gRPC {signal.value} export")

        return handle

    def start(self) -> None:
        self._server.start()
        for service in self._health_names:
            self.health.set(service, health_pb2.HealthCheckResponse.SERVING)

    def set_serving(self, serving: bool) -> None:
        state = (
            health_pb2.HealthCheckResponse.SERVING if serving else health_pb2.HealthCheckResponse.NOT_SERVING
        )
        for service in self._health_names:
            self.health.set(service, state)

    def stop(self, grace: float) -> None:
        """Stop accepting, let running exports finish for up to ``grace`` seconds."""
        self.set_serving(False)
        self._server.stop(grace).wait(grace + 1)


def _serialize(message: Message) -> bytes:
    return message.SerializeToString()
