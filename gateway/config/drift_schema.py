"""Configuration of drift: baselines and the periodic drift evaluation.

Reads: nothing. Writes: nothing (pure). Config keys: ``drift.*``. Part of ``gateway.config.Config``.
What each setting does: docs/drift-statistics.md ("Evaluation in the gateway").
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

Problems = list[tuple[str, str]]

CORRECTIONS = ("none", "bonferroni", "bh")


@dataclass(frozen=True)
class DriftConfig:
    enabled: bool = True  # evaluate every model version with an active baseline
    interval: timedelta = timedelta(minutes=5)  # evaluation period; windows end on multiples of it
    window: timedelta = timedelta(hours=1)  # current traffic compared with the baseline
    alpha: float = 0.05  # significance level of KS / chi-squared (after correction)
    correction: str = "bh"  # across features: none, bonferroni or bh (Benjamini-Hochberg)
    min_normed_wasserstein: float = 0.1  # effect-size guard, numeric features (0 disables)
    min_jensen_shannon: float = 0.1  # effect-size guard, categorical features (0 disables)
    min_psi: float = 0.1  # effect-size guard, predicted classes and values
    min_samples: int = 100  # fewer current values: "insufficient_data", no test
    bins: int = 10  # PSI bins of a new baseline: reference quantiles (10 = deciles)
    top_k: int = 20  # categories kept per feature in a new baseline; the rest is "other"
    reservoir_size: int = 1000  # reference sample kept per feature in a new baseline (KS)
    sample_size: int = 5000  # current values sampled per feature for KS and Wasserstein
    category_limit: int = 1000  # labels per feature read from a window; the rest counts as other
    max_window_baseline_rows: int = 1_000_000  # events read by `baseline create --from-window`

    def validate(self) -> Problems:
        problems: Problems = []
        for name in ("interval", "window"):
            if getattr(self, name) <= timedelta(0):
                problems.append(
                    (name, f"must be longer than 0, got {getattr(self, name).total_seconds():g}s")
                )
        if not 0.0 < self.alpha < 1.0:
            problems.append(("alpha", f"must be in (0, 1), got {self.alpha}"))
        if self.correction not in CORRECTIONS:
            problems.append(
                ("correction", f'must be one of {", ".join(CORRECTIONS)}, got "{self.correction}"')
            )
        for name in ("min_normed_wasserstein", "min_jensen_shannon", "min_psi"):
            if not getattr(self, name) >= 0.0:
                problems.append((name, f"must be >= 0, got {getattr(self, name)}"))
        if self.bins < 2:
            problems.append(("bins", f"must be at least 2, got {self.bins}"))
        for name in ("min_samples", "top_k", "reservoir_size", "sample_size", "category_limit"):
            if getattr(self, name) < 1:
                problems.append((name, f"must be at least 1, got {getattr(self, name)}"))
        if self.max_window_baseline_rows < 1:
            problems.append(
                ("max_window_baseline_rows", f"must be at least 1, got {self.max_window_baseline_rows}")
            )
        return problems
