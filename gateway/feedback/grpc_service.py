"""``inferwatch.v1.FeedbackService`` on the gateway's gRPC port: an adapter over ``FeedbackService``.

Reads: ``SubmitLabels`` requests. Writes: through ``FeedbackService.submit`` (synchronous insert,
then the answer). Config keys: none.

The request arrives as bytes and is decoded here, so an undecodable request is INVALID_ARGUMENT (a
generated deserializer would make it INTERNAL); statuses come from the receivers' one mapping.
"""

from __future__ import annotations

import grpc
from google.protobuf.message import DecodeError

from gateway.feedback.pb import feedback_pb2
from gateway.feedback.service import FeedbackService
from gateway.receivers.grpc_server import abort
from processors.otlp.errors import PayloadError

_SERVICE = feedback_pb2.DESCRIPTOR.services_by_name["FeedbackService"]
SERVICE_NAME = _SERVICE.full_name
SUBMIT_LABELS_PATH = f"/{SERVICE_NAME}/{_SERVICE.methods_by_name['SubmitLabels'].name}"


def label_item(label: feedback_pb2.Label) -> dict[str, object]:
    """The mapping ``processors.feedback.labels.validate_label`` reads; oneof presence kept."""
    which = label.WhichOneof("label")
    return {
        "request_id": label.request_id,
        "model": label.model,
        "label_class": label.label_class if which == "label_class" else None,
        "label_value": label.label_value if which == "label_value" else None,
        "event_time_unix_nano": label.event_time_unix_nano,
    }


def feedback_handler(service: FeedbackService) -> grpc.ServiceRpcHandler:
    def submit_labels(raw: bytes, context: grpc.ServicerContext) -> bytes:
        try:
            try:
                request = feedback_pb2.SubmitLabelsRequest.FromString(raw)
            except DecodeError as error:
                raise PayloadError(f"not an inferwatch.v1.SubmitLabelsRequest: {error}") from None
            result = service.submit([label_item(label) for label in request.labels], "grpc")
        except Exception as error:  # boundary: mapped to a status in one place
            abort(context, error, "FeedbackService.SubmitLabels")
        response = feedback_pb2.SubmitLabelsResponse(accepted=result.accepted, rejected=result.rejected)
        for item in result.errors:
            response.errors.add(index=item.index, message=item.message)
        return response.SerializeToString()

    return grpc.method_handlers_generic_handler(
        SERVICE_NAME,
        {"SubmitLabels": grpc.unary_unary_rpc_method_handler(submit_labels)},
    )
