"""Config values that name files: a file, or a directory standing for its YAML files.

Reads: the file system (directory listings). Writes: nothing. Used for ``quality.rule_files`` and by
``inferwatch rules check`` / ``inferwatch quality check``.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path


def yaml_file_paths(names: Iterable[str]) -> list[Path]:
    """The files named, a directory standing for its *.yaml and *.yml files (sorted)."""
    paths: list[Path] = []
    for name in names:
        path = Path(name).expanduser()
        if path.is_dir():
            paths.extend(sorted(p for p in path.iterdir() if p.suffix in (".yaml", ".yml") and p.is_file()))
        else:
            paths.append(path)
    return paths
