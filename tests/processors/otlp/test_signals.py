from __future__ import annotations

import pytest

from processors.otlp.signals import Signal


@pytest.mark.parametrize(
    ("signal", "label", "path", "rejected_field"),
    [
        (Signal.TRACES, "traces", "/v1/traces", "rejected_spans"),
        (Signal.METRICS, "metrics", "/v1/metrics", "rejected_data_points"),
        (Signal.LOGS, "logs", "/v1/logs", "rejected_log_records"),
    ],
)
def test_signal_description(signal: Signal, label: str, path: str, rejected_field: str) -> None:
    assert Signal(label) is signal
    assert signal.http_path == path
    assert signal.rejected_field == rejected_field
    partial_success = signal.response_type.DESCRIPTOR.fields_by_name["partial_success"].message_type
    assert rejected_field in partial_success.fields_by_name


@pytest.mark.parametrize("signal", list(Signal))
def test_grpc_method_matches_the_service_descriptor(signal: Signal) -> None:
    (service,) = signal.request_type.DESCRIPTOR.file.services_by_name.values()
    method = service.methods_by_name["Export"]
    assert signal.grpc_method == f"/{service.full_name}/{method.name}"
    assert method.input_type is signal.request_type.DESCRIPTOR
    assert method.output_type is signal.response_type.DESCRIPTOR
