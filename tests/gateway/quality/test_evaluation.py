"""Tests of gateway/quality without ClickHouse: window alignment, rule files, targets, registration."""

from __future__ import annotations

from datetime import timedelta
from types import SimpleNamespace

import pytest

from gateway.clock import FakeClock
from gateway.config import load_config
from gateway.quality import QualityRulesError, register_quality
from gateway.quality.evaluation import aligned_window, load_rule_files, rule_file_paths, targets_of

GOOD = "model: {model}\nfields:\n  x: {{type: numeric}}\n"
S = 10**9


def test_windows_end_on_interval_boundaries_so_replicas_agree():
    minute = timedelta(minutes=1)
    assert aligned_window(125 * S + 7, minute, timedelta(hours=1)) == (120 * S - 3600 * S, 120 * S)
    assert aligned_window(120 * S, minute, minute) == (60 * S, 120 * S)
    # two replicas a few seconds apart in the same interval evaluate the same window
    assert aligned_window(601 * S, timedelta(minutes=5), minute) == aligned_window(
        899 * S, timedelta(minutes=5), minute
    )


def test_rule_files_and_directories(tmp_path):
    (tmp_path / "a.yaml").write_text(GOOD.format(model="a"))
    (tmp_path / "b.yml").write_text(GOOD.format(model="b"))
    (tmp_path / "notes.txt").write_text("not a rule file")
    single = tmp_path / "single"
    single.mkdir()
    (single / "c.yaml").write_text(GOOD.format(model="c"))
    assert [p.name for p in rule_file_paths([str(tmp_path), str(single / "c.yaml")])] == [
        "a.yaml",
        "b.yml",
        "c.yaml",
    ]
    assert [rules.model for rules in load_rule_files([str(tmp_path), str(single)])] == ["a", "b", "c"]


def test_every_problem_of_the_rule_files_is_reported_at_once(tmp_path):
    (tmp_path / "a.yaml").write_text(GOOD.format(model="a"))
    (tmp_path / "b.yaml").write_text(GOOD.format(model="a"))
    (tmp_path / "c.yaml").write_text("model: c\nfields:\n  x: {type: decimal}\n")
    with pytest.raises(QualityRulesError) as caught:
        load_rule_files([str(tmp_path), str(tmp_path / "missing.yaml")])
    message = str(caught.value)
    assert f'{tmp_path / "b.yaml"}: model "a" already has rules in {tmp_path / "a.yaml"}' in message
    assert f'{tmp_path / "c.yaml"}:3:13: fields.x.type: "decimal" is not one of' in message
    assert (
        f"quality.rule_files: cannot read {tmp_path / 'missing.yaml'}: No such file or directory" in message
    )


def test_targets_come_from_the_config():
    config = load_config(None, ["quality.targets.validity=0.97", "quality.critical.timeliness=3h"])
    targets = {target.metric: target for target in targets_of(config)}
    assert (targets["validity"].target, targets["validity"].critical) == (0.97, 0.95)
    assert (targets["timeliness"].target, targets["timeliness"].critical) == (3600.0, 10800.0)
    assert not targets["timeliness"].higher_is_better and targets["completeness"].higher_is_better


def _gateway(tmp_path, *overrides):
    return SimpleNamespace(
        config=load_config(None, [f"data_dir={tmp_path}", *overrides]),
        tasks=[],
        clock=FakeClock(),
        open_client=lambda: object(),
    )


def test_register_adds_the_quality_task_at_the_configured_interval(tmp_path):
    (tmp_path / "m.yaml").write_text(GOOD.format(model="m"))
    gateway = _gateway(tmp_path, f"quality.rule_files=[{tmp_path / 'm.yaml'}]", "quality.interval=2m")
    evaluator = register_quality(gateway)
    assert [task.name for task in gateway.tasks] == ["quality"] and gateway.tasks[0].interval == 120
    assert [rules.model for rules in evaluator.rules] == ["m"]


def test_no_task_without_rule_files_or_when_disabled(tmp_path):
    (tmp_path / "m.yaml").write_text(GOOD.format(model="m"))
    for overrides in ([], ["quality.enabled=false", f"quality.rule_files=[{tmp_path / 'm.yaml'}]"]):
        gateway = _gateway(tmp_path, *overrides)
        assert register_quality(gateway) is None and gateway.tasks == []


def test_a_bad_rule_file_stops_the_start(tmp_path):
    (tmp_path / "m.yaml").write_text("model: m\nchecks:\n  - {name: c, expr: 'a ='}\n")
    with pytest.raises(QualityRulesError, match=r"m.yaml:3:24: check \"c\""):
        register_quality(_gateway(tmp_path, f"quality.rule_files=[{tmp_path / 'm.yaml'}]"))
