"""Render the project's .sql templates into the statements one ClickHouse deployment needs.

Reads: SQL template text. Writes: nothing (pure). Config keys: ``clickhouse.database``,
``clickhouse.cluster``, ``clickhouse.ttl.*``.

Templates use a few placeholders and macros so that one file serves a single node and a cluster:

* ``$db`` — the database, back-quoted.
* ``$on_cluster`` — ``ON CLUSTER `name``` on a cluster, else nothing.
* ``$local`` — suffix of tables that hold data: on a cluster the data lives in ``<name>_local``
  (Replicated engine) and ``<name>`` becomes a Distributed table over it; single node: nothing.
* ``$MergeTree``, ``$ReplacingMergeTree``, ``$AggregatingMergeTree``, ``$SummingMergeTree`` —
  the engine, ``Replicated…`` on a cluster.
* ``@name(arg)`` — macros (``processors.otlp_tables.macros`` and the ``ttl_<family>`` macros);
  the argument is any SQL expression.

Statements are separated by a semicolon at the end of a line.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

_MACRO_NAME = re.compile(r"@(\w+)\(")
_PLACEHOLDER = re.compile(r"\$\$|\$(\w+)")
_CREATE_LOCAL_TABLE = re.compile(r"CREATE TABLE IF NOT EXISTS (\S+?)\.(\w+)_local\b")
_ENGINES = ("MergeTree", "ReplacingMergeTree", "AggregatingMergeTree", "SummingMergeTree")
TTL_FAMILIES = ("traces", "logs", "metrics", "ml")


class TemplateError(ValueError):
    """A template uses an unknown macro or placeholder: a bug in the project, not in user input."""


@dataclass(frozen=True)
class Target:
    """Where and how the DDL will run."""

    database: str = "default"
    cluster: str = ""
    ttl_seconds: Mapping[str, int] = field(default_factory=dict)


def quote_identifier(name: str) -> str:
    return "`" + name.replace("\\", "\\\\").replace("`", "\\`") + "`"


def _ttl_macro(family: str, target: Target) -> str:
    seconds = int(target.ttl_seconds.get(family, 0))
    if seconds <= 0:
        return ""
    return f"TTL toDateTime({{0}}) + toIntervalSecond({seconds})"


def _macro_call_end(text: str, open_paren: int) -> int:
    """Index just past the parenthesis closing the one at ``open_paren`` (quotes respected)."""
    depth = 0
    quote = ""
    index = open_paren
    while index < len(text):
        char = text[index]
        if quote:
            if char == "\\":
                index += 1
            elif char == quote:
                quote = ""
        elif char in "'`\"":
            quote = char
        elif char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
            if depth == 0:
                return index + 1
        index += 1
    raise TemplateError(f"unbalanced parentheses after {text[max(0, open_paren - 20) : open_paren + 20]!r}")


def expand_macros(text: str, macros: Mapping[str, str]) -> str:
    """Expand ``@name(arg)`` until none is left (arguments and bodies may hold macros)."""
    return _expand(text, macros, ())


def _expand(text: str, macros: Mapping[str, str], active: tuple[str, ...]) -> str:
    # Arguments and bodies are expanded before the body is filled in, so the work stays linear in
    # the output and a macro met again inside its own body is reported instead of growing forever.
    pieces: list[str] = []
    position = 0
    while (match := _MACRO_NAME.search(text, position)) is not None:
        name = match.group(1)
        if name not in macros:
            raise TemplateError(f"unknown SQL macro @{name}")
        if name in active:
            chain = " -> ".join(f"@{macro}" for macro in (*active, name))
            raise TemplateError(f"SQL macro @{name} is recursive: {chain}")
        end = _macro_call_end(text, match.end() - 1)
        argument = _expand(text[match.end() : end - 1].strip(), macros, active)
        body = _expand(macros[name], macros, (*active, name))
        pieces.append(text[position : match.start()])
        pieces.append(body.replace("{0}", argument))
        position = end
    pieces.append(text[position:])
    return "".join(pieces)


def split_statements(text: str) -> list[str]:
    """Split on ``;`` at the end of a line, dropping ``--`` comment lines and blanks."""
    lines = [line for line in text.splitlines() if not line.lstrip().startswith("--")]
    statements = re.split(r";[ \t]*(?:\n|$)", "\n".join(lines))
    return [statement.strip() for statement in statements if statement.strip()]


def render(template: str, target: Target, macros: Mapping[str, str] = {}) -> list[str]:
    """Return the statements of ``template`` for ``target``, in order."""
    on_cluster = f"ON CLUSTER {quote_identifier(target.cluster)}" if target.cluster else ""
    all_macros = dict(macros)
    for family in TTL_FAMILIES:
        all_macros[f"ttl_{family}"] = _ttl_macro(family, target)
    without_comments = "\n".join(line for line in template.splitlines() if not line.lstrip().startswith("--"))
    placeholders = {
        "db": quote_identifier(target.database),
        "on_cluster": on_cluster,
        "local": "_local" if target.cluster else "",
        **{engine: f"Replicated{engine}" if target.cluster else engine for engine in _ENGINES},
    }

    def substitute(match: re.Match[str]) -> str:
        name = match.group(1)
        if name is None:  # "$$" stays as it is
            return match.group(0)
        if name not in placeholders:
            raise TemplateError(f"unknown placeholder ${name}")
        return placeholders[name]

    # One pass, whole names only: "$dbase" is an error rather than "$db" + "ase", and a database or
    # cluster name holding "$local" is not rewritten after it was put in.
    text = _PLACEHOLDER.sub(substitute, expand_macros(without_comments, all_macros))
    statements: list[str] = []
    for statement in split_statements(text):
        statements.append(statement)
        if target.cluster:
            statements.extend(_distributed_for(statement, target, on_cluster))
    return statements


def _distributed_for(statement: str, target: Target, on_cluster: str) -> list[str]:
    """On a cluster, every ``<name>_local`` data table gets a Distributed ``<name>`` over it."""
    match = _CREATE_LOCAL_TABLE.match(statement)
    if not match:
        return []
    database, table = match.group(1), match.group(2)
    return [
        f"CREATE TABLE IF NOT EXISTS {database}.{table} {on_cluster} "
        f"AS {database}.{table}_local "
        f"ENGINE = Distributed({quote_identifier(target.cluster)}, {database}, {table}_local, rand())"
    ]
