"""Test-run options shared by every test package.

``--update-golden`` makes golden-file tests rewrite their ``testdata/`` files instead of comparing
with them; review the resulting diff before keeping it.
"""

from __future__ import annotations

import pytest


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--update-golden",
        action="store_true",
        default=False,
        help="rewrite golden files under testdata/ instead of comparing with them",
    )
