"""The contract every scanner adapter meets, and the values that cross it."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any, ClassVar, Protocol

from mergeguard.core import jsonload
from mergeguard.core.changes import CommitRange
from mergeguard.core.errors import ParseError, ScannerError
from mergeguard.core.filekinds import FileKind
from mergeguard.core.model import Finding
from mergeguard.vulns.database import VulnDb

_JSON_START = re.compile(r"^[ \t]*[\[{]", re.MULTILINE)
_WINDOWS_ABSOLUTE = re.compile(r"^[A-Za-z]:/")


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


def settings_copy(target: Target, name: str) -> Path:
    """Where a tool reads its settings from manifest `name` (pyproject.toml): the view's copy, or the
    base's, laid beside the view when the change's settings could not be swapped out of the copy
    the other scanners read (an inline `bandit = {…}` table, TOML that does not parse)."""
    beside = base_settings_path(target.root, name)
    return beside if beside.is_file() else target.root / name


def base_settings_path(view: Path, name: str) -> Path:
    """The base's copy of manifest `name` for a scan `view`: outside the view, so no scanner scans it."""
    return view.parent / "base-settings" / name


def rewritten_copies(view: Path) -> Path:
    """Where the view's files rewritten for the secret scanners (`scan.defaults`, `scan.namedvalues`)
    are laid out again, alone, in PR mode: outside the view, for Gitleaks, which reads the commits."""
    return view.parent / "rewritten"


@dataclass(frozen=True, slots=True)
class Command:
    """A process to run: argv (never through a shell), extra environment, accepted exit codes."""

    argv: tuple[str, ...]
    env: Mapping[str, str] = field(default_factory=dict)
    ok_exit_codes: frozenset[int] = frozenset({0})
    report_file: Path | None = None
    cwd: Path | None = None  # where it runs; None: the target's root (the view)
    # More runs of the tool, one after another, each with its own argv and the rest as above: for
    # a tool that takes one input set per run. Their reports follow the first back to back (each a
    # JSON value), stderr likewise; the exit status is the last non-zero one.
    then: tuple[tuple[str, ...], ...] = ()


@dataclass(frozen=True, slots=True)
class ToolOutput:
    """What a finished process left: its report text (stdout, or the report file), stderr, status."""

    report: str
    stderr: str = ""
    exit_code: int = 0
    # Each run's own output when the command had `then` runs (empty for one run): a run that crashed
    # is not hidden by the reports of the others.
    runs: tuple[ToolOutput, ...] = ()


class IncompleteReport(ScannerError):
    """A report whose tool says its run did not complete (SARIF `executionSuccessful: false`): a
    scanner failure (fail closed) that still carries the findings the run did report."""

    def __init__(self, reason: str, findings: Sequence[Finding]) -> None:
        super().__init__(reason)
        self.findings = tuple(findings)


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


def load_json(text: str, tool: str) -> Any:
    """Parse a tool's JSON report, skipping any banner lines printed before it; ParseError if none."""
    match = _JSON_START.search(text)
    if match is None:
        raise ParseError(f"{tool} printed no JSON report ({_excerpt(text)})")
    try:
        return jsonload.parse_whole(text, match.start())
    except jsonload.JsonProblem as exc:
        raise ParseError(f"{tool} printed unparseable JSON: {exc.detail}") from None


def relative_path(reported: str, target: Target) -> str:
    """A tool-reported path made repo-relative POSIX (absolute, `./`, leading `/`, Windows).

    A backslash is a Windows separator unless the name is one of the scanned files as written: on
    Linux `back\\slash.py` is a file of its own, and read as `back/slash.py` it would fall out of scope.
    """
    if (named := as_scanned(reported, target)) is not None:
        return named
    root = _root_prefix(target)
    text = _root_spelling(reported.replace("\\", "/"), target.root)
    if _WINDOWS_ABSOLUTE.match(text) and not text.startswith(root):  # a report made on Windows
        if not text.lower().startswith(root.lower()):  # placed only under a --root C:/…, any case
            raise ParseError(f"path {reported!r} is an absolute Windows path outside --root")
        text = root + text[len(root) :]
    text = _below(text, root)
    clean = PurePosixPath(text).as_posix()
    if not text or clean.startswith("../") or ".." in PurePosixPath(clean).parts:
        raise ParseError(f"path {reported!r} is outside the scanned directory")
    return _named_file(clean, target) if "\ufffd" in clean else clean


def as_scanned(reported: str, target: Target) -> str | None:
    """A reported path holding a backslash as one of the target's files, as written (only the root,
    `./` or a leading `/` taken off); None when it is not one."""
    if "\\" not in reported:
        return None
    text = _below(_root_spelling(reported, target.root), _root_prefix(target))
    return text if text in target.files else None


def under_root(reported: str, target: Target) -> bool:
    """Whether `reported` (absolute, POSIX separators) names a path below the root, however spelt."""
    return _root_spelling(reported, target.root).startswith(_root_prefix(target))


def _root_prefix(target: Target) -> str:
    return target.root.as_posix().rstrip("/") + "/"


def _root_spelling(text: str, root: Path) -> str:
    """`text` with the root spelt as given when it names the root another way: through a symlink to
    it or resolved (a tool handed the link's target, or run from `pwd -P`), or absolute where the
    root was given relative. Asked of the file system only for an absolute path not below the root."""
    given = root.as_posix().rstrip("/") + "/"
    if not text.startswith("/") or text.startswith(given):
        return text
    path = PurePosixPath(text)
    for ancestor in reversed(path.parents[:-1]):  # the last parent is `/`
        if _same_directory(ancestor, root):
            return given + path.relative_to(ancestor).as_posix()
    return text


def _same_directory(path: PurePosixPath, root: Path) -> bool:
    try:
        return Path(path).samefile(root)
    except OSError:  # absent (a path written from the scan root, `/app/x.py`), unreadable
        return False


def _below(text: str, root: str) -> str:
    """`text` without the root it starts with, then without leading `/` and `./`."""
    text = text.removeprefix(root)
    while text.startswith(("/", "./")):
        text = text[1:] if text.startswith("/") else text[2:]
    return text


def _named_file(path: str, target: Target) -> str:
    """The scanned file a Go tool wrote with U+FFFD for each byte that is not UTF-8 (Go's JSON
    encoder replaces them), when exactly one file fits; else the path as written."""
    fits = [f for f in target.files if "\ufffd" not in f and _as_go_writes(f) == path]
    return fits[0] if len(fits) == 1 else path


def _as_go_writes(name: str) -> str:
    try:
        return name.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
    except UnicodeEncodeError:  # a surrogate that stands for no byte: no Go tool wrote this name
        return name


def _excerpt(text: str) -> str:
    """What was printed instead, without its text: a tool's output may hold the secrets it found."""
    lines = [line for line in text.splitlines() if line.strip()]
    if not lines:
        return "empty output"
    return f"{len(lines)} line{'s' if len(lines) != 1 else ''} of other text"


@dataclass(frozen=True, slots=True)
class Job:
    """One scanner to run on one target, or to skip with a reason when `target` is None."""

    scanner: Scanner
    target: Target | None
    timeout_s: float
    skip_reason: str = ""
