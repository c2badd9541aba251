"""Violating records kept for debugging, with personal data hashed.

Reads: one record and the masking settings (``quality.sample_values`` and ``ml.pii.salt``).
Writes: nothing (pure). A sample shows the record's key (trace id), event time, the values of the rule
file's fields, and why a cross-field check could not be evaluated when that was the violation.

Values to protect (every value with ``sample_values: all``; with ``pii``, those of fields marked
``pii: true``) become ``hmac-sha256:<hex>``: HMAC-SHA256 keyed with the salt over the value's text
form (the same text ``ml.pii.hash_keys`` hashes, so equal values can be matched across both). Without
a salt a keyed hash could be reversed by hashing guesses, so such values are shown as ``[hidden]``.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import TYPE_CHECKING

from processors.ml.pii import HASH_PREFIX
from processors.quality.checks import text_of

if TYPE_CHECKING:
    from processors.quality.metrics import Record

SAMPLE_VALUES = ("pii", "all")
HIDDEN = "[hidden]"


@dataclass(frozen=True)
class SampleMasking:
    """Which sample values are hashed and with which key."""

    mode: str = "pii"  # "pii": fields marked pii; "all": every value
    salt: str = ""
    pii_fields: frozenset[str] = field(default_factory=frozenset)  # measure_quality adds the rules' ones

    def protects(self, name: str) -> bool:
        return self.mode == "all" or name in self.pii_fields


def keyed_hash(salt: str, text: str) -> str:
    """``hmac-sha256:`` and the hex HMAC-SHA256 of ``text`` keyed with ``salt`` ([hidden] without salt)."""
    if not salt:
        return HIDDEN
    return HASH_PREFIX + hmac.new(salt.encode(), text.encode("utf-8"), hashlib.sha256).hexdigest()


def sample_record(
    record: Record, shown_fields: Sequence[str], masking: SampleMasking, reason: str = ""
) -> Mapping[str, object]:
    """The JSON-ready sample of one violating record."""
    values: dict[str, object] = {}
    for name in shown_fields:
        if name not in record.values:
            continue
        raw = record.values[name]
        if masking.protects(name):
            values[name] = keyed_hash(masking.salt, text_of(raw))
        else:
            values[name] = raw if isinstance(raw, str) else text_of(raw)
    sample: dict[str, object] = {
        "key": record.key,
        "event_time": _iso(record.event_time_unix_nano),
        "values": values,
    }
    if record.version:
        sample["version"] = record.version
    if reason:
        sample["reason"] = reason
    return sample


def _iso(unix_nano: int) -> str:
    moment = datetime.fromtimestamp(unix_nano // 1000 / 1e6, tz=timezone.utc)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")
