"""Tests of gateway/config/quality_schema.py through the loader: defaults, errors with YAML paths."""

from __future__ import annotations

from datetime import timedelta

import pytest

from gateway.config import Config, ConfigError, load_config


def test_defaults_are_the_guides_targets():
    quality = Config().quality
    assert (quality.enabled, quality.rule_files, quality.interval, quality.window) == (
        True,
        (),
        timedelta(minutes=5),
        timedelta(hours=1),
    )
    targets = quality.targets
    assert (targets.completeness, targets.accuracy, targets.consistency, targets.validity) == (
        0.99,
        0.95,
        0.98,
        0.99,
    )
    assert targets.timeliness == timedelta(hours=1)
    assert quality.critical.completeness == 0.95 and quality.critical.timeliness == timedelta(hours=2)


def test_yaml_section_binds(tmp_path):
    path = tmp_path / "c.yaml"
    path.write_text(
        "quality:\n  rule_files: [deploy/quality]\n  window: 30m\n  sample_values: all\n"
        "  critical:\n    validity: 0.9\n"
    )
    quality = load_config(str(path)).quality
    assert quality.rule_files == ("deploy/quality",) and quality.window == timedelta(minutes=30)
    assert quality.sample_values == "all"
    assert quality.critical.validity == 0.9 and quality.critical.completeness == 0.95


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ("quality.interval=0s", "quality.interval=0s: must be longer than 0"),
        ("quality.sample_values=some", 'quality.sample_values=some: must be one of pii, all, got "some"'),
        ("quality.targets.validity=1.5", "quality.targets.validity=1.5: must be in [0, 1], got 1.5"),
        ("quality.critical.accuracy=0.99", "must not be above targets.accuracy (0.95), got 0.99"),
        ("quality.critical.timeliness=30m", "must not be shorter than targets.timeliness"),
        ("quality.samples_per_rule=-1", "must be 0 or more"),
        ("quality.max_records=0", "must be greater than 0"),
        ("quality.targets.typo=1", "typo"),
    ],
)
def test_errors_name_the_key(override, message):
    with pytest.raises(ConfigError) as caught:
        load_config(None, [override])
    assert message in str(caught.value)


def test_errors_in_a_file_name_the_yaml_path(tmp_path):
    path = tmp_path / "c.yaml"
    path.write_text("quality:\n  targets:\n    completeness: 2\n")
    with pytest.raises(ConfigError) as caught:
        load_config(str(path))
    assert "quality.targets.completeness" in str(caught.value) and "must be in [0, 1]" in str(caught.value)
