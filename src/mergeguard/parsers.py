"""Parsers of tools' reports by tool name, for reports made elsewhere (`convert`, `scan --report`)."""

from __future__ import annotations

import sys
from collections.abc import Mapping
from pathlib import Path
from types import MappingProxyType
from typing import ClassVar, Protocol

from mergeguard import jsonload
from mergeguard.errors import ScannerError, UsageError
from mergeguard.model import Finding
from mergeguard.report.text import plain
from mergeguard.scanners.base import Target, ToolOutput
from mergeguard.scanners.checkov import CheckovScanner
from mergeguard.scanners.converted import BanditReport, HadolintReport
from mergeguard.scanners.detect_secrets import DetectSecretsReport
from mergeguard.scanners.gitleaks import GitleaksScanner
from mergeguard.scanners.grype import GrypeReport
from mergeguard.scanners.pip_audit import PipAuditReport
from mergeguard.scanners.safety import SafetyReport
from mergeguard.scanners.sarif_input import SarifReport
from mergeguard.scanners.trivy import TrivyReport

STDIN = "-"


class ReportParser(Protocol):
    """Anything that turns one tool's report into findings (every scanner adapter is one)."""

    name: ClassVar[str]

    def parse(self, output: ToolOutput, target: Target) -> list[Finding]:
        """Findings from the report; ParseError (or ScannerError) when it is not that tool's report."""
        ...


# Keyed by the `--tool` names. Where the gate's adapter reads every version users have, it is used
# as is (Checkov, Gitleaks); the others are the same adapters opened to older formats (Bandit,
# hadolint), read without the gate's run-time context (detect-secrets: no `.secrets.baseline`
# subtraction, a baseline is the report), or parsers of tools the gate does not run.
_PARSERS: tuple[ReportParser, ...] = (
    TrivyReport(),
    CheckovScanner(),
    BanditReport(),
    DetectSecretsReport(),
    GitleaksScanner(),
    HadolintReport(),
    PipAuditReport(),
    SafetyReport(),
    GrypeReport(),
    SarifReport(),
)
PARSERS: Mapping[str, ReportParser] = MappingProxyType({parser.name: parser for parser in _PARSERS})


def parse_file(tool: str, text: str, root: Path, source: str) -> list[Finding]:
    """Findings from `text`, a `tool` report read from `source` (a file name, or "-" for stdin).

    Paths become relative to `root` (--root). Anything that is not what `tool` writes is a
    UsageError (exit 2) with one line: "SOURCE: not a TOOL report: why".
    """
    parser = PARSERS.get(tool)
    if parser is None:
        raise UsageError(f"--tool: unknown tool {tool!r} (known: {', '.join(PARSERS)})")
    target = Target(root=root, files=(), repo=root)
    try:
        return parser.parse(ToolOutput(text), target)
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
