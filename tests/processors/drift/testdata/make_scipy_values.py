"""Write scipy_values.json: PSI, Jensen–Shannon and normed Wasserstein of the reference_values.json
inputs, computed with scipy (the library and versions are recorded in the file).

Reads: ``reference_values.json`` beside this script (its inputs only). Writes: ``scipy_values.json``.
Run ``python make_scipy_values.py`` after a deliberate change of a formula and review the diff.

- Jensen–Shannon: ``scipy.spatial.distance.jensenshannon(p, q, base=2)``.
- PSI: ``sum(scipy.special.rel_entr(a, e) + scipy.special.rel_entr(e, a))`` (PSI is the symmetrised
  Kullback–Leibler divergence) on the epsilon-adjusted shares of docs/drift-statistics.md.
- Normed Wasserstein: ``scipy.stats.wasserstein_distance(reference, current) / max(std, 0.001)``.
The bin counts of the sample cases use the edges stored in reference_values.json.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import scipy
from scipy import special, stats
from scipy.spatial.distance import jensenshannon

HERE = Path(__file__).parent


def adjusted(shares: np.ndarray, epsilon: float) -> np.ndarray:
    shares = shares / shares.sum()
    return (shares + epsilon) / (1 + shares.size * epsilon)


def psi(expected, actual, epsilon: float) -> float:
    e = adjusted(np.asarray(expected, dtype=float), epsilon)
    a = adjusted(np.asarray(actual, dtype=float), epsilon)
    return float(np.sum(special.rel_entr(a, e) + special.rel_entr(e, a)))


def main() -> None:
    inputs = json.loads((HERE / "reference_values.json").read_text())
    shares = [
        {
            "name": case["name"],
            "psi": psi(case["expected"], case["actual"], case["epsilon"]),
            "jensen_shannon": float(jensenshannon(case["expected"], case["actual"], base=2)),
        }
        for case in inputs["share_cases"]
    ]
    samples = []
    for case in inputs["sample_cases"]:
        edges = np.asarray(case["edges"])
        reference, current = np.asarray(case["reference"]), np.asarray(case["current"])
        expected = np.bincount(np.searchsorted(edges, reference), minlength=edges.size + 1)
        actual = np.bincount(np.searchsorted(edges, current), minlength=edges.size + 1)
        samples.append(
            {
                "name": case["name"],
                "psi": psi(expected, actual, 1e-4),
                "jensen_shannon_binned": float(jensenshannon(expected, actual, base=2)),
                "normed_wasserstein": float(stats.wasserstein_distance(reference, current))
                / max(float(np.std(reference)), 1e-3),
            }
        )
    document = {
        "produced_by": {
            "implementation": "tests/processors/drift/testdata/make_scipy_values.py",
            "library": f"scipy {scipy.__version__}, numpy {np.__version__}",
        },
        "share_cases": shares,
        "sample_cases": samples,
    }
    (HERE / "scipy_values.json").write_text(json.dumps(document, indent=1) + "\n")


if __name__ == "__main__":
    main()
