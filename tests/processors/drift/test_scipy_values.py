"""PSI, Jensen–Shannon and normed Wasserstein against values scipy produced (testdata/scipy_values.json).

The recorded values were written by testdata/make_scipy_values.py with the scipy and numpy versions
named in the file; the inputs are those of testdata/reference_values.json.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from processors.drift.stats import (
    binned_jensen_shannon,
    jensen_shannon_distance,
    normed_wasserstein,
    psi,
    psi_from_samples,
)

TESTDATA = Path(__file__).parent / "testdata"
INPUTS = json.loads((TESTDATA / "reference_values.json").read_text())
SCIPY = json.loads((TESTDATA / "scipy_values.json").read_text())


def test_the_file_says_which_library_produced_it():
    assert SCIPY["produced_by"]["library"].startswith("scipy ")


@pytest.mark.parametrize("index", range(len(INPUTS["share_cases"])))
def test_share_cases(index):
    case, recorded = INPUTS["share_cases"][index], SCIPY["share_cases"][index]
    assert case["name"] == recorded["name"]
    assert psi(case["expected"], case["actual"], epsilon=case["epsilon"]) == pytest.approx(
        recorded["psi"], rel=1e-10
    )
    assert jensen_shannon_distance(case["expected"], case["actual"]) == pytest.approx(
        recorded["jensen_shannon"], rel=1e-10, abs=1e-12
    )


@pytest.mark.parametrize("index", range(len(INPUTS["sample_cases"])))
def test_sample_cases(index):
    case, recorded = INPUTS["sample_cases"][index], SCIPY["sample_cases"][index]
    assert case["name"] == recorded["name"]
    reference, current = case["reference"], case["current"]
    assert psi_from_samples(reference, current, case["bins"]).value == pytest.approx(
        recorded["psi"], rel=1e-10
    )
    assert binned_jensen_shannon(reference, current, case["bins"]) == pytest.approx(
        recorded["jensen_shannon_binned"], rel=1e-10
    )
    assert normed_wasserstein(reference, current) == pytest.approx(recorded["normed_wasserstein"], rel=1e-10)
