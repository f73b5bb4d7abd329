"""Adapter for mergeguard's compose check, run as a tool (`python -m mergeguard.scanners.compose`).

No installed scanner checks compose files (measured: Trivy 0.76's `config` has no compose scanner and
drops `--misconfig-scanners compose` as invalid, Checkov 3.3.30 finds no resource in one, hadolint
reads Dockerfiles only), so a service with `privileged: true` passed where the same Pod blocked.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any, ClassVar

import mergeguard
from mergeguard.core.errors import ParseError
from mergeguard.core.filekinds import FileKind
from mergeguard.core.jsonfields import fits
from mergeguard.core.linecount import line_count
from mergeguard.core.model import Finding, Kind, Location
from mergeguard.scanners.base import Command, Target, ToolOutput, load_json, relative_path
from mergeguard.scanners.compose.__main__ import FORMAT
from mergeguard.scanners.compose.rules import RULES, SKIPPED
from mergeguard.scanners.tool import Tool

TOOL = "compose-check"
_MODULE = "mergeguard.scanners.compose"
# -P: the working directory (the view, written by the change) is not put on sys.path, so a
# `mergeguard/` folder in the repository cannot stand in for this package.
_PYTHON_ARGS = ("-P", "-m", _MODULE)
_HIT = {"file": str, "rule": str, "service": str, "line": int, "end_line": int, "detail": str}
_SKIP = {"file": str, "line": int, "reason": str}
_HELP = "https://github.com/compose-spec/compose-spec/blob/main/05-services.md"


class ComposeScanner:
    """The compose check on the compose files in scope, in a Python process of its own."""

    name: ClassVar[str] = TOOL
    executable: ClassVar[str] = Path(sys.executable).name  # the interpreter running mergeguard
    applies_to: ClassVar[frozenset[FileKind]] = frozenset({FileKind.COMPOSE})
    version_args: ClassVar[tuple[str, ...]] = (*_PYTHON_ARGS, "--version")

    def command(self, exe: str, target: Target) -> Command:
        """`python -P -m mergeguard.scanners.compose -- FILES`, importing this very mergeguard."""
        env = {"PYTHONPATH": str(Path(mergeguard.__file__).resolve().parents[1])}
        return Command(argv=(exe, *_PYTHON_ARGS, "--", *target.files), env=env)

    def parse(self, output: ToolOutput, target: Target) -> list[Finding]:
        """Findings from the check's report, one `skipped-file` for each file it could not read."""
        report = load_json(output.report, TOOL)
        if not isinstance(report, dict) or report.get("format") != FORMAT:
            raise ParseError(f"{TOOL}: the report is not the compose check's (format {FORMAT})")
        hits = [_finding(_record(item, _HIT), target) for item in _list(report, "results")]
        return hits + [_skipped(_record(item, _SKIP), target) for item in _list(report, "skipped")]


def _list(report: dict[str, Any], key: str) -> list[Any]:
    value = report.get(key)
    if not isinstance(value, list):
        raise ParseError(f"{TOOL}: the report has no {key!r} list")
    return value


def _record(item: Any, fields: dict[str, type]) -> dict[str, Any]:
    if not isinstance(item, dict) or not all(fits(item.get(k), kind) for k, kind in fields.items()):
        raise ParseError(f"{TOOL}: a report entry lacks one of {', '.join(fields)}: {item!r:.120}")
    return item


def _finding(item: dict[str, Any], target: Target) -> Finding:
    rule = RULES.get(item["rule"])
    if rule is None:
        raise ParseError(f"{TOOL}: unknown rule {item['rule']!r:.40}")
    service = item["service"]
    return Finding(
        tool=TOOL,
        rule_id=rule.id,
        severity=rule.severity,
        title=rule.title,
        message=f"{rule.title}: service {service!r} sets {item['detail']}",
        location=Location(relative_path(item["file"], target), item["line"], item["end_line"]),
        kind=Kind.MISCONFIGURATION,
        help_uri=_HELP,
        evidence=f"{service}\0{item['detail']}",  # the same setting of the same service, wherever it moves
    )


def _skipped(item: dict[str, Any], target: Target) -> Finding:
    path = relative_path(item["file"], target)
    return Finding(
        tool=TOOL,
        rule_id=SKIPPED.id,
        severity=SKIPPED.severity,
        title=SKIPPED.title,
        message=f"The compose check could not read this file ({item['reason']}), so no service in it"
        " was checked: any dangerous setting in it went unseen",
        location=Location(path, 1, line_count(target.root / path) or 1),
        kind=Kind.MISCONFIGURATION,
        evidence=SKIPPED.id,  # whole-file finding: identified by the file, not line 1
    )


TOOLS = (
    Tool(
        TOOL,
        homepage="https://github.com/compose-spec/compose-spec",
        scanner=ComposeScanner(),
        reader=ComposeScanner(),
        start_order=97,
        shard_weight=1,
        rescans_base=True,
        sarif_kind=Kind.MISCONFIGURATION,
        precommit=True,
        per_file=True,
    ),
)
