"""Write reference_values.json: PSI, Jensen–Shannon and normed Wasserstein computed independently.

Reads: nothing (inputs come from ``random.Random`` with fixed seeds and are stored in the JSON).
Writes: ``reference_values.json`` next to this script. Run ``python make_reference_values.py``.

This is a second implementation of the formulas in docs/drift-statistics.md in plain Python
(loops, ``math.log``, ``math.fsum``), sharing no code with ``processors.drift.stats`` and using
neither numpy nor scipy, so a test comparing the two catches a slip in either. The one convention
copied on purpose is numpy's default quantile interpolation (the "linear" method and its lerp),
because the documented PSI bins are defined by it.
"""

from __future__ import annotations

import itertools
import json
import math
import platform
import random
from pathlib import Path

EPSILON = 1e-4
BINS = 10


def normalise(values: list[float]) -> list[float]:
    total = math.fsum(values)
    return [value / total for value in values]


def psi(expected: list[float], actual: list[float], epsilon: float = EPSILON) -> float:
    k = len(expected)
    expected = [(share + epsilon) / (1 + k * epsilon) for share in normalise(expected)]
    actual = [(share + epsilon) / (1 + k * epsilon) for share in normalise(actual)]
    return math.fsum((a - e) * math.log(a / e) for e, a in zip(expected, actual, strict=True))


def jensen_shannon(p: list[float], q: list[float]) -> float:
    p, q = normalise(p), normalise(q)
    divergence = 0.0
    for p_i, q_i in zip(p, q, strict=True):
        m_i = (p_i + q_i) / 2
        if p_i > 0:
            divergence += 0.5 * p_i * math.log(p_i / m_i) / math.log(2)
        if q_i > 0:
            divergence += 0.5 * q_i * math.log(q_i / m_i) / math.log(2)
    return math.sqrt(max(divergence, 0.0))


def quantile(sorted_values: list[float], probability: float) -> float:
    # numpy's default "linear" method: position (n - 1) * q, then its lerp formula.
    position = (len(sorted_values) - 1) * probability
    lower = math.floor(position)
    upper = min(lower + 1, len(sorted_values) - 1)
    a, b, t = sorted_values[lower], sorted_values[upper], position - lower
    return b - (b - a) * (1 - t) if t >= 0.5 else a + (b - a) * t


def quantile_edges(reference: list[float], bins: int = BINS) -> list[float]:
    ordered = sorted(reference)
    edges: list[float] = []
    for k in range(1, bins):
        edge = quantile(ordered, k / bins)
        if edge not in edges:
            edges.append(edge)
    return sorted(edges)


def bin_counts(values: list[float], edges: list[float]) -> list[int]:
    counts = [0] * (len(edges) + 1)
    for value in values:
        counts[sum(1 for edge in edges if edge < value)] += 1  # right-closed bins
    return counts


def wasserstein(u: list[float], v: list[float]) -> float:
    points = sorted(set(u) | set(v))
    total = 0.0
    for left, right in itertools.pairwise(points):
        cdf_u = sum(1 for x in u if x <= left) / len(u)
        cdf_v = sum(1 for x in v if x <= left) / len(v)
        total += abs(cdf_u - cdf_v) * (right - left)
    return total


def population_std(values: list[float]) -> float:
    mean = math.fsum(values) / len(values)
    return math.sqrt(math.fsum((x - mean) ** 2 for x in values) / len(values))


def sample_cases() -> list[dict]:
    generator = random.Random(20260101)
    cases = {
        "normal_shifted": (
            [round(generator.gauss(0, 1), 6) for _ in range(300)],
            [round(generator.gauss(0.4, 1.2), 6) for _ in range(200)],
        ),
        "same_distribution": (
            [round(generator.gauss(10, 2), 6) for _ in range(250)],
            [round(generator.gauss(10, 2), 6) for _ in range(250)],
        ),
        "ties_and_out_of_range": (
            [float(generator.choice([0, 0, 0, 1, 1, 2, 3, 5])) for _ in range(200)],
            [float(generator.choice([0, 1, 2, 3, 5, 8, 13])) for _ in range(120)],
        ),
        "exponential_skewed": (
            [round(generator.expovariate(1.0), 6) for _ in range(400)],
            [round(generator.expovariate(0.7), 6) for _ in range(300)],
        ),
    }
    records = []
    for name, (reference, current) in cases.items():
        edges = quantile_edges(reference)
        expected, actual = bin_counts(reference, edges), bin_counts(current, edges)
        records.append(
            {
                "name": name,
                "reference": reference,
                "current": current,
                "bins": BINS,
                "edges": edges,
                "psi": psi(expected, actual),
                "jensen_shannon_binned": jensen_shannon(expected, actual),
                "normed_wasserstein": wasserstein(reference, current) / max(population_std(reference), 1e-3),
            }
        )
    return records


def share_cases() -> list[dict]:
    pairs = {
        "guide_98_2_to_85_15": ([0.98, 0.02], [0.85, 0.15]),
        "three_bins": ([0.5, 0.3, 0.2], [0.4, 0.4, 0.2]),
        "empty_actual_bin": ([0.25, 0.25, 0.25, 0.25], [0.5, 0.5, 0.0, 0.0]),
        "empty_expected_bin": ([0.6, 0.4, 0.0], [0.5, 0.3, 0.2]),
        "counts_not_shares": ([120, 40, 40], [30, 30, 40]),
        "disjoint": ([1.0, 0.0], [0.0, 1.0]),
    }
    return [
        {
            "name": name,
            "expected": expected,
            "actual": actual,
            "epsilon": EPSILON,
            "psi": psi(expected, actual),
            "jensen_shannon": jensen_shannon(expected, actual),
        }
        for name, (expected, actual) in pairs.items()
    ]


def main() -> None:
    document = {
        "produced_by": {
            "implementation": "tests/processors/drift/testdata/make_reference_values.py "
            "(plain Python loops with math.log/math.fsum; no numpy, no scipy)",
            "python": platform.python_version(),
        },
        "share_cases": share_cases(),
        "sample_cases": sample_cases(),
    }
    path = Path(__file__).with_name("reference_values.json")
    path.write_text(json.dumps(document, indent=1) + "\n")


if __name__ == "__main__":
    main()
