"""Write the effective configuration back as YAML, secrets masked.

Reads: a ``Config``. Writes: nothing (returns text). Used by ``inferwatch serve --print-config``.
"""

from __future__ import annotations

import dataclasses
from datetime import timedelta
from typing import Any

import yaml

from gateway.config.schema import (
    SIZE_SUFFIXES,
    Config,
    format_duration,
    format_size,
    is_secret_name,
    mask_url_password,
)


def dump_config(config: Config, mask_secrets: bool = True) -> str:
    """The effective configuration as YAML that ``load_config`` reads back to an equal ``Config``.

    Durations are written like ``"500ms"``, sizes like ``"64MiB"`` when exact. With ``mask_secrets``,
    URL passwords (the DSN's) and values of fields named like password/secret/key/token become ``***``.
    """
    return yaml.safe_dump(_plain(config, "", mask_secrets, False), sort_keys=False, allow_unicode=True)


def _plain(value: Any, name: str, mask: bool, secret: bool) -> Any:
    """``value`` as plain YAML data; ``name`` is the field it sits in (sizes, secrets are by name)."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {
            f.name: _plain(getattr(value, f.name), f.name, mask, is_secret_name(f.name))
            for f in dataclasses.fields(value)
        }
    if isinstance(value, timedelta):
        return format_duration(value)
    if isinstance(value, int) and not isinstance(value, bool) and name.endswith(SIZE_SUFFIXES):
        return format_size(value)
    if isinstance(value, (list, tuple)):
        return [_plain(item, name, mask, secret) for item in value]
    if isinstance(value, dict):
        return {key: _plain(item, name, mask, secret or is_secret_name(key)) for key, item in value.items()}
    if isinstance(value, str):
        if mask:
            value = "***" if secret and value else mask_url_password(value)
        return value.replace("${", "$${")  # so that loading does not substitute it
    return value
