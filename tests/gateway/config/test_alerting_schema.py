"""Tests of gateway/config/alerting_schema.py through the YAML loader: defaults, binding, error paths."""

from __future__ import annotations

import textwrap
from datetime import timedelta

import pytest

from gateway.config import Config, ConfigError, load_config_text
from processors.alerting.inhibition import DEFAULT_INHIBIT_RULES


def _load(text: str) -> Config:
    return load_config_text(textwrap.dedent(text), source="inferwatch.yaml", environ={})


def _errors(text: str) -> str:
    with pytest.raises(ConfigError) as caught:
        _load(text)
    return "\n".join(caught.value.errors)


def test_defaults() -> None:
    config = Config().alerting
    assert config.enabled and config.rule_files == ()
    assert config.evaluation_interval == timedelta(minutes=1)
    assert config.evaluation_delay == timedelta(seconds=30)
    assert config.min_samples == 10
    assert tuple(item.rule() for item in config.inhibit_rules) == DEFAULT_INHIBIT_RULES


def test_full_section_binds() -> None:
    config = _load(
        """
        alerting:
          rule_files: [deploy/rules/, extra.yaml]
          evaluation_interval: 15s
          evaluation_delay: 2m
          min_samples: 50
          baselines: {fraud: {latency_p95: 120, error_rate: 0.01}}
          inhibit_rules:
            - {source_severities: [P0, P1], target_severities: [P3], equal: [model, version]}
        """
    ).alerting
    assert config.rule_files == ("deploy/rules/", "extra.yaml")
    assert config.evaluation_interval == timedelta(seconds=15) and config.evaluation_delay == timedelta(
        minutes=2
    )
    assert config.baselines == {"fraud": {"latency_p95": 120.0, "error_rate": 0.01}}
    (rule,) = config.inhibit_rules
    assert rule.rule().source_severities == frozenset({"P0", "P1"}) and rule.equal == ("model", "version")


def test_errors_name_their_yaml_path() -> None:
    errors = _errors(
        """
        alerting:
          evaluation_interval: 0s
          evaluation_delay: 5 minutes
          min_samples: -1
          baselines: {fraud: {latency_p59: 120}}
          inhibit_rules:
            - {source_severities: [P5], target_severities: []}
          rule_file: [x.yaml]
        """
    )
    assert "alerting.evaluation_interval: must be longer than 0" in errors
    assert 'alerting.evaluation_delay: invalid duration "5 minutes"' in errors
    assert "alerting.min_samples: must be >= 0, got -1" in errors
    assert "alerting.baselines.fraud.latency_p59: unknown signal" in errors
    assert "alerting.inhibit_rules[0].source_severities: must be among P0, P1, P2, P3, got P5" in errors
    assert "alerting.inhibit_rules[0].target_severities: must name at least one severity" in errors
    assert "alerting.rule_file: unknown key (did you mean 'rule_files'?)" in errors
