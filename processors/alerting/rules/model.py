"""The loaded form of rule files: ``Rule``, ``RuleGroup`` and the errors of a load.

Reads: nothing. Writes: nothing. These dataclasses hold the only defaults of the rule keys
(``for`` 0, ``keep_firing_for`` 0, ``window`` 5m, ``min_samples`` 0, every model).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import timedelta

from processors.alerting.expr import Node
from processors.alerting.labels import Labels
from processors.alerting.rules.templates import render_template
from processors.alerting.state import StatePolicy

SEVERITIES = ("P0", "P1", "P2", "P3")  # P0 critical (immediate), P1 high (15 min), P2 1 hour, P3 24 hours
DEFAULT_WINDOW = timedelta(minutes=5)


@dataclass(frozen=True)
class Rule:
    """One alert rule. ``hold_for`` is the YAML key ``for``; an empty ``models`` means every model."""

    alert: str
    expr: str
    severity: str
    hold_for: timedelta = timedelta(0)
    keep_firing_for: timedelta = timedelta(0)
    window: timedelta = DEFAULT_WINDOW
    labels: Labels = field(default_factory=Labels)
    annotations: Labels = field(default_factory=Labels)
    runbook: str | None = None
    resolve: str | None = None
    min_samples: int = 0
    models: tuple[str, ...] = ()
    location: str = ""  # "FILE:LINE" of the rule, for messages
    node: Node | None = field(default=None, compare=False, repr=False)
    resolve_node: Node | None = field(default=None, compare=False, repr=False)

    def policy(self, resolved_retention: timedelta = timedelta(minutes=15)) -> StatePolicy:
        """The state machine's timing for this rule."""
        return StatePolicy(self.hold_for, self.keep_firing_for, resolved_retention, self.min_samples)

    def applies_to(self, model: str) -> bool:
        return not self.models or model in self.models

    def render_annotations(self, labels: Mapping[str, str], value: float) -> dict[str, str]:
        """The annotations of one alert instance (templates were checked when the rule was loaded)."""
        return {name: render_template(text, labels, value) for name, text in self.annotations.items()}


@dataclass(frozen=True)
class RuleGroup:
    """Rules evaluated together; ``interval`` None means the scheduler's default."""

    name: str
    rules: tuple[Rule, ...]
    interval: timedelta | None = None
    file: str = ""


@dataclass(frozen=True)
class RuleError:
    """One problem in a rule file, at a 1-based line and column."""

    file: str
    line: int
    column: int
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}: {self.message}"


class RuleLoadError(ValueError):
    """Every error of a load, in file order; ``rules_found`` counts the rule entries read."""

    def __init__(self, errors: Iterable[RuleError], rules_found: int = 0) -> None:
        self.errors = tuple(errors)
        self.rules_found = rules_found
        super().__init__("\n".join(str(error) for error in self.errors))
