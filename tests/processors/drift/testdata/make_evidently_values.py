"""Write evidently_values.json: PSI, Jensen–Shannon and normed Wasserstein computed by Evidently.

Reads: the sample cases of ``reference_values.json`` beside this script (numeric inputs); the
categorical inputs are fixed counts written here. Writes: ``evidently_values.json`` (with the
Evidently, pandas, numpy and scipy versions that produced it). Evidently is NOT a dependency of
inferwatch: run this in a throwaway environment and review the diff, e.g.

    python -m venv /tmp/ev && /tmp/ev/bin/pip install evidently==0.7.23 "pandas<3"
    /tmp/ev/bin/python tests/processors/drift/testdata/make_evidently_values.py

Calls Evidently's own stat-test functions (``evidently.legacy.calculations.stattests``):
- PSI (``psi``): categorical shares from ``get_binned_data`` (a share of 0 becomes 0.0001); numeric
  data in Evidently's Sturges-rule bins over both samples — its bins differ from inferwatch's
  reference deciles on purpose, so the shares Evidently binned are recorded too and the test
  compares the formula on the same shares.
- Jensen–Shannon (``jensenshannon``, base 2, no zero filling), on the same shares.
- Normed Wasserstein (``wasserstein``): W1 / max(std(reference), 0.001) on the raw samples.
"""

from __future__ import annotations

import json
from pathlib import Path

import evidently
import numpy as np
import pandas as pd
import scipy
from evidently.legacy.calculations.stattests import jensenshannon as js_module
from evidently.legacy.calculations.stattests import psi as psi_module
from evidently.legacy.calculations.stattests import wasserstein_distance_norm as wd_module
from evidently.legacy.calculations.stattests.utils import (
    get_binned_data,
    get_unique_not_nan_values_list_from_series,
)
from evidently.legacy.core import ColumnType

HERE = Path(__file__).parent
# (name, reference counts, current counts) per category; every category is seen on both sides.
CATEGORY_CASES = [
    ("guide_98_2_to_85_15", {"legit": 980, "fraud": 20}, {"legit": 850, "fraud": 150}),
    (
        "four_countries_reversed",
        {"DE": 400, "FR": 300, "US": 200, "GB": 100},
        {"DE": 100, "FR": 200, "US": 300, "GB": 400},
    ),
    ("nearly_equal", {"a": 5000, "b": 3000, "c": 2000}, {"a": 4900, "b": 3080, "c": 2020}),
    ("many_unequal", {str(k): 10 + 7 * k for k in range(12)}, {str(k): 95 - 6 * k for k in range(12)}),
]  # fmt: skip


def expand(counts: dict[str, int]) -> pd.Series:
    return pd.Series([label for label, count in counts.items() for _ in range(count)])


def main() -> None:
    inputs = json.loads((HERE / "reference_values.json").read_text())
    categories = []
    for name, reference, current in CATEGORY_CASES:
        ref, cur = expand(reference), expand(current)
        ref_shares, cur_shares = get_binned_data(ref, cur, ColumnType.Categorical, 30)
        categories.append(
            {
                "name": name,
                "categories": list(reference),
                "reference": list(reference.values()),
                "current": [current[label] for label in reference],
                "evidently_order": get_binned_order(ref, cur),
                "psi": float(psi_module._psi(ref, cur, ColumnType.Categorical, 0.1)[0]),
                "jensen_shannon": js(ref, cur, ColumnType.Categorical),
                "reference_shares": ref_shares.tolist(),
                "current_shares": cur_shares.tolist(),
            }
        )
    numeric = []
    for case in inputs["sample_cases"]:
        ref, cur = pd.Series(case["reference"], dtype=float), pd.Series(case["current"], dtype=float)
        ref_shares, cur_shares = get_binned_data(ref, cur, ColumnType.Numerical, 30, False)
        numeric.append(
            {
                "name": case["name"],
                "normed_wasserstein": float(
                    wd_module._wasserstein_distance_norm(ref, cur, ColumnType.Numerical, 0.1)[0]
                ),
                "psi": float(psi_module._psi(ref, cur, ColumnType.Numerical, 0.1)[0]),
                "jensen_shannon": js(ref, cur, ColumnType.Numerical),
                "reference_shares": ref_shares.tolist(),
                "current_shares": cur_shares.tolist(),
            }
        )
    document = {
        "produced_by": {
            "implementation": "tests/processors/drift/testdata/make_evidently_values.py",
            "library": f"evidently {evidently.__version__}",
            "with": f"pandas {pd.__version__}, numpy {np.__version__}, scipy {scipy.__version__}",
        },
        "category_cases": categories,
        "numeric_cases": numeric,
    }
    (HERE / "evidently_values.json").write_text(json.dumps(document, indent=1) + "\n")


def js(reference: pd.Series, current: pd.Series, kind: ColumnType) -> float:
    return float(js_module._jensenshannon(reference, current, kind, 0.1, base=2)[0])


def get_binned_order(reference: pd.Series, current: pd.Series) -> list[str]:
    """The category order of Evidently's share vectors (its union of values)."""
    return [str(value) for value in get_unique_not_nan_values_list_from_series(current, reference)]


if __name__ == "__main__":
    main()
