"""PerformanceConfig validation with YAML paths, threshold merging, and trigger files at start."""

from __future__ import annotations

import re
import textwrap
from pathlib import Path
from types import SimpleNamespace

import pytest

from gateway.config import Config, ConfigError, load_config_text
from gateway.performance import register_performance
from gateway.performance.windows_task import positive_class_for, thresholds_for
from processors.alerting.rules import load_rules
from processors.performance.metrics import BENCHMARKS
from processors.performance.triggers import TriggerLoadError

DEFAULT_TRIGGERS = Path(__file__).resolve().parents[3] / "deploy" / "triggers" / "default.yaml"


def _errors(text: str) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        load_config_text(textwrap.dedent(text), source="c.yaml", environ={})
    return caught.value.errors


def test_defaults_are_the_guides_table() -> None:
    thresholds = thresholds_for(Config().performance, "any-model")
    assert thresholds["accuracy"].baseline == 0.945 and thresholds["accuracy"].critical == 0.90
    assert thresholds["f1"].warning == 0.90 and set(thresholds) == {"accuracy", "precision", "recall", "f1"}


def test_model_thresholds_win_and_lower_is_better_is_known() -> None:
    config = load_config_text(
        textwrap.dedent(
            """\
            performance:
              models:
                price-model:
                  thresholds:
                    mae: {baseline: 5, warning: 8, critical: 12}
                    accuracy: {baseline: 0.8, warning: 0.7, critical: 0.6}
                fraud-detector:
                  positive_class: fraud
            """
        ),
        source="c.yaml",
        environ={},
    ).performance
    price = thresholds_for(config, "price-model")
    assert price["accuracy"].baseline == 0.8 and price["precision"].baseline == 0.912
    assert not price["mae"].higher_is_better and price["mae"].status(9) == "warning"
    assert positive_class_for(config, "fraud-detector") == "fraud"
    assert positive_class_for(config, "price-model") is None


def test_errors_name_the_yaml_path() -> None:
    errors = _errors(
        """\
        performance:
          interval: 0s
          windows:
            - {name: 1h, length: 7h}
            - {name: 1h, length: 1d}
          thresholds:
            accuracy: {baseline: 0.9, warning: 0.95, critical: 0.8}
            mea: {baseline: 1, warning: 2, critical: 3}
          concept_drift: {window: 15m, min_drop: 0}
          webhook: {url: "ftp://x", max_age: 0s}
        """
    )
    text = "\n".join(errors)
    for fragment in (
        "performance.interval: must be longer than 0",
        "performance.windows[0].length: must divide a day",
        "performance.windows: window names must be unique",
        "performance.thresholds.accuracy: needs critical <= warning <= baseline",
        "performance.thresholds.mea: unknown metric",
        'performance.concept_drift.window: "15m" is not one of the windows',
        "performance.concept_drift.min_drop: must be > 0",
        'performance.webhook.url: must be an http(s) URL, got "ftp://x"',
        "performance.webhook.max_age: must be positive",
    ):
        assert fragment in text, text


def test_sliding_windows_must_step_evenly_and_not_feed_drift_or_triggers() -> None:
    errors = _errors(
        """\
        performance:
          windows:
            - {name: 1h, length: 1h, step: 15m}
            - {name: 1d, length: 1d, step: 7h}
            - {name: 24h, length: 1d, step: 1h}
          trigger_files: [x.yaml]
        """
    )
    assert errors == [
        'c.yaml: performance.concept_drift.window: window "1h" slides (step); name a window without step',
        'c.yaml: performance.trigger_window: window "1d" slides (step); name a window without step',
        "c.yaml: line 4: performance.windows[1].step: must be 0 (= length) or divide both the length and "
        "a day (e.g. 1h)",
    ]


def test_a_bad_trigger_file_stops_the_start(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("- name: x\n  kind: performance\n  metric: accuracy\n  below: 0.9\n  for: 12h\n")
    config = load_config_text(f"performance:\n  trigger_files: [{bad}]\n", source="c.yaml", environ={})
    gateway = SimpleNamespace(config=config, tasks=[], notifiers=[], clock=None)
    with pytest.raises(TriggerLoadError, match=rf"{bad}:5:8: must be a whole number of days"):
        register_performance(gateway)
    assert gateway.tasks == []


def test_disabled_adds_no_task() -> None:
    config = load_config_text("performance:\n  enabled: false\n", source="c.yaml", environ={})
    gateway = SimpleNamespace(config=config, tasks=[])
    register_performance(gateway)
    assert gateway.tasks == []


def test_the_default_trigger_file_loads_in_the_gateway() -> None:
    from gateway.performance.retraining import load_trigger_files

    names = [trigger.name for trigger in load_trigger_files([str(DEFAULT_TRIGGERS)])]
    assert len(names) == 8 and "accuracy-below-92-for-3-days" in names


def test_the_benchmark_rule_pack_pages_at_the_guides_thresholds() -> None:
    """Latency P95 and error rate have no label window of their own: the guide's table reaches them as the
    alert rules of deploy/rules/benchmarks.yaml (P2 at warning, P1 at critical); the classification
    metrics also have rules there. Each rule's threshold is the table's (processors.performance.metrics)."""
    pack = DEFAULT_TRIGGERS.parents[1] / "rules" / "benchmarks.yaml"
    rules = [rule for group in load_rules(pack.read_text(encoding="utf-8")) for rule in group.rules]
    found = {}
    for rule in rules:
        signal, operator, value = re.fullmatch(r"(\w+) ([<>]) ([0-9.]+)", rule.expr).groups()
        found[(signal, rule.severity)] = (operator, float(value))
    for signal, key in (
        ("accuracy", "accuracy"),
        ("precision", "precision"),
        ("recall", "recall"),
        ("f1", "f1"),
        ("latency_p95", "latency_p95_ms"),
        ("error_rate", "error_rate"),
    ):
        threshold = BENCHMARKS[key]
        operator = ">" if key in ("latency_p95_ms", "error_rate") else "<"
        assert found[(signal, "P2")] == (operator, threshold.warning), signal
        assert found[(signal, "P1")] == (operator, threshold.critical), signal
    assert (BENCHMARKS["latency_p95_ms"].baseline, BENCHMARKS["error_rate"].baseline) == (85, 0.005)


def test_trigger_files_may_name_a_directory_like_the_rule_files() -> None:
    from gateway.performance.retraining import load_trigger_files

    by_directory = load_trigger_files([str(DEFAULT_TRIGGERS.parent)])
    assert by_directory == load_trigger_files([str(DEFAULT_TRIGGERS)])
