"""``inferwatch rules check FILE…``: validate alert rule files like ``promtool check rules``.

Reads: the rule files named on the command line (a directory means its *.yaml and *.yml files).
Writes: stdout (the report), stderr (usage problems). Exit status: 0 when every file is valid, 1 when a
file has errors, 2 for usage errors (a file that cannot be read). The loading is
``processors.alerting.rules``; this module reads files and prints.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from gateway.cli.file_check import check_files
from gateway.config.paths import yaml_file_paths
from processors.alerting.rules import RuleLoadError, count_rules, load_rules

HELP = """\
Check alert rule files: YAML syntax, keys, durations, severities (P0..P3), expressions and their signal
names, and annotation templates. Every error is printed as FILE:LINE:COLUMN: message.

A rule file is a list of rules (the guide's format) or Prometheus-style groups:

  - alert: HighErrorRate
    expr: error_rate > 0.05
    for: 5m
    severity: P1
    annotations:
      summary: "Error rate of {{ $labels.model }} is {{ $value }}"

Examples:
  inferwatch rules check deploy/rules/guide-examples.yaml
  inferwatch rules check deploy/rules/            (every *.yaml / *.yml in the directory)
  inferwatch rules check my-rules.yaml --format json

Exit status: 0 all files valid, 1 a file has errors, 2 a file could not be read.
The rule format and the expression language: docs/alert-rules.md.
"""


RULES_HELP = """\
Work with alert rule files (the gateway loads those named in alerting.rule_files).

Examples:
  inferwatch rules check deploy/rules/
  inferwatch rules check my-rules.yaml --format json

More: inferwatch rules check --help, docs/alert-rules.md.
"""


def register(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser(
        "rules",
        help="check alert rule files",
        description=RULES_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    actions = parser.add_subparsers(dest="rules_action", metavar="ACTION")
    check = actions.add_parser(
        "check",
        help="validate rule files and report every error as FILE:LINE:COLUMN",
        description=HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    check.add_argument("files", nargs="+", metavar="FILE", help="rule file (YAML) or directory of rule files")
    check.add_argument("--format", "-f", choices=("text", "json"), default="text", help="output format")
    check.set_defaults(run=run_check)
    parser.set_defaults(run=lambda args: parser.print_help() or 2)


def _check(path: Path) -> dict:
    """{file, rules, errors} of one readable file; OSError when it cannot be read."""
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        return {"file": str(path), "rules": 0, "errors": [f"{path}:1:1: not UTF-8 text: {error.reason}"]}
    try:
        groups = load_rules(text, str(path))
    except RuleLoadError as error:
        return {"file": str(path), "rules": error.rules_found, "errors": [str(e) for e in error.errors]}
    return {"file": str(path), "rules": count_rules(groups), "errors": []}


def run_check(args: argparse.Namespace) -> int:
    return check_files(
        yaml_file_paths(args.files),
        _check,
        lambda report: f"{report['rules']} rules found",
        args.format,
        "inferwatch rules check deploy/rules/",
    )
