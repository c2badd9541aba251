"""``load_rules``: the text of one rule file in, frozen ``RuleGroup``s out, or every error at once.

Reads: the YAML text (the caller reads the file) and the known signal names
(``processors.alerting.signal_names``). Writes: nothing. Two layouts are accepted: the guide's, a
top-level list of rules (one group named after the file), and Prometheus', ``groups: [{name, interval,
rules}]``. Rule keys: alert, expr, for, keep_firing_for, severity, labels, annotations, window, runbook,
resolve, min_samples, model. Every error is ``FILE:LINE:COLUMN: message``; errors inside an expression or
a template point at the offending character in the file.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Collection
from dataclasses import dataclass
from pathlib import PurePath
from typing import Any

import yaml

from processors.alerting.expr import ExprError, Node, parse
from processors.alerting.labels import Labels
from processors.alerting.rules.model import SEVERITIES, Rule, RuleError, RuleGroup, RuleLoadError
from processors.alerting.rules.positions import FilePositions, parse_duration
from processors.alerting.rules.templates import template_errors
from processors.alerting.signal_names import KNOWN_SIGNALS, suggest_signal

RULE_KEYS = (
    "alert",
    "expr",
    "for",
    "keep_firing_for",
    "severity",
    "labels",
    "annotations",
    "window",
    "runbook",
    "resolve",
    "min_samples",
    "model",
)
GROUP_KEYS = ("name", "interval", "rules")
FILE_KEYS = ("groups",)
_LABEL_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_RESERVED_LABELS = {"alertname": "it is the rule's alert", "severity": "it is the rule's severity key"}
_NULL_TAG = "tag:yaml.org,2002:null"
_INT_TAG = "tag:yaml.org,2002:int"


def load_rules(
    text: str, filename: str = "<rules>", known_signals: Collection[str] = KNOWN_SIGNALS
) -> tuple[RuleGroup, ...]:
    """The groups of one rule file; raises ``RuleLoadError`` with every error found."""
    return _Loader(text, filename, known_signals).load()


def count_rules(groups: tuple[RuleGroup, ...]) -> int:
    return sum(len(group.rules) for group in groups)


@dataclass
class _Entry:
    key: yaml.ScalarNode
    value: yaml.Node


class _Loader:
    def __init__(self, text: str, filename: str, known_signals: Collection[str]) -> None:
        self.text = text
        self.filename = filename
        self.known_signals = frozenset(known_signals)
        self.positions = FilePositions(text)
        self.errors: list[RuleError] = []
        self.rules_found = 0

    # -- errors

    def error_at(self, line: int, column: int, message: str) -> None:
        self.errors.append(RuleError(self.filename, line, column, message))

    def error(self, node: yaml.Node, message: str) -> None:
        self.error_at(*self.positions.of_node(node), message)

    # -- the file and its groups

    def load(self) -> tuple[RuleGroup, ...]:
        try:
            root = yaml.compose(self.text, Loader=yaml.SafeLoader)
        except yaml.MarkedYAMLError as error:
            mark = error.problem_mark or error.context_mark
            line, column = (mark.line + 1, mark.column + 1) if mark else (1, 1)
            self.error_at(line, column, f"invalid YAML: {error.problem or error.context}")
            raise RuleLoadError(self.errors) from None
        except yaml.YAMLError as error:
            self.error_at(1, 1, f"invalid YAML: {error}")
            raise RuleLoadError(self.errors) from None
        groups = self.file(root)
        if self.errors:
            self.errors.sort(key=lambda error: (error.line, error.column))
            raise RuleLoadError(self.errors, self.rules_found)
        return groups

    def file(self, root: yaml.Node | None) -> tuple[RuleGroup, ...]:
        if root is None or (isinstance(root, yaml.ScalarNode) and root.tag == _NULL_TAG):
            return ()
        if isinstance(root, yaml.SequenceNode):
            name = PurePath(self.filename).stem or self.filename
            return (RuleGroup(name, self.rules(root.value, "", name), None, self.filename),)
        if not isinstance(root, yaml.MappingNode):
            self.error(root, "a rule file is a list of rules (- alert: …) or a mapping with groups:")
            return ()
        entries = self.mapping(root, FILE_KEYS, "")
        if entries is None:
            return ()
        if "groups" not in entries:
            self.error(root, 'missing key "groups" (or write the file as a list of rules: - alert: …)')
            return ()
        groups_node = entries["groups"].value
        if not isinstance(groups_node, yaml.SequenceNode):
            self.null_or_type(groups_node, "groups", "a list of groups")
            return ()
        groups = []
        seen: dict[str, int] = {}
        for index, node in enumerate(groups_node.value):
            index_path = f"groups[{index}]"
            group = self.group(node, index_path)
            if group is None:
                continue
            if group.name in seen:
                self.error(
                    node,
                    f'{index_path}: duplicate group name "{group.name}" (first at line {seen[group.name]})',
                )
            else:
                seen[group.name] = node.start_mark.line + 1
            groups.append(group)
        return tuple(groups)

    def group(self, node: yaml.Node, path: str) -> RuleGroup | None:
        entries = self.mapping(node, GROUP_KEYS, path)
        if entries is None:
            return None
        name = self.required_string(node, entries, "name", path)
        interval = None
        if "interval" in entries:
            interval = self.duration(entries["interval"].value, f"{path}.interval", positive=True)
        rules: tuple[Rule, ...] = ()
        if "rules" not in entries:
            self.error(node, f'{path}: missing required key "rules"')
        elif isinstance(entries["rules"].value, yaml.SequenceNode):
            rules = self.rules(entries["rules"].value.value, f"{path}.", name or path)
        else:
            self.null_or_type(entries["rules"].value, f"{path}.rules", "a list of rules")
        return None if name is None else RuleGroup(name, rules, interval, self.filename)

    def rules(self, nodes: list[yaml.Node], path: str, group: str) -> tuple[Rule, ...]:
        rules = []
        seen: dict[str, int] = {}
        for index, node in enumerate(nodes):
            self.rules_found += 1
            rule = self.rule(node, f"{path}rules[{index}]")
            if rule is None:
                continue
            if rule.alert in seen:
                self.error(
                    node,
                    f'duplicate alert "{rule.alert}" in group "{group}" (first at line {seen[rule.alert]})',
                )
            else:
                seen[rule.alert] = node.start_mark.line + 1
            rules.append(rule)
        return tuple(rules)

    # -- one rule

    def rule(self, node: yaml.Node, path: str) -> Rule | None:
        entries = self.mapping(node, RULE_KEYS, path)
        if entries is None:
            return None
        errors_before = len(self.errors)
        alert = self.required_string(node, entries, "alert", path)
        where = f'alert "{alert}"' if alert else path
        values: dict[str, Any] = {"alert": alert}
        expr = self.required_string(node, entries, "expr", where)
        if expr is not None:
            values["expr"] = expr
            values["node"] = self.expression(entries["expr"].value, expr, f"{where}: expr")
        severity = self.required_string(node, entries, "severity", where)
        if severity is not None and severity not in SEVERITIES:
            self.error(
                entries["severity"].value,
                f'{where}: severity: "{severity}" is not one of P0, P1, P2, P3 '
                "(P0 critical, P1 high, P2 medium, P3 low)",
            )
        values["severity"] = severity
        for key, field_name in (("for", "hold_for"), ("keep_firing_for", "keep_firing_for")):
            if key in entries:
                values[field_name] = self.duration(entries[key].value, f"{where}: {key}", positive=False)
        if "window" in entries:
            values["window"] = self.duration(entries["window"].value, f"{where}: window", positive=True)
        if "labels" in entries:
            values["labels"] = self.labels(entries["labels"].value, f"{where}: labels")
        if "annotations" in entries:
            values["annotations"] = self.annotations(entries["annotations"].value, f"{where}: annotations")
        if "runbook" in entries:
            values["runbook"] = self.string(entries["runbook"].value, f"{where}: runbook")
        if "resolve" in entries:
            resolve = self.string(entries["resolve"].value, f"{where}: resolve")
            if resolve is not None:
                values["resolve"] = resolve
                values["resolve_node"] = self.expression(
                    entries["resolve"].value, resolve, f"{where}: resolve"
                )
        if "min_samples" in entries:
            values["min_samples"] = self.min_samples(entries["min_samples"].value, f"{where}: min_samples")
        if "model" in entries:
            values["models"] = self.models(entries["model"].value, f"{where}: model")
        if len(self.errors) > errors_before:
            return None
        location = f"{self.filename}:{node.start_mark.line + 1}"
        return Rule(**values, location=location)

    def expression(self, node: yaml.ScalarNode, text: str, where: str) -> Node | None:
        try:
            return parse(text, self.known_signals)
        except ExprError as error:
            message = error.message
            unknown = re.fullmatch(r'unknown signal "(.+)"', message)
            if unknown and (close := suggest_signal(unknown[1])) and close in self.known_signals:
                message += f'; did you mean "{close}"?'
            self.error_at(*self.positions.in_scalar(node, error.offset), f"{where}: {message}")
            return None

    def annotations(self, node: yaml.Node, where: str) -> Labels:
        pairs = self.string_map(node, where)
        for key, value_node, text in pairs:
            for problem in template_errors(text):
                position = self.positions.in_scalar(value_node, problem.offset)
                self.error_at(*position, f"{where}.{key}: {problem.message}")
        return Labels((key, text) for key, _, text in pairs)

    def labels(self, node: yaml.Node, where: str) -> Labels:
        pairs = self.string_map(node, where)
        for key, value_node, _ in pairs:
            if not _LABEL_NAME.fullmatch(key):
                self.error(value_node, f'{where}: invalid label name "{key}" (letters, digits and _)')
            elif key in _RESERVED_LABELS:
                self.error(value_node, f'{where}: label "{key}" cannot be set here: {_RESERVED_LABELS[key]}')
        return Labels((key, text) for key, _, text in pairs)

    def models(self, node: yaml.Node, where: str) -> tuple[str, ...]:
        items = node.value if isinstance(node, yaml.SequenceNode) else [node]
        if isinstance(node, yaml.SequenceNode) and not items:
            self.error(
                node, f"{where}: an empty list selects no model; leave model out to select every model"
            )
        names = []
        for item in items:
            name = self.string(item, where)
            if name is not None:
                names.append(name)
        return tuple(names)

    def min_samples(self, node: yaml.Node, where: str) -> int:
        if isinstance(node, yaml.ScalarNode) and node.tag == _INT_TAG and node.value.isdigit():
            return int(node.value)
        self.error(node, f"{where}: must be a whole number >= 0, got {_shown(node)}")
        return 0

    def duration(self, node: yaml.Node, where: str, positive: bool) -> Any:
        text = self.string(node, where)
        if text is None:
            return None
        try:
            value = parse_duration(text)
        except ValueError as error:
            self.error(node, f"{where}: {error}")
            return None
        if positive and not value:
            self.error(node, f"{where}: must be longer than 0")
        return value

    # -- YAML shapes

    def mapping(self, node: yaml.Node, allowed: tuple[str, ...], path: str) -> dict[str, _Entry] | None:
        prefix = f"{path}: " if path else ""
        if not isinstance(node, yaml.MappingNode):
            self.error(node, f"{prefix}expected a mapping with keys {', '.join(allowed)}, got {_shown(node)}")
            return None
        entries: dict[str, _Entry] = {}
        for key, value in node.value:
            name = key.value if isinstance(key, yaml.ScalarNode) else None
            if name in entries:
                first = entries[name].key.start_mark.line + 1
                self.error(key, f'{prefix}duplicate key "{name}" (first at line {first})')
            elif name not in allowed:
                close = difflib.get_close_matches(str(name), allowed, n=1, cutoff=0.6)
                hint = f'; did you mean "{close[0]}"?' if close else f" (known keys: {', '.join(allowed)})"
                self.error(key, f'{prefix}unknown key "{name}"{hint}')
            else:
                entries[name] = _Entry(key, value)
        return entries

    def required_string(
        self, node: yaml.Node, entries: dict[str, _Entry], key: str, where: str
    ) -> str | None:
        if key not in entries:
            self.error(node, f'{where}: missing required key "{key}"')
            return None
        return self.string(entries[key].value, f"{where}: {key}")

    def string(self, node: yaml.Node, where: str) -> str | None:
        if not isinstance(node, yaml.ScalarNode):
            self.error(node, f"{where}: expected a text value, got {_shown(node)}")
            return None
        if node.tag == _NULL_TAG or not node.value.strip():
            self.error(node, f"{where}: must not be empty")
            return None
        return node.value

    def string_map(self, node: yaml.Node, where: str) -> list[tuple[str, yaml.ScalarNode, str]]:
        if not isinstance(node, yaml.MappingNode):
            self.null_or_type(node, where, "a mapping of names to text")
            return []
        pairs: list[tuple[str, yaml.ScalarNode, str]] = []
        seen: set[str] = set()
        for key, value in node.value:
            name = self.string(key, where)
            if name is None:
                continue
            if name in seen:
                self.error(key, f'{where}: duplicate key "{name}"')
                continue
            seen.add(name)
            if isinstance(value, yaml.ScalarNode) and value.tag != _NULL_TAG:
                pairs.append((name, value, value.value))
            else:
                self.error(value, f"{where}.{name}: expected a text value, got {_shown(value)}")
        return pairs

    def null_or_type(self, node: yaml.Node, where: str, expected: str) -> None:
        self.error(node, f"{where}: expected {expected}, got {_shown(node)}")


def _shown(node: yaml.Node) -> str:
    if isinstance(node, yaml.MappingNode):
        return "a mapping"
    if isinstance(node, yaml.SequenceNode):
        return "a list"
    if node.tag == _NULL_TAG:
        return "nothing"
    return f'"{node.value}"'
