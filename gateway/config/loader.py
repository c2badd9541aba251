"""Load the gateway's YAML configuration into ``schema.Config``, and dump the effective one back to YAML.

Reads: one YAML file (``path``), the environment (``${VAR}`` substitution) and ``--set path=value``
overrides. Writes: nothing. Config keys: all of them, none by name — binding introspects the dataclasses
in ``gateway.config.schema``, so a new field (or a ``list[Rule]`` / ``dict[str, X]`` of dataclasses) needs
no change here.

Order: parse YAML → substitute ``${VAR}`` / ``${VAR:-default}`` in string values (``$${`` is a literal
``${``) → apply overrides → bind to the dataclasses → run every bound dataclass's ``validate()``. Problems
are collected on the way, each with its YAML path (and line when it comes from the file, or the ``--set``
it comes from), and raised together as one ``ConfigError``; nothing half-valid is ever returned.
"""

from __future__ import annotations

import dataclasses
import difflib
import functools
import json
import os
import re
import types
import typing
from collections.abc import Mapping, Sequence
from datetime import timedelta
from typing import Any

import yaml

from gateway.config.schema import (
    DURATION_HINT,
    SIZE_HINT,
    SIZE_SUFFIXES,
    Config,
    parse_duration,
    parse_size,
)

Path = tuple[Any, ...]  # YAML path: str keys and int list indexes
_INVALID = object()  # what a binder returns after recording a problem
_STR_TAG = "tag:yaml.org,2002:str"
_MERGE_TAG = "tag:yaml.org,2002:merge"
_REFERENCE = re.compile(r"\$\$\{|\$\{([^}]*)(\}?)")
_VARIABLE_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_TEXT_PARSERS: dict[str, tuple[Any, str]] = {
    "duration": (parse_duration, DURATION_HINT),
    "size": (parse_size, SIZE_HINT),
}


class ConfigError(ValueError):
    """The configuration is invalid. ``errors`` holds every problem, one located message each."""

    def __init__(self, errors: Sequence[str]) -> None:
        self.errors = list(errors)
        super().__init__("\n".join(self.errors))


class _Loader(yaml.SafeLoader):
    """SafeLoader reading only true/false as booleans, as YAML 1.2 does: ``on``/``yes``/``no`` are strings."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:bool"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)


def _dotted(path: Path) -> str:
    text = ""
    for step in path:
        text += f"[{step}]" if isinstance(step, int) else f".{step}" if text else str(step)
    return text


def _show(value: Any) -> str:
    """A value as the user wrote it in YAML, for messages."""
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, bool) or value is None:
        return {True: "true", False: "false", None: "null"}[value]
    if isinstance(value, (dict, list)):
        return "a mapping" if isinstance(value, dict) else "a list"
    return str(value)


class _Problems:
    """Collects problems by YAML path and renders them with their origin: file line or ``--set``."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.found: list[tuple[Path | None, str, int | None]] = []
        self.lines: dict[Path, int] = {}  # where each path was written in the file
        self.overrides: list[tuple[Path, str]] = []  # (path, the "a.b=value" text)
        self.unresolved: set[Path] = set()  # a ${VAR} failed here: binding problems would only repeat it

    def add(self, path: Path | None, message: str, line: int | None = None) -> None:
        """A problem at ``path``; None: ``message`` already says where (a malformed ``--set``)."""
        self.found.append((path, message, line))

    def render(self) -> list[str]:
        return [self._render(path, message, line) for path, message, line in self.found]

    def _render(self, path: Path | None, message: str, line: int | None) -> str:
        if path is None:
            return message
        for override_path, text in reversed(self.overrides):
            common = min(len(path), len(override_path))
            if common and path[:common] == override_path[:common]:
                where = "" if path == override_path else f"{_dotted(path)}: "
                return f"--set {text}: {where}{message}"
        line = line or self.lines.get(path)
        where = "".join(part + ": " for part in (f"line {line}" if line else "", _dotted(path)) if part)
        return f"{self.source}: {where}{message}"


def load_config(
    path: str | None, overrides: Sequence[str] = (), environ: Mapping[str, str] | None = None
) -> Config:
    """The configuration in the YAML file at ``path`` (None: all defaults) with ``overrides`` applied.

    ``overrides`` are ``--set`` strings such as ``"ingest.flush_interval=5s"``; ``environ`` (default
    ``os.environ``) supplies ``${VAR}`` values. Raises ConfigError listing every problem found.
    """
    if path is None:
        return load_config_text("", source="defaults", overrides=overrides, environ=environ)
    try:
        with open(path, encoding="utf-8") as file:
            text = file.read()
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError([f"{path}: cannot read: {getattr(exc, 'strerror', None) or exc}"]) from exc
    return load_config_text(text, source=path, overrides=overrides, environ=environ)


def load_config_text(
    text: str,
    *,
    source: str = "<config>",
    overrides: Sequence[str] = (),
    environ: Mapping[str, str] | None = None,
) -> Config:
    """Like ``load_config`` for YAML already in memory; ``source`` prefixes the error messages."""
    problems = _Problems(source)
    raw = _parse_yaml(text, os.environ if environ is None else environ, problems)
    if raw is None:
        raw = {}
    elif not isinstance(raw, dict):
        problems.add((), f"expected a mapping at the top level, got {_show(raw)}")
        raw = {}
    _apply_overrides(raw, overrides, problems)
    config = _bind(Config, raw, (), problems)
    if config is not _INVALID:
        _validate(config, (), problems)
    if problems.found:
        raise ConfigError(problems.render())
    return config


# --- YAML and ${VAR} substitution ----------------------------------------------------------------------


def _parse_yaml(text: str, environ: Mapping[str, str], problems: _Problems) -> Any:
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        _prepare(node, (), loader, (environ, problems), set())
        return loader.construct_document(node)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        problems.add((), f"{where}invalid YAML: {exc.problem or exc.context}")
    except yaml.YAMLError as exc:
        problems.add((), f"invalid YAML: {exc}")
    finally:
        loader.dispose()
    return None


_Env = tuple[Mapping[str, str], _Problems]


def _prepare(node: yaml.Node, path: Path, loader: _Loader, env: _Env, seen: set[int]) -> None:
    """Record where each path was written, report duplicate keys and substitute ``${VAR}`` in strings."""
    if id(node) in seen:  # an alias: the anchored node is already done
        return
    seen.add(id(node))
    problems = env[1]
    problems.lines.setdefault(path, node.start_mark.line + 1)
    if isinstance(node, yaml.ScalarNode) and node.tag == _STR_TAG and "$" in node.value:
        value = _substitute(node.value, path, node.start_mark.line + 1, *env)
        if value != node.value:
            node.value = value
            if node.style is None and value:  # unquoted: typed like YAML would (`port: ${PORT}` is an int)
                node.tag = loader.resolve(yaml.ScalarNode, value, (True, False))
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _prepare(item, (*path, index), loader, env, seen)
    elif isinstance(node, yaml.MappingNode):
        first_lines: dict[str, int] = {}
        for key_node, value_node in node.value:
            if key_node.tag == _MERGE_TAG:
                _prepare(value_node, path, loader, env, seen)
                continue
            key, line = str(key_node.value), key_node.start_mark.line + 1
            if key in first_lines:
                problems.add((*path, key), f"duplicate key (first written at line {first_lines[key]})", line)
            first_lines.setdefault(key, line)
            problems.lines.setdefault((*path, key), line)
            _prepare(value_node, (*path, key), loader, env, seen)


def _substitute(text: str, path: Path, line: int, environ: Mapping[str, str], problems: _Problems) -> str:
    def replace(match: re.Match[str]) -> str:
        if match.group(0) == "$${":
            return "${"
        name, has_default, default = match.group(1).partition(":-")
        if not match.group(2) or not _VARIABLE_NAME.fullmatch(name):
            usage = "use ${NAME} or ${NAME:-default}, and $${ for a literal ${"
            problems.add(path, f"invalid reference {_show(match.group(0))} ({usage})", line)
            problems.unresolved.add(path)
            return match.group(0)
        value = environ.get(name)
        if not value and has_default:
            return default
        if value is None:
            problems.add(path, f"environment variable {name} is not set and has no default", line)
            problems.unresolved.add(path)
            return ""
        return value

    return _REFERENCE.sub(replace, text)


# --- Overrides -------------------------------------------------------------------------------------------


def _apply_overrides(raw: dict[str, Any], overrides: Sequence[str], problems: _Problems) -> None:
    for text in overrides:
        key, sep, value_text = text.partition("=")
        path = _override_path(key.strip())
        if not sep or path is None:
            problems.add(None, f"--set {text}: expected path=value, e.g. ingest.flush_interval=5s")
            continue
        try:
            value = yaml.load(value_text, Loader=_Loader) if value_text.strip() else ""
        except yaml.YAMLError:  # not YAML, e.g. "[::]:4317": the text itself
            value = value_text
        problem = _set_path(raw, path, value)
        if problem:
            problems.add(None, f"--set {text}: {problem}")
            continue
        problems.overrides.append((path, text))


def _override_path(text: str) -> Path | None:
    """``"alerting.rules[2].for"`` → ``("alerting", "rules", 2, "for")``; None if malformed."""
    path: list[Any] = []
    for part in text.split("."):
        match = re.fullmatch(r"([^\[\]]+)((?:\[\d+\])*)", part)
        if not match:
            return None
        path.append(match.group(1))
        path.extend(int(index) for index in re.findall(r"\d+", match.group(2)))
    return tuple(path)


def _set_path(root: dict[str, Any], path: Path, value: Any) -> str | None:
    parent: Any = root
    for depth, step in enumerate(path):
        if isinstance(step, int):
            if not isinstance(parent, list) or step >= len(parent):
                return f"{_dotted(path[:depth])} has no item [{step}]"
        elif not isinstance(parent, dict):
            return f"{_dotted(path[:depth])} is not a mapping"
        elif depth < len(path) - 1 and parent.get(step) is None:
            parent[step] = {}
        if depth == len(path) - 1:
            parent[step] = value
        else:  # a copy: YAML aliases share objects, and only this path must change
            child = parent[step]
            parent[step] = (
                dict(child) if isinstance(child, dict) else list(child) if isinstance(child, list) else child
            )
            parent = parent[step]
    return None


# --- Binding YAML values to the dataclasses --------------------------------------------------------------


@functools.cache
def _field_types(cls: type) -> dict[str, Any]:
    hints = typing.get_type_hints(cls)
    return {f.name: hints[f.name] for f in dataclasses.fields(cls) if f.init}


def _bind(tp: Any, raw: Any, path: Path, problems: _Problems, is_size: bool = False) -> Any:
    """``raw`` (from YAML) as a value of type ``tp``, or _INVALID after recording why not."""
    origin, args = typing.get_origin(tp), typing.get_args(tp)
    if dataclasses.is_dataclass(tp):
        return _bind_dataclass(tp, raw, path, problems)
    if origin in (typing.Union, types.UnionType):  # only `X | None` is supported
        if raw is None and type(None) in args:
            return None
        (inner,) = [arg for arg in args if arg is not type(None)]
        return _bind(inner, raw, path, problems, is_size)
    if origin is typing.Literal:
        if raw in args and type(raw) in {type(arg) for arg in args}:
            return raw
        return _fail(problems, path, f"must be one of {', '.join(map(_show, args))}, got {_show(raw)}")
    if origin in (list, tuple):
        if not isinstance(raw, list):
            return _fail(problems, path, f"expected a list, got {_show(raw)}")
        return origin(_bind(args[0], item, (*path, i), problems, is_size) for i, item in enumerate(raw))
    if origin is dict:
        if not isinstance(raw, dict):
            return _fail(problems, path, f"expected a mapping, got {_show(raw)}")
        bound = {}
        for key, value in raw.items():
            if not isinstance(key, str):
                _fail(problems, (*path, str(key)), f"keys must be strings, got {_show(key)}")
            else:
                bound[key] = _bind(args[1], value, (*path, key), problems, is_size)
        return bound
    return _bind_scalar(tp, raw, path, problems, is_size)


def _bind_dataclass(cls: type, raw: Any, path: Path, problems: _Problems) -> Any:
    if raw is None:  # `section:` with nothing under it: all defaults
        raw = {}
    if not isinstance(raw, dict):
        return _fail(problems, path, f"expected a mapping, got {_show(raw)}")
    types_by_name = _field_types(cls)
    kwargs = {}
    for key, value in raw.items():
        if key not in types_by_name:
            close = difflib.get_close_matches(str(key), list(types_by_name), n=1)
            hint = f"did you mean '{close[0]}'?" if close else f"valid keys: {', '.join(types_by_name)}"
            _fail(problems, (*path, str(key)), f"unknown key ({hint})")
            continue
        is_size = key.endswith(SIZE_SUFFIXES)
        bound = _bind(types_by_name[key], value, (*path, key), problems, is_size)
        if bound is not _INVALID:
            kwargs[key] = bound
    return cls(**kwargs)


def _bind_scalar(tp: Any, raw: Any, path: Path, problems: _Problems, is_size: bool) -> Any:
    is_number = isinstance(raw, (int, float)) and not isinstance(raw, bool)
    is_int = is_number and isinstance(raw, int)
    if tp is timedelta and is_number:  # plain numbers are seconds
        try:
            return timedelta(seconds=raw)
        except (OverflowError, ValueError):
            return _fail(problems, path, f"duration {_show(raw)} is out of range")
    if tp is timedelta or (tp is int and is_size and not is_int):
        what = "duration" if tp is timedelta else "size"
        parse, hint = _TEXT_PARSERS[what]
        if not isinstance(raw, str):
            return _fail(problems, path, f"invalid {what} {_show(raw)} ({hint})")
        try:
            return parse(raw)
        except ValueError as exc:
            return _fail(problems, path, str(exc))
    accepted = {bool: isinstance(raw, bool), str: isinstance(raw, str), int: is_int, float: is_number}
    if tp not in accepted:
        raise TypeError(f"{_dotted(path)}: the loader cannot bind fields of type {tp!r}")  # a schema bug
    if not accepted[tp]:
        expected = {bool: "true or false", str: "a string", int: "an integer", float: "a number"}[tp]
        return _fail(problems, path, f"expected {expected}, got {_show(raw)}")
    return float(raw) if tp is float else raw


def _fail(problems: _Problems, path: Path, message: str) -> Any:
    if path not in problems.unresolved:
        problems.add(path, message)
    return _INVALID


def _validate(value: Any, path: Path, problems: _Problems) -> None:
    """Run ``validate()`` on every dataclass in the tree; its field names are relative to it."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        validate = getattr(value, "validate", None)
        for field_name, message in validate() if callable(validate) else ():
            _fail(problems, (*path, *field_name.split(".")) if field_name else path, message)
        for f in dataclasses.fields(value):
            _validate(getattr(value, f.name), (*path, f.name), problems)
    elif isinstance(value, (list, tuple)):
        for index, item in enumerate(value):
            _validate(item, (*path, index), problems)
    elif isinstance(value, dict):
        for key, item in value.items():
            _validate(item, (*path, key), problems)
