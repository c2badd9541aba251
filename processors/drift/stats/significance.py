"""Deciding drift from p-values: multiple-testing adjustment and the effect-size guard.

Reads: p-values and effect sizes passed in. Writes: nothing. Config: none (``alpha`` and
``min_effect`` are parameters; the evaluator owns their configured values).

On large samples every real but negligible shift gets a tiny p-value, so a test alone raises
alerts nobody acts on. ``is_drift`` therefore requires both a significant p-value and an effect
at least ``min_effect``. The default minimum effects follow Evidently's large-sample thresholds.
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import ArrayLike, NDArray

DEFAULT_ALPHA = 0.05
MIN_NORMED_WASSERSTEIN = 0.1  # numeric features
MIN_PSI = 0.1  # numeric features, categorical features, predicted classes
MIN_JENSEN_SHANNON = 0.1  # categorical features


def bonferroni(p_values: ArrayLike) -> NDArray[np.float64]:
    """Bonferroni-adjusted p-values: min(m * p, 1) for m tests (controls the family-wise error rate)."""
    p = _p_value_vector(p_values)
    return np.minimum(p * p.size, 1.0)


def benjamini_hochberg(p_values: ArrayLike) -> NDArray[np.float64]:
    """Benjamini–Hochberg adjusted p-values (controls the false discovery rate), in input order.

    For p sorted ascending, adjusted p_(i) = min over j >= i of min(m * p_(j) / j, 1).
    """
    p = _p_value_vector(p_values)
    if p.size == 0:
        return p
    order = np.argsort(p, kind="stable")
    ranks = np.arange(1, p.size + 1)
    stepped = np.minimum.accumulate((p[order] * p.size / ranks)[::-1])[::-1]
    adjusted = np.empty_like(p)
    adjusted[order] = np.minimum(stepped, 1.0)
    return adjusted


def is_drift(
    p_value: float, effect: float, *, alpha: float = DEFAULT_ALPHA, min_effect: float = MIN_PSI
) -> bool:
    """True when ``p_value < alpha`` and ``|effect| >= min_effect``.

    ``effect`` is the size of the change on a scale ``min_effect`` is set for: normed Wasserstein
    or PSI for numeric features, Jensen–Shannon distance or PSI for categorical ones (all default
    to a minimum of 0.1). ``min_effect=0`` disables the guard.
    """
    if not (0.0 <= p_value <= 1.0):
        raise ValueError(f"p_value must be in [0, 1], got {p_value!r}")
    if math.isnan(effect):
        raise ValueError("effect is NaN")
    if not (0.0 < alpha < 1.0):
        raise ValueError(f"alpha must be in (0, 1), got {alpha!r}")
    if not (min_effect >= 0.0):
        raise ValueError(f"min_effect must be >= 0, got {min_effect!r}")
    return p_value < alpha and abs(effect) >= min_effect


def _p_value_vector(p_values: ArrayLike) -> NDArray[np.float64]:
    p = np.asarray(p_values, dtype=np.float64)
    if p.ndim != 1:
        raise ValueError(f"p-values must be a 1-D vector, got shape {p.shape}")
    if np.any(np.isnan(p)) or np.any((p < 0) | (p > 1)):
        raise ValueError(f"p-values must be in [0, 1], got {p.tolist()}")
    return p
