"""docs/configuration.md documents every config key: a test that fails when a section grows a key
(or a list item grows a field) and the reference table does not.

A key is documented by a table row whose first cell is ```key``` or ```prefix.first` / `other` / ...``
(the doc's way of grouping siblings); the fields of list items and mapping values (webhooks, routes,
windows, ...) must be named in their key's row.
"""

from __future__ import annotations

import dataclasses
import re
import typing
from pathlib import Path

from gateway.config import Config

DOC = Path(__file__).resolve().parents[3] / "docs" / "configuration.md"


def _item_dataclass(hint: object) -> type | None:
    """The dataclass inside ``tuple[X, ...]`` or ``dict[str, X]``, if any."""
    for arg in typing.get_args(hint):
        if dataclasses.is_dataclass(arg):
            return arg  # type: ignore[return-value]
    return None


def _keys(cls: type, prefix: str = "") -> list[tuple[str, tuple[str, ...]]]:
    """Every leaf key path with the field names of its list items / mapping values."""
    keys: list[tuple[str, tuple[str, ...]]] = []
    hints = typing.get_type_hints(cls)
    for field in dataclasses.fields(cls):
        path = f"{prefix}{field.name}"
        hint = hints[field.name]
        if dataclasses.is_dataclass(hint):
            keys.extend(_keys(hint, f"{path}."))  # type: ignore[arg-type]
            continue
        item = _item_dataclass(hint)
        keys.append((path, tuple(f.name for f in dataclasses.fields(item)) if item else ()))
    return keys


def _rows() -> list[tuple[list[str], str]]:
    rows = []
    for line in DOC.read_text(encoding="utf-8").splitlines():
        if line.startswith("| `"):
            first_cell = line.split(" | ")[0]
            rows.append((re.findall(r"`([^`]+)`", first_cell), line))
    return rows


def _row_of(path: str, rows: list[tuple[list[str], str]]) -> str | None:
    prefix, _, name = path.rpartition(".")
    for names, line in rows:
        if names and names[0] == path:
            return line
        if len(names) > 1 and names[0].rpartition(".")[0] == prefix and name in names[1:]:
            return line
    return None


def test_every_config_key_has_a_row_in_the_configuration_reference() -> None:
    rows = _rows()
    missing, unnamed = [], []
    for path, item_fields in _keys(Config):
        row = _row_of(path, rows)
        if row is None:
            missing.append(path)
            continue
        unnamed.extend(
            f"{path}: {name}" for name in item_fields if not re.search(rf"\b{re.escape(name)}\b", row)
        )
    assert missing == [], f"keys without a row in {DOC.name}: {missing}"
    assert unnamed == [], f"item fields not named in their key's row: {unnamed}"


def test_every_documented_key_exists() -> None:
    known = {path for path, _ in _keys(Config)}
    stale = [
        key
        for names, _ in _rows()
        for key in names[:1]
        if re.fullmatch(r"[a-z_]+(\.[a-z_]+)+|data_dir|log_level", key) and key not in known
    ]
    assert stale == [], f"rows for keys the config does not have: {stale}"
