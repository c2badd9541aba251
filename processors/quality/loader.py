"""``load_quality_rules``: the text of one data-quality rule file in, ``QualityRules`` out, or every error.

Reads: the YAML text (the caller reads the file). Writes: nothing (pure). Every error is
``FILE:LINE:COLUMN: message``; an error inside a check's expression or a regular expression points at
the offending character in the file (``processors.alerting.rules.positions`` maps value offsets to
file positions). File keys: model, fields, checks, timeliness; field and check keys below and in
docs/data-quality.md.
"""

from __future__ import annotations

import difflib
import math
import re
from typing import Any

import yaml

from processors.alerting.rules.positions import FilePositions, parse_duration
from processors.quality import model as m
from processors.quality.checks import text_of
from processors.quality.expr import ExprError, parse, parse_instant

FILE_KEYS = ("model", "fields", "checks", "timeliness")
FIELD_KEYS = (
    "type",
    "required",
    "nullable",
    "min",
    "max",
    "min_length",
    "max_length",
    "allowed",
    "pattern",
    "regex",
    "reference",
    "pii",
)
CHECK_KEYS = ("name", "expr")
TIMELINESS_KEYS = ("max_delay",)
REFERENCE_KEYS = ("values", "in_table")
TABLE_KEYS = ("table", "column")
BUILTIN_RULES = (
    m.RULE_REQUIRED,
    m.RULE_NOT_NULL,
    m.RULE_TYPE,
    m.RULE_MIN,
    m.RULE_MAX,
    m.RULE_MIN_LENGTH,
    m.RULE_MAX_LENGTH,
    m.RULE_ALLOWED,
    m.RULE_PATTERN,
    m.RULE_REFERENCE,
)
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_.:\-]*")
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)?")
_RELATIVE = re.compile(r"now\s*(?:([+-])\s*(\S+))?")
_NULL, _BOOL, _INT, _FLOAT = (f"tag:yaml.org,2002:{tag}" for tag in ("null", "bool", "int", "float"))


def load_quality_rules(text: str, filename: str = "<quality rules>") -> m.QualityRules:
    """The rules of one file; raises ``QualityLoadError`` with every error found, in file order."""
    return _Loader(text, filename).load()


def _shown(node: yaml.Node) -> str:
    if isinstance(node, yaml.MappingNode):
        return "a mapping"
    if isinstance(node, yaml.SequenceNode):
        return "a list"
    return "nothing" if node.tag == _NULL else f'"{node.value}"'


class _Loader:
    def __init__(self, text: str, filename: str) -> None:
        self.filename = filename
        self.text = text
        self.positions = FilePositions(text)
        self.errors: list[m.QualityRuleError] = []

    def error(self, node: yaml.Node, message: str, offset: int | None = None) -> None:
        if offset is None or not isinstance(node, yaml.ScalarNode):
            line, column = self.positions.of_node(node)
        else:
            line, column = self.positions.in_scalar(node, offset)
        self.errors.append(m.QualityRuleError(self.filename, line, column, message))

    def load(self) -> m.QualityRules:
        try:
            root = yaml.compose(self.text, Loader=yaml.SafeLoader)
        except yaml.MarkedYAMLError as problem:
            mark = problem.problem_mark or problem.context_mark
            line, column = (mark.line + 1, mark.column + 1) if mark else (1, 1)
            message = f"invalid YAML: {problem.problem or problem.context}"
            raise m.QualityLoadError([m.QualityRuleError(self.filename, line, column, message)]) from None
        if root is None:
            raise m.QualityLoadError([m.QualityRuleError(self.filename, 1, 1, "the file is empty")])
        rules = self.file(root)
        if self.errors or rules is None:
            raise m.QualityLoadError(sorted(self.errors, key=lambda e: (e.line, e.column)))
        return rules

    # -- YAML shapes

    def mapping(self, node: yaml.Node, allowed: tuple[str, ...], where: str) -> dict[str, yaml.Node] | None:
        if not isinstance(node, yaml.MappingNode):
            keys = ", ".join(allowed)
            self.error(node, f"{where}: expected a mapping with keys {keys}, got {_shown(node)}")
            return None
        entries: dict[str, yaml.Node] = {}
        for key, value in node.value:
            name = str(key.value) if isinstance(key, yaml.ScalarNode) else "?"
            if name in entries:
                self.error(key, f'{where}: duplicate key "{name}"')
            elif name not in allowed:
                close = difflib.get_close_matches(name, allowed, n=1, cutoff=0.6)
                hint = f'; did you mean "{close[0]}"?' if close else f" (known keys: {', '.join(allowed)})"
                self.error(key, f'{where}: unknown key "{name}"{hint}')
            else:
                entries[name] = value
        return entries

    def text_value(self, node: yaml.Node, where: str) -> str | None:
        if not isinstance(node, yaml.ScalarNode) or node.tag == _NULL or not str(node.value).strip():
            self.error(node, f"{where}: expected a non-empty text, got {_shown(node)}")
            return None
        return str(node.value)

    def flag(self, node: yaml.Node, where: str) -> bool:
        if isinstance(node, yaml.ScalarNode) and node.tag == _BOOL:
            return node.value.lower() in ("true", "yes", "on")
        self.error(node, f"{where}: expected true or false, got {_shown(node)}")
        return False

    def number(self, node: yaml.Node, where: str) -> float | None:
        # YAML 1.1 reads 1e4 as text; a plain scalar that is a number is taken as one
        if isinstance(node, yaml.ScalarNode) and (node.tag in (_INT, _FLOAT) or node.style is None):
            try:
                value = float(yaml.safe_load(node.value)) if node.tag == _INT else float(node.value)
            except (TypeError, ValueError):
                value = math.nan
            if math.isfinite(value):
                return value
        self.error(node, f"{where}: expected a finite number, got {_shown(node)}")
        return None

    def count(self, node: yaml.Node, where: str) -> int | None:
        if isinstance(node, yaml.ScalarNode) and node.tag == _INT and node.value.isdigit():
            return int(node.value)
        self.error(node, f"{where}: expected a whole number >= 0, got {_shown(node)}")
        return None

    def scalar_texts(self, node: yaml.Node, where: str) -> frozenset[str] | None:
        """A non-empty list of scalars, each in the text form stored values are compared in."""
        if not isinstance(node, yaml.SequenceNode) or not node.value:
            self.error(node, f"{where}: expected a non-empty list of values, got {_shown(node)}")
            return None
        texts = set()
        for item in node.value:
            if not isinstance(item, yaml.ScalarNode) or item.tag == _NULL:
                self.error(item, f"{where}: expected a value, got {_shown(item)}")
            elif item.tag in (_INT, _FLOAT):
                texts.add(text_of(float(yaml.safe_load(item.value))))
            elif item.tag == _BOOL:
                texts.add(str(yaml.safe_load(item.value)).lower())
            else:
                texts.add(str(item.value))
        return frozenset(texts)

    # -- the file

    def file(self, root: yaml.Node) -> m.QualityRules | None:
        entries = self.mapping(root, FILE_KEYS, "rule file")
        if entries is None:
            return None
        model = None
        if "model" not in entries:
            self.error(root, 'missing required key "model" (the ml.model.name these rules apply to)')
        else:
            model = self.text_value(entries["model"], "model")
        fields: list[m.FieldRule] = []
        if "fields" in entries:
            node = entries["fields"]
            if isinstance(node, yaml.MappingNode):
                for key, value in node.value:
                    rule = self.field(key, value)
                    if rule is not None:
                        if any(existing.name == rule.name for existing in fields):
                            self.error(key, f'fields: duplicate field "{rule.name}"')
                        fields.append(rule)
            else:
                self.error(node, f"fields: expected a mapping of field names to rules, got {_shown(node)}")
        checks = self.checks(entries["checks"]) if "checks" in entries else ()
        max_delay = self.timeliness(entries["timeliness"]) if "timeliness" in entries else None
        if "fields" not in entries and "checks" not in entries:
            self.error(root, 'nothing to check: add "fields" or "checks"')
        if model is None:
            return None
        return m.QualityRules(model, tuple(fields), checks, max_delay, self.filename)

    def timeliness(self, node: yaml.Node) -> Any:
        entries = self.mapping(node, TIMELINESS_KEYS, "timeliness")
        if not entries or "max_delay" not in entries:
            if entries is not None:
                self.error(node, 'timeliness: missing key "max_delay"')
            return None
        text = self.text_value(entries["max_delay"], "timeliness.max_delay")
        if text is None:
            return None
        try:
            delay = parse_duration(text)
        except ValueError as problem:
            self.error(entries["max_delay"], f"timeliness.max_delay: {problem}")
            return None
        if not delay:
            self.error(entries["max_delay"], "timeliness.max_delay: must be longer than 0")
        return delay

    # -- one field

    def field(self, key: yaml.Node, node: yaml.Node) -> m.FieldRule | None:
        name = self.text_value(key, "fields")
        if name is None:
            return None
        where = f"fields.{name}"
        if not _NAME.fullmatch(name):
            self.error(key, f'{where}: invalid field name (the feature name without "ml.feature.")')
        entries = self.mapping(node, FIELD_KEYS, where)
        if entries is None:
            return None
        before = len(self.errors)
        values: dict[str, Any] = {"name": name, "location": f"{self.filename}:{key.start_mark.line + 1}"}
        kind = None
        if "type" in entries:
            kind = self.text_value(entries["type"], f"{where}.type")
            if kind is not None and kind not in m.TYPES:
                self.error(entries["type"], f'{where}.type: "{kind}" is not one of {", ".join(m.TYPES)}')
                kind = None
        for flag in ("required", "nullable", "pii"):
            if flag in entries:
                values[flag] = self.flag(entries[flag], f"{where}.{flag}")
        self.bounds(entries, where, kind, values)
        self.lengths(entries, where, kind, values)
        if "allowed" in entries:
            values["allowed"] = self.scalar_texts(entries["allowed"], f"{where}.allowed")
        self.pattern(entries, where, values)
        if "reference" in entries:
            values["reference"] = self.reference(entries["reference"], f"{where}.reference")
        if kind is None and ("min" in entries or "max" in entries) and "type" not in entries:
            kind = "numeric"  # a numeric range implies a number
        values["type"] = kind
        return m.FieldRule(**values) if len(self.errors) == before else None

    def bounds(self, entries: dict[str, yaml.Node], where: str, kind: str | None, values: dict) -> None:
        if kind in ("string", "boolean"):
            for key in ("min", "max"):
                if key in entries:
                    message = f"a {kind} field has no range; use numeric or datetime"
                    self.error(entries[key], f"{where}.{key}: {message}")
            return
        if kind == "datetime":
            for key, target in (("min", "earliest"), ("max", "latest")):
                if key in entries:
                    values[target] = self.date_bound(entries[key], f"{where}.{key}")
            first, last = values.get("earliest"), values.get("latest")
            both_kinds_alike = first and last and (first.offset is None) == (last.offset is None)
            if both_kinds_alike and first.resolve(0) > last.resolve(0):
                self.error(entries["min"], f"{where}: min is after max")
            return
        for key, target in (("min", "minimum"), ("max", "maximum")):
            if key in entries:
                values[target] = self.number(entries[key], f"{where}.{key}")
        low, high = values.get("minimum"), values.get("maximum")
        if low is not None and high is not None and low > high:
            self.error(entries["min"], f"{where}: min ({low:g}) is greater than max ({high:g})")

    def date_bound(self, node: yaml.Node, where: str) -> m.DateBound | None:
        text = self.text_value(node, where)
        if text is None:
            return None
        relative = _RELATIVE.fullmatch(text.strip())
        if relative:
            sign, duration = relative.groups()
            try:
                offset = parse_duration(duration) if duration else parse_duration("0")
            except ValueError as problem:
                self.error(node, f"{where}: {problem}")
                return None
            return m.DateBound(offset=-offset if sign == "-" else offset)
        instant = parse_instant(text)
        if instant is None:
            self.error(node, f'{where}: "{text}" is not an ISO 8601 date or time, nor now, now-30d, now+1h')
            return None
        return m.DateBound(absolute_seconds=instant.seconds)

    def lengths(self, entries: dict[str, yaml.Node], where: str, kind: str | None, values: dict) -> None:
        for key in ("min_length", "max_length"):
            if key not in entries:
                continue
            if kind in ("numeric", "boolean", "datetime"):
                self.error(entries[key], f"{where}.{key}: lengths apply to string fields, not {kind}")
            else:
                values[key] = self.count(entries[key], f"{where}.{key}")
        low, high = values.get("min_length"), values.get("max_length")
        if low is not None and high is not None and low > high:
            message = f"min_length ({low}) is greater than max_length ({high})"
            self.error(entries["min_length"], f"{where}: {message}")

    def pattern(self, entries: dict[str, yaml.Node], where: str, values: dict) -> None:
        if "pattern" in entries and "regex" in entries:
            self.error(entries["regex"], f"{where}: use pattern or regex, not both")
            return
        if "pattern" in entries:
            name = self.text_value(entries["pattern"], f"{where}.pattern")
            if name is not None and name not in m.PATTERNS:
                message = f'"{name}" is not one of email, phone; for your own pattern use regex:'
                self.error(entries["pattern"], f"{where}.pattern: {message}")
            elif name is not None:
                values["pattern"] = name
        if "regex" in entries:
            node = entries["regex"]
            text = self.text_value(node, f"{where}.regex")
            if text is None:
                return
            try:
                values["regex"] = re.compile(text)
                values["pattern"] = "regex"
            except re.error as problem:
                offset = problem.pos if problem.pos is not None else 0
                self.error(node, f"{where}.regex: invalid regular expression: {problem.msg}", offset)

    def reference(self, node: yaml.Node, where: str) -> m.Reference | None:
        entries = self.mapping(node, REFERENCE_KEYS, where)
        if entries is None:
            return None
        if len(entries) != 1:
            self.error(node, f"{where}: give exactly one of values: [...] or in_table: {{table, column}}")
            return None
        if "values" in entries:
            values = self.scalar_texts(entries["values"], f"{where}.values")
            return None if values is None else m.Reference(values=values)
        table_entries = self.mapping(entries["in_table"], TABLE_KEYS, f"{where}.in_table")
        if table_entries is None:
            return None
        found = {}
        for key in TABLE_KEYS:
            if key not in table_entries:
                self.error(entries["in_table"], f'{where}.in_table: missing key "{key}"')
                continue
            text = self.text_value(table_entries[key], f"{where}.in_table.{key}")
            pattern = _IDENTIFIER if key == "table" else _NAME
            if text is not None and not pattern.fullmatch(text):
                self.error(table_entries[key], f'{where}.in_table.{key}: "{text}" is not a {key} name')
            elif text is not None:
                found[key] = text
        if len(found) != len(TABLE_KEYS):
            return None
        return m.Reference(table=m.TableReference(found["table"], found["column"]))

    # -- cross-field checks

    def checks(self, node: yaml.Node) -> tuple[m.CrossCheck, ...]:
        if not isinstance(node, yaml.SequenceNode):
            self.error(node, f"checks: expected a list of {{name, expr}}, got {_shown(node)}")
            return ()
        checks: list[m.CrossCheck] = []
        for index, item in enumerate(node.value):
            where = f"checks[{index}]"
            entries = self.mapping(item, CHECK_KEYS, where)
            if entries is None:
                continue
            missing = [key for key in CHECK_KEYS if key not in entries]
            for key in missing:
                self.error(item, f'{where}: missing required key "{key}"')
            if missing:
                continue
            name = self.text_value(entries["name"], f"{where}.name")
            expr = self.text_value(entries["expr"], f"{where}.expr")
            if name is not None and name in BUILTIN_RULES:
                self.error(entries["name"], f'{where}.name: "{name}" names a field rule; choose another')
                name = None
            if name is not None and any(check.name == name for check in checks):
                self.error(entries["name"], f'{where}.name: duplicate check name "{name}"')
            if name is None or expr is None:
                continue
            try:
                check = parse(expr)
            except ExprError as problem:
                self.error(entries["expr"], f'check "{name}": {problem.message}', problem.offset)
                continue
            if not check.fields:
                self.error(entries["expr"], f'check "{name}": the expression reads no field')
                continue
            location = f"{self.filename}:{item.start_mark.line + 1}"
            checks.append(m.CrossCheck(name, expr, check, location))
        return tuple(checks)
