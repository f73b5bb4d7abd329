"""The contract every scanner adapter meets, and the values that cross it."""

from __future__ import annotations

import enum
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any, ClassVar, Protocol

from mergeguard.errors import ParseError
from mergeguard.filekinds import FileKind
from mergeguard.model import Finding
from mergeguard.vulndb import VulnDb

_JSON_START = re.compile(r"^[ \t]*[\[{]", re.MULTILINE)


@dataclass(frozen=True, slots=True)
class CommitRange:
    """The commits a pull request adds: `base..head`, and how many of them add text lines."""

    base: str
    head: str
    count: int


@dataclass(frozen=True, slots=True)
class Target:
    """What one scanner is asked to scan.

    `root` is the directory the tool runs in: a view holding only the files in scope, laid out
    as in the repository, so every path a tool reports is relative to the repository root.
    `files` are the repo-relative paths this scanner applies to (never empty when it runs).
    `repo` is the git top-level and `prefix` the scanned directory's path inside it ("" or
    "sub/dir/"), for tools that read git history. `workdir` is scratch space for report files.
    """

    root: Path
    files: tuple[str, ...]
    repo: Path
    prefix: str = ""
    commit_range: CommitRange | None = None
    workdir: Path = field(default_factory=Path)
    vuln_db: VulnDb = field(default_factory=VulnDb)  # Trivy's vulnerability database settings


@dataclass(frozen=True, slots=True)
class Command:
    """A process to run: argv (never through a shell), extra environment, accepted exit codes."""

    argv: tuple[str, ...]
    env: Mapping[str, str] = field(default_factory=dict)
    ok_exit_codes: frozenset[int] = frozenset({0})
    report_file: Path | None = None


@dataclass(frozen=True, slots=True)
class ToolOutput:
    """What a finished process left: its report text (stdout, or the report file), stderr, status."""

    report: str
    stderr: str = ""
    exit_code: int = 0


class Scanner(Protocol):
    """One scanner adapter: which files it applies to, the command it runs, a pure parser."""

    name: ClassVar[str]
    executable: ClassVar[str]
    applies_to: ClassVar[frozenset[FileKind]]
    version_args: ClassVar[tuple[str, ...]]

    def command(self, exe: str, target: Target) -> Command:
        """The command line that scans `target` with the tool at `exe`."""
        ...

    def parse(self, output: ToolOutput, target: Target) -> list[Finding]:
        """Findings from the tool's output; raises ParseError when it is not what the tool writes."""
        ...


class Status(enum.StrEnum):
    """The three ends of a scanner run: a result, not applicable, or no trustworthy result."""

    OK = "ok"
    SKIPPED = "skipped"
    FAILED = "failed"


@dataclass(frozen=True, slots=True)
class ScanOutcome:
    """How one scanner's run ended, with its findings when it ended well."""

    scanner: str
    status: Status
    findings: tuple[Finding, ...] = ()
    reason: str = ""
    version: str = ""
    duration_s: float = 0.0


def load_json(text: str, tool: str) -> Any:
    """Parse a tool's JSON report, skipping any banner lines printed before it; ParseError if none."""
    match = _JSON_START.search(text)
    if match is None:
        raise ParseError(f"{tool} printed no JSON report ({_excerpt(text)})")
    try:
        return json.loads(text[match.start() :])
    except json.JSONDecodeError as exc:
        raise ParseError(f"{tool} printed unparseable JSON: {exc.msg} at char {exc.pos}") from None


def relative_path(reported: str, target: Target) -> str:
    """A tool-reported path made repo-relative POSIX (absolute, `./`, leading `/`, Windows)."""
    text = reported.replace("\\", "/")
    root = target.root.as_posix().rstrip("/") + "/"
    if text.startswith(root):
        text = text[len(root) :]
    while text.startswith(("/", "./")):
        text = text[1:] if text.startswith("/") else text[2:]
    clean = PurePosixPath(text).as_posix()
    if not text or clean.startswith("../") or ".." in PurePosixPath(clean).parts:
        raise ParseError(f"path {reported!r} is outside the scanned directory")
    return clean


def _excerpt(text: str) -> str:
    flat = " ".join(text.split())
    if not flat:
        return "empty output"
    return repr(flat[:80] + ("..." if len(flat) > 80 else ""))
