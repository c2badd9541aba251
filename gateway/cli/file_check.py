"""The output and exit status of ``inferwatch rules check`` and ``inferwatch quality check``.

Reads: the files named. Writes: stdout (a report per file, text or JSON), stderr (unreadable files).
Exit status, like ``promtool check rules``: 0 every file valid, 1 a file has errors, 2 a file could not
be read. Each command passes its own ``check`` (a report dict with ``file`` and ``errors``) and the line
it prints for a valid file.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterable
from pathlib import Path


def check_files(
    paths: Iterable[Path],
    check: Callable[[Path], dict],
    success: Callable[[dict], str],
    output_format: str,
    example: str,
) -> int:
    """Check every file, print the reports; ``example`` is a command line shown when a file is unreadable."""
    reports = []
    unreadable = False
    for path in paths:
        try:
            reports.append(check(path))
        except OSError as error:
            unreadable = True
            print(
                f'inferwatch: cannot read rule file "{path}": {error.strerror or error}. '
                f"Pass the path of a YAML rule file or a directory of them, e.g. {example}",
                file=sys.stderr,
            )
    if output_format == "json":
        print(json.dumps(reports, indent=2))
    else:
        for report in reports:
            print(f"Checking {report['file']}")
            if report["errors"]:
                print(f"  FAILED: {len(report['errors'])} error(s)")
                print("\n".join(report["errors"]))
            else:
                print(f"  SUCCESS: {success(report)}")
            print()
    if unreadable:
        return 2
    return 1 if any(report["errors"] for report in reports) else 0
