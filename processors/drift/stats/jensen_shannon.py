"""Jensen–Shannon distance between two share vectors, base 2.

Reads: share/count vectors passed in. Writes: nothing. Config: none.

    m = (p + q) / 2,  JSD = 0.5 * KL(p || m) + 0.5 * KL(q || m)  (log base 2),  distance = sqrt(JSD)

Terms with a zero share contribute 0 (the limit of x log x), so empty bins need no epsilon; with
base 2 the distance lies in [0, 1] (1 for disjoint supports). It is symmetric, unlike PSI's bins.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

from processors.drift.stats._samples import shares


def jensen_shannon_distance(p_shares: ArrayLike, q_shares: ArrayLike) -> float:
    """Base-2 Jensen–Shannon distance of two share (or count) vectors over the same bins."""
    p = shares(p_shares, "p_shares")
    q = shares(q_shares, "q_shares")
    if p.size != q.size:
        raise ValueError(f"p has {p.size} bins and q has {q.size} bins")
    m = (p + q) / 2.0
    divergence = 0.5 * _kl_base2(p, m) + 0.5 * _kl_base2(q, m)
    # Rounding can leave a divergence a hair outside [0, 1]; the true value is inside.
    return float(np.sqrt(min(max(divergence, 0.0), 1.0)))


def _kl_base2(p: NDArray[np.float64], m: NDArray[np.float64]) -> float:
    present = p > 0  # m >= p / 2 > 0 wherever p > 0
    return float(np.sum(p[present] * np.log2(p[present] / m[present])))
