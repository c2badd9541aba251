"""``load_triggers``: the text of one trigger file in, frozen ``Trigger``s out, or every error at once.

Reads: the YAML text (the caller reads the file). Writes: nothing. Layout: ``triggers: [...]`` or a
top-level list; keys per trigger: name, kind, metric, below, above, below_baseline_by, for,
min_features, features, every, new_labels, models, description. Every error is ``FILE:LINE:COLUMN: message``.
"""

from __future__ import annotations

import difflib
from datetime import timedelta
from typing import Any

import yaml

from processors.alerting.rules.positions import parse_duration
from processors.performance.triggers.model import (
    DRIFT_SIGNALS,
    KINDS,
    PER_FEATURE_DRIFT_SIGNALS,
    PERFORMANCE_METRICS,
    PERIODS,
    Trigger,
    TriggerError,
    TriggerLoadError,
)

TRIGGER_KEYS = (
    "name",
    "kind",
    "metric",
    "below",
    "above",
    "below_baseline_by",
    "for",
    "min_features",
    "features",
    "every",
    "new_labels",
    "models",
    "description",
)
# Keys each kind allows beyond name, kind, models and description.
KIND_KEYS = {
    "performance": ("metric", "below", "above", "below_baseline_by", "for"),
    "drift": ("metric", "below", "above", "for", "min_features", "features"),
    "time": ("every",),
    "data": ("new_labels",),
}
_NULL = "tag:yaml.org,2002:null"


def load_triggers(text: str, filename: str = "<triggers>") -> tuple[Trigger, ...]:
    """The triggers of one file; raises ``TriggerLoadError`` with every error found."""
    return _Loader(text, filename).load()


class _Loader:
    def __init__(self, text: str, filename: str) -> None:
        self.filename = filename
        self.text = text
        self.errors: list[TriggerError] = []

    def error(self, node: yaml.Node, message: str) -> None:
        self.errors.append(
            TriggerError(self.filename, node.start_mark.line + 1, node.start_mark.column + 1, message)
        )

    def load(self) -> tuple[Trigger, ...]:
        try:
            root = yaml.compose(self.text, Loader=yaml.SafeLoader)
        except yaml.MarkedYAMLError as problem:
            mark = problem.problem_mark or problem.context_mark
            line, column = (mark.line + 1, mark.column + 1) if mark else (1, 1)
            raise TriggerLoadError(
                [
                    TriggerError(
                        self.filename, line, column, f"invalid YAML: {problem.problem or problem.context}"
                    )
                ]
            ) from None
        triggers = self.file(root)
        names: dict[str, Trigger] = {}
        for trigger in triggers:
            if trigger.name in names:
                line = int(trigger.source.rsplit(":", 1)[1])
                self.errors.append(
                    TriggerError(
                        self.filename,
                        line,
                        1,
                        f'duplicate trigger name "{trigger.name}" (first at {names[trigger.name].source})',
                    )
                )
            names.setdefault(trigger.name, trigger)
        if self.errors:
            raise TriggerLoadError(sorted(self.errors, key=lambda e: (e.line, e.column)))
        return triggers

    def file(self, root: yaml.Node | None) -> tuple[Trigger, ...]:
        if root is None or (isinstance(root, yaml.ScalarNode) and root.tag == _NULL):
            return ()
        if isinstance(root, yaml.MappingNode):
            entries = self.mapping(root, ("triggers",))
            if "triggers" not in entries:
                self.error(root, 'missing key "triggers"')
                return ()
            root = entries["triggers"][1]
        if not isinstance(root, yaml.SequenceNode):
            self.error(root, "a trigger file is a list of triggers (- name: …) or a mapping with triggers:")
            return ()
        triggers = []
        for item in root.value:
            trigger = self.trigger(item)
            if trigger is not None:
                triggers.append(trigger)
        return tuple(triggers)

    def mapping(
        self, node: yaml.MappingNode, allowed: tuple[str, ...]
    ) -> dict[str, tuple[yaml.Node, yaml.Node]]:
        entries: dict[str, tuple[yaml.Node, yaml.Node]] = {}
        for key, value in node.value:
            name = key.value if isinstance(key, yaml.ScalarNode) else ""
            if name not in allowed:
                close = difflib.get_close_matches(name, allowed, n=1)
                hint = f"did you mean '{close[0]}'?" if close else f"valid keys: {', '.join(allowed)}"
                self.error(key, f'unknown key "{name}" ({hint})')
            elif name in entries:
                self.error(key, f'duplicate key "{name}"')
            else:
                entries[name] = (key, value)
        return entries

    def trigger(self, node: yaml.Node) -> Trigger | None:
        if not isinstance(node, yaml.MappingNode):
            self.error(node, "a trigger is a mapping (name: …, kind: …)")
            return None
        before = len(self.errors)
        entries = self.mapping(node, TRIGGER_KEYS)
        missing = [key for key in ("name", "kind") if key not in entries]
        for required in missing:
            self.error(node, f'missing key "{required}"')
        if missing:
            return None
        name = self.string(entries["name"][1])
        kind = self.string(entries["kind"][1])
        if kind not in KINDS:
            self.error(entries["kind"][1], f'unknown kind "{kind}": use one of {", ".join(KINDS)}')
            return None
        common = ("name", "kind", "models", "description")
        for key, (key_node, _) in entries.items():
            if key not in common and key not in KIND_KEYS[kind]:
                self.error(
                    key_node,
                    f'"{key}" does not apply to a {kind} trigger (it takes {", ".join(KIND_KEYS[kind])})',
                )
        values: dict[str, Any] = {
            "name": name,
            "kind": kind,
            "source": f"{self.filename}:{node.start_mark.line + 1}",
        }
        if "models" in entries:
            values["models"] = self.strings(entries["models"][1])
        if "description" in entries:
            values["description"] = self.string(entries["description"][1])
        getattr(self, f"_{kind}")(node, entries, values)
        if len(self.errors) > before:
            return None
        return Trigger(**values)

    def _threshold(self, node: yaml.Node, entries: dict, values: dict, comparisons: tuple[str, ...]) -> None:
        given = [key for key in comparisons if key in entries]
        if len(given) != 1:
            self.error(node, f"a {values['kind']} trigger needs exactly one of {', '.join(comparisons)}")
        for key in given:
            values[key] = self.number(entries[key][1])
        if "for" in entries:
            values["days"] = self.days(entries["for"][1])

    def _performance(self, node: yaml.Node, entries: dict, values: dict) -> None:
        values["metric"] = self.choice(node, entries, "metric", PERFORMANCE_METRICS)
        self._threshold(node, entries, values, ("below", "above", "below_baseline_by"))
        fraction = values.get("below_baseline_by")
        if fraction is not None and not 0.0 < fraction < 1.0:
            self.error(
                entries["below_baseline_by"][1],
                f"must be a fraction in (0, 1), e.g. 0.05 for 5 %, got {fraction:g}",
            )

    def _drift(self, node: yaml.Node, entries: dict, values: dict) -> None:
        metric = self.choice(node, entries, "metric", DRIFT_SIGNALS)
        values["metric"] = metric
        self._threshold(node, entries, values, ("below", "above"))
        if "min_features" in entries:
            minimum = self.integer(entries["min_features"][1])
            if metric and metric not in PER_FEATURE_DRIFT_SIGNALS:
                self.error(
                    entries["min_features"][0],
                    f"min_features needs a per-feature signal "
                    f'({", ".join(PER_FEATURE_DRIFT_SIGNALS)}), not "{metric}"',
                )
            elif minimum is not None and minimum < 1:
                self.error(entries["min_features"][1], f"must be at least 1, got {minimum}")
            values["min_features"] = minimum or 0
        if "features" in entries:
            features = self.strings(entries["features"][1], "feature names")
            minimum = values.get("min_features", 0)
            if "min_features" not in entries:
                self.error(
                    entries["features"][0], "features needs min_features (how many of them must drift)"
                )
            elif (
                minimum
                and isinstance(entries["features"][1], yaml.SequenceNode)
                and len(set(features)) < minimum
            ):
                self.error(
                    entries["features"][1],
                    f"lists {len(set(features))} features, fewer than min_features ({minimum})",
                )
            values["features"] = features

    def _time(self, node: yaml.Node, entries: dict, values: dict) -> None:
        if "every" not in entries:
            self.error(
                node, 'a time trigger needs "every" (monthly, quarterly or a number of days such as 30d)'
            )
            return
        value_node = entries["every"][1]
        every = self.string(value_node)
        values["every"] = every
        if every not in PERIODS:
            days = self.days(value_node, every)
            values["every_days"] = days or 0

    def _data(self, node: yaml.Node, entries: dict, values: dict) -> None:
        if "new_labels" not in entries:
            self.error(node, 'a data trigger needs "new_labels" (e.g. 10000)')
            return
        count = self.integer(entries["new_labels"][1])
        if count is not None and count < 1:
            self.error(entries["new_labels"][1], f"must be at least 1, got {count}")
        values["new_labels"] = count or 0

    # -- scalars

    def choice(self, node: yaml.Node, entries: dict, key: str, allowed: tuple[str, ...]) -> str:
        if key not in entries:
            self.error(node, f'missing key "{key}" (one of {", ".join(allowed)})')
            return ""
        value = self.string(entries[key][1])
        if value not in allowed:
            close = difflib.get_close_matches(value, allowed, n=1)
            hint = f"did you mean '{close[0]}'?" if close else f"use one of {', '.join(allowed)}"
            self.error(entries[key][1], f'unknown {key} "{value}" ({hint})')
        return value

    def string(self, node: yaml.Node) -> str:
        if not isinstance(node, yaml.ScalarNode) or node.tag == _NULL:
            self.error(node, "expected a string")
            return ""
        return str(node.value)

    def strings(self, node: yaml.Node, what: str = "model names") -> tuple[str, ...]:
        if not isinstance(node, yaml.SequenceNode):
            self.error(node, f"expected a list of {what}")
            return ()
        return tuple(self.string(item) for item in node.value)

    def number(self, node: yaml.Node) -> float | None:
        text = node.value if isinstance(node, yaml.ScalarNode) else None
        try:
            if node.tag not in ("tag:yaml.org,2002:int", "tag:yaml.org,2002:float"):
                raise ValueError
            return float(text)
        except (TypeError, ValueError):
            self.error(node, f"expected a number, got {text!r}" if text is not None else "expected a number")
            return None

    def integer(self, node: yaml.Node) -> int | None:
        if isinstance(node, yaml.ScalarNode) and node.tag == "tag:yaml.org,2002:int":
            return int(node.value)
        self.error(node, "expected a whole number")
        return None

    def days(self, node: yaml.Node, text: str | None = None) -> int | None:
        text = self.string(node) if text is None else text
        try:
            duration = parse_duration(text)
        except ValueError as problem:
            self.error(node, str(problem))
            return None
        if duration < timedelta(days=1) or duration % timedelta(days=1):
            self.error(node, f'must be a whole number of days such as 3d or 1w, got "{text}"')
            return None
        return duration // timedelta(days=1)
