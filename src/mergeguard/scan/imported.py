"""Reading report files made elsewhere (`convert`, `scan --report`) with the registry's readers."""

from __future__ import annotations

import sys
from pathlib import Path

from mergeguard.core import jsonload
from mergeguard.core.errors import ScannerError, UsageError
from mergeguard.core.model import Finding
from mergeguard.core.text import plain
from mergeguard.scan.registry import READERS
from mergeguard.scanners.base import IncompleteReport, Target, ToolOutput

STDIN = "-"


def parse_file(tool: str, text: str, root: Path, source: str) -> list[Finding]:
    """Findings from `text`, a `tool` report read from `source` (a file name, or "-" for stdin).

    Paths become relative to `root` (--root). Anything that is not what `tool` writes is a
    UsageError (exit 2) with one line: "SOURCE: not a TOOL report: why". A report saying its tool
    did not complete raises IncompleteReport (with the findings it holds).
    """
    reader = READERS.get(tool)
    if reader is None:
        raise UsageError(f"--tool: unknown tool {tool!r} (known: {', '.join(READERS)})")
    target = Target(root=root, files=(), repo=root)
    try:
        return reader.parse(ToolOutput(text), target)
    except IncompleteReport:
        raise  # the tool's report, saying its run failed: the caller's scanner failure
    except (ScannerError, ValueError) as exc:
        raise UsageError(f"{plain(source)}: not a {tool} report: {plain(_reason(exc, tool))}") from None


def read_report(source: str) -> str:
    """The text of `source` ("-": standard input): UTF-8 with or without BOM, or UTF-16 with a BOM
    (what PowerShell's `>` writes). UsageError naming the source when it cannot be read."""
    try:
        data = _read_bounded(source)
    except OSError as exc:
        raise UsageError(f"{plain(source)}: cannot read: {exc.strerror or exc}") from None
    if len(data) > jsonload.MAX_BYTES:
        raise UsageError(f"{plain(source)}: larger than the {jsonload.MAX_BYTES:,} bytes a report may have")
    encoding = "utf-16" if data[:2] in (b"\xff\xfe", b"\xfe\xff") else "utf-8-sig"
    try:
        return data.decode(encoding)
    except UnicodeDecodeError:
        raise UsageError(f"{plain(source)}: not a text report (not UTF-8 or UTF-16)") from None


def _read_bounded(source: str) -> bytes:
    """At most one byte more than a report may have: a huge file is refused, not read into memory."""
    if source == STDIN:
        return sys.stdin.buffer.read(jsonload.MAX_BYTES + 1)
    with Path(source).open("rb") as stream:
        return stream.read(jsonload.MAX_BYTES + 1)


def _reason(exc: Exception, tool: str) -> str:
    """The error's first line, without the tool's name the message may already start with."""
    text = (str(exc).strip().splitlines() or ["unreadable"])[0]
    return text.removeprefix(f"{tool}: ")
