"""A client of ``inferwatch.v1.FeedbackService`` for Python code that sends labels over gRPC.

Reads: nothing. Writes: ``SubmitLabels`` calls on a ``grpc.Channel``. Example::

    channel = grpc.insecure_channel("localhost:4317")
    response = FeedbackClient(channel).submit([Label(request_id="r-1", model="fraud", label_class="fraud")])

The method path comes from the generated descriptor, so it cannot drift from the .proto.
"""

from __future__ import annotations

from collections.abc import Iterable

import grpc

from gateway.feedback.grpc_service import SUBMIT_LABELS_PATH
from gateway.feedback.pb.feedback_pb2 import Label, SubmitLabelsRequest, SubmitLabelsResponse

__all__ = ["FeedbackClient", "Label", "SubmitLabelsRequest", "SubmitLabelsResponse"]


class FeedbackClient:
    def __init__(self, channel: grpc.Channel) -> None:
        self._submit = channel.unary_unary(
            SUBMIT_LABELS_PATH,
            request_serializer=SubmitLabelsRequest.SerializeToString,
            response_deserializer=SubmitLabelsResponse.FromString,
        )

    def submit(self, labels: Iterable[Label], timeout: float | None = 30.0) -> SubmitLabelsResponse:
        """Send one batch; raises ``grpc.RpcError`` on INVALID_ARGUMENT, UNAVAILABLE, ..."""
        return self._submit(SubmitLabelsRequest(labels=list(labels)), timeout=timeout)
