"""Labels over gRPC (inferwatch.v1.FeedbackService on the OTLP port) join the example service's requests."""

from __future__ import annotations

import grpc
import pytest

from gateway.feedback import FeedbackClient
from gateway.feedback.client import Label
from gateway.feedback.grpc_service import SUBMIT_LABELS_PATH
from tests.e2e.conftest import grpc_endpoint
from tests.e2e.test_feedback_join import MODEL, serve

JOINED = (
    "SELECT RequestId, PredictionClass, LabelClass, LabelValue FROM ml_labeled_predictions ORDER BY RequestId"
)


@pytest.fixture
def channel(gateway):
    with grpc.insecure_channel(grpc_endpoint(gateway)) as channel:
        yield channel


def test_labels_join_their_predictions_and_bad_items_are_rejected_one_by_one(gateways, gateway, channel):
    predicted = serve(gateway, ["r-0", "r-1", "r-2"])
    truth = {"r-0": "fraud", "r-1": "legit", "r-2": "fraud"}
    response = FeedbackClient(channel).submit(
        [
            *(Label(request_id=rid, model=MODEL, label_class=label) for rid, label in truth.items()),
            Label(model=MODEL, label_class="fraud"),  # no request id
            Label(request_id="r-4", model=MODEL),  # neither class nor value
            Label(request_id="r-5", label_value=1.0),  # no model
            Label(request_id="ghost", model=MODEL, label_class="fraud"),  # no such prediction
        ]
    )
    assert (response.accepted, response.rejected) == (4, 3)
    assert [(error.index, error.message) for error in response.errors] == [
        (3, "request_id: required"),
        (4, "label: one of label_class and label_value is required"),
        (5, "model: required"),
    ]
    # Acknowledged means stored: no flush or wait before reading.
    assert gateways.rows(JOINED) == [(rid, predicted[rid], truth[rid], None) for rid in ("r-0", "r-1", "r-2")]
    assert gateways.rows("SELECT RequestId, LabelSource FROM ml_unmatched_labels") == [("ghost", "grpc")]


def test_label_before_prediction_joins_when_it_arrives_and_duplicates_count_once(gateways, gateway, channel):
    client = FeedbackClient(channel)
    early = [
        Label(request_id="r-0", model=MODEL, label_value=1.0, event_time_unix_nano=1_760_000_000_000_000_000)
    ]
    for _ in range(3):
        assert client.submit(early).accepted == 1
    assert gateways.rows(JOINED) == []
    assert gateways.rows("SELECT count() FROM ml_unmatched_labels") == [(1,)]

    predicted = serve(gateway, ["r-0"])
    rows = gateways.rows(
        "SELECT RequestId, PredictionClass, LabelClass, LabelValue, toUnixTimestamp64Milli(LabelEventTime) "
        "FROM ml_labeled_predictions"
    )
    assert rows == [("r-0", predicted["r-0"], None, 1.0, 1_760_000_000_000)]
    assert gateways.rows("SELECT count() FROM ml_unmatched_labels") == [(0,)]


def test_a_later_correction_wins_also_within_one_batch(gateways, gateway, channel):
    predicted = serve(gateway, ["r-0", "r-1"])
    client = FeedbackClient(channel)
    client.submit([Label(request_id="r-0", model=MODEL, label_class="fraud")])
    client.submit([Label(request_id="r-0", model=MODEL, label_class="legit")])
    response = client.submit(
        [
            Label(request_id="r-1", model=MODEL, label_class="fraud"),
            Label(request_id="r-1", model=MODEL, label_class="legit"),
        ]
    )
    assert response.accepted == 2
    assert gateways.rows(JOINED) == [
        ("r-0", predicted["r-0"], "legit", None),
        ("r-1", predicted["r-1"], "legit", None),
    ]


def test_undecodable_request_is_invalid_argument(channel):
    raw = channel.unary_unary(SUBMIT_LABELS_PATH)
    with pytest.raises(grpc.RpcError) as caught:
        raw(b"\x0a\xff\x01", timeout=10)
    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "SubmitLabelsRequest" in caught.value.details()


def test_a_batch_over_the_limit_is_refused_as_a_whole(gateways):
    gateway = gateways.start("feedback.max_batch_labels=2")
    with grpc.insecure_channel(grpc_endpoint(gateway)) as channel:
        labels = [Label(request_id=f"r-{i}", model=MODEL, label_class="x") for i in range(3)]
        with pytest.raises(grpc.RpcError) as caught:
            FeedbackClient(channel).submit(labels)
    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "feedback.max_batch_labels" in caught.value.details()
    assert gateways.rows("SELECT count() FROM ml_labels") == [(0,)]


def test_health_reports_the_feedback_service(channel):
    from grpc_health.v1 import health_pb2, health_pb2_grpc

    check = health_pb2_grpc.HealthStub(channel).Check
    answer = check(health_pb2.HealthCheckRequest(service="inferwatch.v1.FeedbackService"), timeout=10)
    assert answer.status == health_pb2.HealthCheckResponse.SERVING


def test_labels_not_stored_are_not_acknowledged(gateways, gateway, channel):
    from google.rpc import error_details_pb2, status_pb2

    gateways.rows("DROP TABLE ml_labels")  # ClickHouse refuses the insert: a real storage failure
    with pytest.raises(grpc.RpcError) as caught:
        FeedbackClient(channel).submit([Label(request_id="r-0", model=MODEL, label_class="fraud")])
    assert caught.value.code() == grpc.StatusCode.UNAVAILABLE
    assert caught.value.details().startswith("labels not stored: ")
    (details,) = [
        value for key, value in caught.value.trailing_metadata() if key == "grpc-status-details-bin"
    ]
    info = error_details_pb2.RetryInfo()
    assert status_pb2.Status.FromString(details).details[0].Unpack(info)
    assert info.retry_delay.seconds > 0
