"""`python -m mergeguard.scanners.compose -- FILES`: the compose check's JSON report on stdout.

Run by the compose adapter as a tool like any other (its own process, a timeout, the view as its
working directory); reads only the files named, executes nothing of them.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from mergeguard import __version__
from mergeguard.scanners.compose.check import check
from mergeguard.scanners.compose.document import Unreadable, load

FORMAT = 1  # the report's version: the adapter refuses any other


def report(files: list[str]) -> dict[str, Any]:
    """The findings on `files` (paths relative to the working directory) and the files not checked."""
    results: list[dict[str, Any]] = []
    skipped: list[dict[str, Any]] = []
    for name in files:
        try:
            hits = check(load(Path(name), name))
        except Unreadable as exc:
            skipped.append({"file": name, "line": exc.line or 1, "reason": exc.problem})
            continue
        results.extend({"file": name, **_record(hit)} for hit in hits)
    return {"format": FORMAT, "results": results, "skipped": skipped}


def _record(hit: Any) -> dict[str, Any]:
    return {
        "rule": hit.rule,
        "service": hit.service,
        "line": hit.line,
        "end_line": hit.end_line,
        "detail": hit.detail,
    }


def main(argv: list[str]) -> int:
    if argv[:1] == ["--version"]:
        print(f"mergeguard compose check {__version__}")
        return 0
    files = argv[1:] if argv[:1] == ["--"] else argv
    json.dump(report(files), sys.stdout, ensure_ascii=True)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
