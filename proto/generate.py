"""Generate the Python code of the project's own protos (proto/README.md).

Usage, from the repository root:  python proto/generate.py          (rewrite the checked-in code)
                                  python proto/generate.py --check  (exit 1 when it is stale)

Reads: ``proto/inferwatch/v1/*.proto``. Writes: ``gateway/feedback/pb/<name>_pb2.py`` and ``.pyi``.
Needs grpcio-tools (the ``dev`` extra). Only the messages are generated: the gateway serves the
service with a generic handler that decodes the request itself (so that an undecodable request is
INVALID_ARGUMENT, not INTERNAL), and ``gateway.feedback.client`` calls it by the method path taken from
the generated descriptor; a ``_pb2_grpc`` module would also pin grpcio to the generator's version.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PROTO_ROOT = ROOT / "proto"
SOURCES = ("inferwatch/v1/feedback.proto",)
OUTPUT = ROOT / "gateway" / "feedback" / "pb"


def generate(output: Path) -> list[Path]:
    """Run protoc on every source; put ``<name>_pb2.py``/``.pyi`` flat into ``output``."""
    from grpc_tools import protoc  # dev dependency: imported only when generating

    output.mkdir(parents=True, exist_ok=True)
    written = []
    with tempfile.TemporaryDirectory() as scratch:
        include = Path(protoc.__file__).parent / "_proto"
        for source in SOURCES:
            arguments = [
                "protoc",
                f"-I{PROTO_ROOT}",
                f"-I{include}",
                f"--python_out={scratch}",
                f"--pyi_out={scratch}",
                source,
            ]
            if protoc.main(arguments) != 0:
                raise RuntimeError(f"protoc failed on proto/{source}")
            stem = source[: -len(".proto")]
            for suffix in ("_pb2.py", "_pb2.pyi"):
                generated = Path(scratch) / f"{stem}{suffix}"
                target = output / generated.name
                target.write_bytes(generated.read_bytes())
                written.append(target)
    return written


def stale_files(output: Path = OUTPUT) -> list[str]:
    """Names of checked-in generated files that differ from a fresh generation (or are missing)."""
    with tempfile.TemporaryDirectory() as fresh:
        stale = []
        for generated in generate(Path(fresh)):
            checked_in = output / generated.name
            if not checked_in.exists() or checked_in.read_bytes() != generated.read_bytes():
                stale.append(generated.name)
        return stale


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only check that the checked-in code is fresh")
    args = parser.parse_args(argv)
    if args.check:
        stale = stale_files()
        if stale:
            print(f"stale generated code: {', '.join(stale)}; run: python proto/generate.py", file=sys.stderr)
            return 1
        print("generated code is up to date")
        return 0
    for path in generate(OUTPUT):
        print(f"wrote {path.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
