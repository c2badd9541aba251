"""PSI, Jensen–Shannon and normed Wasserstein against values Evidently computed.

The values are in testdata/evidently_values.json.

Recorded by testdata/make_evidently_values.py with the Evidently version named in the file (not a
dependency of inferwatch). Evidently bins numeric data differently (Sturges-rule bins over both
samples instead of reference deciles) and replaces a share of 0 by 0.0001 instead of inferwatch's
epsilon on every bin, so PSI and Jensen–Shannon are compared on the shares Evidently binned, and
PSI only where no share is 0; the epsilon is then made negligible (1e-15).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from processors.drift.stats import (
    align_counts,
    category_psi,
    jensen_shannon_distance,
    normed_wasserstein,
    psi,
)

TESTDATA = Path(__file__).parent / "testdata"
EVIDENTLY = json.loads((TESTDATA / "evidently_values.json").read_text())
INPUTS = {
    case["name"]: case
    for case in json.loads((TESTDATA / "reference_values.json").read_text())["sample_cases"]
}
TINY = 1e-15


def test_the_file_says_which_library_produced_it():
    assert EVIDENTLY["produced_by"]["library"].startswith("evidently ")


@pytest.mark.parametrize("case", EVIDENTLY["category_cases"], ids=lambda case: case["name"])
def test_category_psi_and_jensen_shannon_equal_evidently(case):
    counts = align_counts(
        dict(zip(case["categories"], case["reference"], strict=True)),
        dict(zip(case["categories"], case["current"], strict=True)),
    )
    assert category_psi(counts, epsilon=TINY) == pytest.approx(case["psi"], rel=1e-9)
    # the default epsilon (1e-4 on every bin) moves PSI by less than 0.5% when no share is 0
    assert category_psi(counts) == pytest.approx(case["psi"], rel=5e-3)
    assert jensen_shannon_distance(counts.reference, counts.current) == pytest.approx(
        case["jensen_shannon"], rel=1e-9
    )


@pytest.mark.parametrize("case", EVIDENTLY["numeric_cases"], ids=lambda case: case["name"])
def test_numeric_statistics_equal_evidently(case):
    inputs = INPUTS[case["name"]]
    assert normed_wasserstein(inputs["reference"], inputs["current"]) == pytest.approx(
        case["normed_wasserstein"], rel=1e-9
    )
    expected, actual = case["reference_shares"], case["current_shares"]
    assert jensen_shannon_distance(expected, actual) == pytest.approx(case["jensen_shannon"], rel=1e-9)
    if min(expected) > 0 and min(actual) > 0:
        assert psi(expected, actual, epsilon=TINY) == pytest.approx(case["psi"], rel=1e-9)


def test_some_numeric_case_compares_psi():
    assert any(
        min(case["reference_shares"]) > 0 and min(case["current_shares"]) > 0
        for case in EVIDENTLY["numeric_cases"]
    )
