"""Configuration of the ML signals: sampling, confidence threshold, PII protection.

Reads: nothing. Writes: nothing (pure). Config keys: ``ml.*``. Part of ``gateway.config.Config``;
split out to keep each schema module small.
"""

from __future__ import annotations

from dataclasses import dataclass, field

Problems = list[tuple[str, str]]

PII_PATTERNS = ("email", "phone")


@dataclass(frozen=True)
class PiiConfig:
    """PII protection applied to every request before it is stored (all tables, raw ones included)."""

    hash_keys: tuple[str, ...] = ()  # attribute keys whose values become a keyed hash (HMAC-SHA256, salt)
    drop_keys: tuple[str, ...] = ()  # attribute keys removed before storage
    redact_patterns: tuple[str, ...] = PII_PATTERNS  # values matching these patterns are redacted
    salt: str = ""  # secret key of the hash; required when hash_keys is set (use ${ENV})

    def validate(self) -> Problems:
        problems: Problems = []
        for index, name in enumerate(self.redact_patterns):
            if name not in PII_PATTERNS:
                problems.append(
                    (f"redact_patterns[{index}]", f'unknown pattern "{name}": use {", ".join(PII_PATTERNS)}')
                )
        if self.hash_keys and not self.salt:
            problems.append(("salt", "is required when hash_keys is set (e.g. salt: ${INFERWATCH_PII_SALT})"))
        overlap = sorted(set(self.hash_keys) & set(self.drop_keys))
        if overlap:
            problems.append(("drop_keys", f"keys both hashed and dropped: {', '.join(overlap)}"))
        return problems


@dataclass(frozen=True)
class MlConfig:
    feature_sample_rate: float = 1.0  # share of inference events whose features and predictions are kept
    low_confidence_threshold: float = 0.5  # predictions below this confidence count as low-confidence
    pii: PiiConfig = field(default_factory=PiiConfig)

    def validate(self) -> Problems:
        problems: Problems = []
        if not 0.0 < self.feature_sample_rate <= 1.0:
            problems.append(("feature_sample_rate", f"must be in (0, 1], got {self.feature_sample_rate}"))
        if not 0.0 <= self.low_confidence_threshold <= 1.0:
            problems.append(
                ("low_confidence_threshold", f"must be in [0, 1], got {self.low_confidence_threshold}")
            )
        return problems
