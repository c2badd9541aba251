"""Tests of gateway/alerting/context.py with a scripted client: the shared time budget, failed
sections left out. (Against real ClickHouse: tests/e2e/test_opsgenie_delivery.py.)"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from gateway.alerting.context import ContextSource
from gateway.clock import FakeClock
from processors.alerting.opsgenie import Deployment, ErrorClass
from tests.support.alert_events import alert_event


class Result:
    def __init__(self, rows: list[dict[str, Any]]) -> None:
        self.rows = rows
        self.result_rows = [tuple(row.values()) for row in rows]

    def named_results(self) -> list[dict[str, Any]]:
        return self.rows


class SlowClient:
    """Each query takes ``seconds`` of the fake clock; answers by the table it reads."""

    def __init__(self, clock: FakeClock, seconds: float, fail_on: str = "") -> None:
        self.clock = clock
        self.seconds = seconds
        self.fail_on = fail_on
        self.budgets: list[int] = []

    def query(self, sql: str, parameters: dict[str, Any], settings: dict[str, Any]) -> Result:
        self.budgets.append(settings["max_execution_time"])
        self.clock.advance(self.seconds)
        if self.fail_on and self.fail_on in sql:
            raise RuntimeError(f"Code: 159. Timeout exceeded reading {self.fail_on}")
        if "ml_deployments" in sql:
            return Result([{"version": "2.2.0", "deployed_at_ns": int(1_779_999_000 * 1e9)}])
        if "ml_request_breakdown" in sql:
            return Result(
                [{"error_class": "server_503", "count": 12}, {"error_class": "timeout", "count": 3}]
            )
        return Result([])


def test_sections_share_one_budget_and_a_late_one_is_skipped() -> None:
    clock = FakeClock()
    client = SlowClient(clock, seconds=3.0)
    source = ContextSource(lambda: client, timedelta(seconds=5), clock)
    context = source.gather(alert_event())
    assert client.budgets == [5, 2]  # the second query may use what the first left
    assert context.deployments == (Deployment("2.2.0", 1_779_999_000.0),)
    assert context.error_classes == (ErrorClass("server_503", 12), ErrorClass("timeout", 3))
    assert context.related_signals == () and context.failed_sections == ("related signals",)
    assert source.failures == 1


def test_a_failing_query_drops_only_its_section() -> None:
    clock = FakeClock()
    client = SlowClient(clock, seconds=0.1, fail_on="ml_request_breakdown")
    source = ContextSource(lambda: client, timedelta(seconds=5), clock)
    context = source.gather(alert_event())
    assert (
        context.deployments and context.error_classes == () and context.failed_sections == ("error classes",)
    )
    assert len(client.budgets) == 4  # deployments, error classes, ml_drift, ml_quality


def test_no_model_label_means_no_queries() -> None:
    clock = FakeClock()
    client = SlowClient(clock, seconds=1.0)
    context = ContextSource(lambda: client, timedelta(seconds=5), clock).gather(
        alert_event(labels={"pod": "x"})
    )
    assert client.budgets == [] and context.failed_sections == ()


def test_error_classes_counted_by_the_evaluator_need_no_query() -> None:
    clock = FakeClock()
    client = SlowClient(clock, seconds=0.1, fail_on="ml_request_breakdown")  # would fail if asked
    classes = (*((f"server_{500 + i}", 10 - i) for i in range(7)), ("", 1))
    context = ContextSource(lambda: client, timedelta(seconds=5), clock).gather(
        alert_event(error_classes=classes)
    )
    assert context.failed_sections == () and len(client.budgets) == 3  # deployments, ml_drift, ml_quality
    assert context.error_classes == tuple(ErrorClass(name, count) for name, count in classes[:5])
    no_failures = ContextSource(lambda: client, timedelta(seconds=5), clock).gather(
        alert_event(error_classes=(("", 4),))
    )
    assert no_failures.error_classes == (ErrorClass("unknown", 4),)


def test_pages_of_one_model_at_one_time_share_deployments_and_related_signals() -> None:
    clock = FakeClock()
    client = SlowClient(clock, seconds=0.1)
    source = ContextSource(lambda: client, timedelta(seconds=5), clock)
    first = source.gather(alert_event(error_classes=()))
    assert len(client.budgets) == 3  # deployments, ml_drift, ml_quality
    other_rule = source.gather(alert_event(rule="LatencyHigh", labels={"model": "fraud-detector"}))
    assert len(client.budgets) == 4  # only the error classes, which depend on the rule's window
    assert other_rule.deployments == first.deployments and other_rule.related_signals == first.related_signals
    source.gather(alert_event("firing", 1_780_000_060.0, error_classes=()))  # next cycle: gathered again
    assert len(client.budgets) == 7


def test_a_failed_section_is_not_shared() -> None:
    clock = FakeClock()
    client = SlowClient(clock, seconds=0.1, fail_on="ml_deployments")
    source = ContextSource(lambda: client, timedelta(seconds=5), clock)
    assert source.gather(alert_event(error_classes=())).failed_sections == ("deployments",)
    client.fail_on = ""
    again = source.gather(alert_event(error_classes=()))
    assert again.failed_sections == () and again.deployments  # asked again, not remembered as empty
