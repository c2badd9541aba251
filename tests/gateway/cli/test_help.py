"""Every command and action explains itself with examples in ``--help`` (version excepted)."""

from __future__ import annotations

import argparse

import pytest

from gateway.cli.main import build_parser


def _parsers(parser: argparse.ArgumentParser, name: str = "inferwatch"):
    yield name, parser
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for sub_name, sub in action.choices.items():
                yield from _parsers(sub, f"{name} {sub_name}")


ALL = [(name, parser) for name, parser in _parsers(build_parser()) if name != "inferwatch version"]


@pytest.mark.parametrize(("name", "parser"), ALL, ids=[name for name, _ in ALL])
def test_help_has_examples(name: str, parser: argparse.ArgumentParser) -> None:
    text = parser.format_help()
    assert "Examples:" in text or "Start with:" in text, f"`{name} --help` shows no example"
    assert f"  {name}" in text or name == "inferwatch", f"`{name} --help` has no example of {name}"
