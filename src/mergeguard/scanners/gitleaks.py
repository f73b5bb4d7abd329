"""Gitleaks on the scanned tree (`dir`) or on a pull request's commits (`git`); secrets hashed on sight."""

from __future__ import annotations

import hashlib
import re
import tomllib
from pathlib import Path
from typing import Any, ClassVar, TypeVar

from mergeguard.core.changes import CommitRange
from mergeguard.core.errors import ParseError, ScannerError
from mergeguard.core.filekinds import FileKind
from mergeguard.core.jsonfields import or_empty
from mergeguard.core.model import Finding, Kind, Location, Severity
from mergeguard.scanners.base import Command, Target, ToolOutput, load_json, relative_path
from mergeguard.scanners.ignorefiles import line_ignores
from mergeguard.scanners.tool import ConfigFile, Tool
from mergeguard.scanners.toolconfig import Unusable

_T = TypeVar("_T")
TOOL = "gitleaks"

# Keyed by Gitleaks' RuleID (8.30.1 ships 222 rules). Gitleaks rates nothing, and every rule
# matches a credential, so every rule is HIGH, except a clear-text private key, which is a whole
# credential on its own: CRITICAL. Rules from a repository's own .gitleaks.toml are HIGH too.
SEVERITIES: dict[str, Severity] = {
    "private-key": Severity.CRITICAL,
    "age-secret-key": Severity.CRITICAL,
    "Asymmetric Private Key": Severity.CRITICAL,  # Gitleaks v7's rule name for the same key
}
DEFAULT_SEVERITY = Severity.HIGH

# JSON on stdout, exit 0 with leaks (so any other status is a crash), no banner or colour, and
# the info level, at which git mode logs "N commits scanned." (read by `check_log`).
_COMMON = (
    "--report-format",
    "json",
    "--report-path",
    "-",
    "--no-banner",
    "--no-color",
    "--exit-code",
    "0",
    "--log-level",
    "info",
)
_ANSI = re.compile(r"\x1b\[[0-9;]*m")
_ERROR_LINE = re.compile(r"^(?:\S+\s+)?(?:ERR|FTL)\s+(.*\S)")  # "7:54AM ERR [git] fatal: ..."
_SCANNED = re.compile(r"\b(\d+) commits scanned\b")
# gitleaks splits --log-opts at spaces and hands the pieces to `git log`: a revision must be one
# piece and must not read as an option.
_REVISION = re.compile(r"[0-9A-Za-z][\w./@^~{}+-]*")


class GitleaksScanner:
    """Gitleaks: `dir` on the view without a commit range, `git` on base..head with one."""

    name: ClassVar[str] = TOOL
    executable: ClassVar[str] = TOOL
    applies_to: ClassVar[frozenset[FileKind]] = frozenset({FileKind.ANY})
    version_args: ClassVar[tuple[str, ...]] = ("version",)

    def command(self, exe: str, target: Target) -> Command:
        commits = target.commit_range
        if commits is None:
            # "." (the runner's working directory is target.root), not the absolute root: gitleaks
            # then reports and fingerprints root-relative paths, as .gitleaksignore entries are
            # written; with an absolute root no entry matches. .gitleaks.toml is read from ./ too.
            return Command((exe, "dir", *_COMMON, "--", "."))
        # `--platform none`: no `git ls-remote` to build links nobody reads. The source is the git
        # directory, not the work tree: Gitleaks reads `.gitleaks.toml` and `.gitleaksignore` from
        # its source whatever flags say, and the work tree's copies are the change's. The view's
        # copies (the merge-base's) are used instead: `--config` here, `.gitleaksignore` from ./.
        config = target.root / ".gitleaks.toml"
        own = ("--config", str(config)) if config.is_file() and config.stat().st_size else ()
        argv = (exe, "git", *_COMMON, *own, "--platform", "none", "--log-opts", _log_range(commits))
        source = git_dir(target.repo)
        return Command((*argv, "--", str(source)), env=trust_repository(target.repo, source))

    def parse(self, output: ToolOutput, target: Target) -> list[Finding]:
        check_log(output.stderr, target.commit_range)
        records = load_json(output.report, TOOL)
        if not isinstance(records, list):
            raise ParseError(f"{TOOL}: the report is not a JSON list")
        findings = []
        for i, record in enumerate(records):
            if not isinstance(record, dict):
                raise ParseError(f"{TOOL}: report[{i}] is not an object")
            legacy = _is_v7(record)
            path = _path(_get(record, "file" if legacy else "File", str, f"report[{i}]"), target)
            if path is None:  # a commit's file outside the scanned directory
                continue
            build = _v7_finding if legacy else _finding
            findings.append(build(record, path, target, f"report[{i}]"))
        return findings


def git_dir(repo: Path) -> Path:
    """The git directory of the work tree `repo` (`.git`, or where a `.git` file points)."""
    dot_git = repo / ".git"
    if dot_git.is_file():
        text = dot_git.read_text(encoding="utf-8", errors="replace").strip()
        if text.startswith("gitdir:"):
            return (repo / text.removeprefix("gitdir:").strip()).resolve()
    return dot_git


def trust_repository(repo: Path, *more: Path) -> dict[str, str]:
    """Git configuration, through the environment, that trusts `repo` whoever owns it.

    In a container the checkout belongs to another user; git then refuses it ("dubious
    ownership") and gitleaks logs an error but exits 0 having scanned nothing.
    """
    paths = [str(repo), *(str(p) for p in more)]
    env = {"GIT_CONFIG_COUNT": str(len(paths))}
    for i, path in enumerate(paths):
        env.update({f"GIT_CONFIG_KEY_{i}": "safe.directory", f"GIT_CONFIG_VALUE_{i}": path})
    return env


def _log_range(commits: CommitRange) -> str:
    for revision in (commits.base, commits.head):
        if not _REVISION.fullmatch(revision):
            raise ScannerError(f"{TOOL}: {revision!r} is not a revision git log can be given")
    # --text: the change's .gitattributes (`-diff`, `binary`) must not turn its lines into
    # "Binary files differ" (git log reads them from the tree); --no-textconv: no filter's output.
    return f"--text --no-textconv {commits.base}..{commits.head}"


def check_log(stderr: str, commits: CommitRange | None) -> None:
    """Fail when gitleaks' log shows an incomplete scan: an error, or not the commits asked for.

    `commits.count` is how many commits of the range add text lines (see gitrepo.commit_count), a
    lower bound of what Gitleaks counts (it also counts commits that only remove lines). None
    scanned while some commit adds text means an empty or unreadable range: a wrong base, an
    unsafe repository, a shallow clone.
    """
    text = _ANSI.sub("", stderr)
    errors = [m.group(1) for m in map(_ERROR_LINE.match, text.splitlines()) if m]
    if errors:
        raise ScannerError(f"{TOOL} logged an error, so its scan is incomplete: {errors[0]}")
    if commits is None:
        return
    match = _SCANNED.search(text)
    if match is None:
        raise ParseError(f"{TOOL} did not log how many commits it scanned")
    scanned = int(match.group(1))
    if scanned == 0 and commits.count > 0:
        raise ScannerError(
            f"{TOOL} scanned 0 commits in {commits.base[:12]}..{commits.head[:12]}, "
            f"where {commits.count} add text (a wrong base, an unsafe or shallow repository?)"
        )


def _path(reported: str, target: Target) -> str | None:
    """A repo-relative path; git mode reports paths from the git top-level, outside `prefix` too."""
    if target.commit_range is None:
        return relative_path(reported, target)
    prefix = target.prefix.strip("/")
    prefix = prefix + "/" if prefix else ""
    if not reported.startswith(prefix):
        return None
    return relative_path(reported[len(prefix) :], target)


def _finding(record: dict[str, Any], path: str, target: Target, where: str) -> Finding:
    rule_id = _get(record, "RuleID", str, where)
    if not rule_id:
        raise ParseError(f"{TOOL}: {where}.RuleID is missing")
    description = _get(record, "Description", str, where) or rule_id
    start = _get(record, "StartLine", int, where)
    return Finding(
        tool=TOOL,
        rule_id=rule_id,
        severity=SEVERITIES.get(rule_id, DEFAULT_SEVERITY),
        title=_title(description),
        message=description,  # never Match or Secret: both hold the clear secret
        location=Location(path, start, _get(record, "EndLine", int, where), _column(record, target, where)),
        kind=Kind.SECRET,
        cwe_ids=("CWE-798",),
        commit=_commit(record, target, where),
        evidence=_evidence(record, where),
    )


def _is_v7(record: dict[str, Any]) -> bool:
    """A record of Gitleaks 7 or older: lower-case keys, the secret in `offender`, its line in `line`."""
    return "RuleID" not in record and "rule" in record and "offender" in record


def _v7_finding(record: dict[str, Any], path: str, target: Target, where: str) -> Finding:
    """A v7 record: `offender` and `line` hold the clear secret, so only their hash is kept."""
    rule = _get(record, "rule", str, where)
    offender = _get(record, "offender", str, where)
    if not rule or not offender:
        raise ParseError(f"{TOOL}: {where} has no rule or offender")
    tags = _get(record, "tags", str, where)
    return Finding(
        tool=TOOL,
        rule_id=rule,
        severity=SEVERITIES.get(rule, DEFAULT_SEVERITY),
        title=rule,
        message=f"Potential secret found by Gitleaks' {rule} rule" + (f" (tags: {tags})" if tags else ""),
        location=Location(path, _get(record, "lineNumber", int, where)),  # before v6: no line number
        kind=Kind.SECRET,
        cwe_ids=("CWE-798",),
        commit=_v7_commit(record, where),
        evidence=hashlib.sha256(offender.encode("utf-8", "surrogatepass")).hexdigest(),
    )


def _v7_commit(record: dict[str, Any], where: str) -> str | None:
    """The commit, except none (dir mode) or all zeros (v6 and v7's "staged changes")."""
    commit = _get(record, "commit", str, where)
    return commit if commit.strip("0") else None


def _title(description: str) -> str:
    """The description's first clause: "Identified a Private Key, which may…" → "Identified a Private Key"."""
    return description.split(", ", 1)[0].rstrip(".")


def _column(record: dict[str, Any], target: Target, where: str) -> int | None:
    """StartColumn corrected: gitleaks counts the newline before every line but a fragment's first.

    In dir mode a fragment is the file (measured on 8.30.1), so lines after the first are one too
    high. In git mode a fragment is a diff hunk, which the report does not give: no column.
    """
    column = _get(record, "StartColumn", int, where)
    if column < 1 or target.commit_range is not None or _get(record, "Commit", str, where):
        return None
    return column - 1 if _get(record, "StartLine", int, where) > 1 and column > 1 else column


def _commit(record: dict[str, Any], target: Target, where: str) -> str | None:
    if target.commit_range is None:  # dir mode has none; a git-mode report read by `convert` keeps it
        return _get(record, "Commit", str, where) or None
    commit = _get(record, "Commit", str, where)
    if not commit:
        raise ParseError(f"{TOOL}: {where}.Commit is missing from a git-history finding")
    return commit


def _evidence(record: dict[str, Any], where: str) -> str:
    """sha256 of the secret, or of the match for a rule on file names ("file detected: x.p12": no secret)."""
    secret = _get(record, "Secret", str, where) or _get(record, "Match", str, where)
    if not secret:
        raise ParseError(f"{TOOL}: {where} has neither Secret nor Match")
    return hashlib.sha256(secret.encode("utf-8", "surrogatepass")).hexdigest()


def _get(record: dict[str, Any], key: str, kind: type[_T], where: str) -> _T:
    """`record[key]` checked to be a `kind`; absent or null gives the empty `kind()` ("" or 0)."""
    return or_empty(record.get(key), kind, lambda _: _not_a(kind, f"{where}.{key}"))


def _not_a(kind: type, where: str) -> ParseError:
    return ParseError(f"{TOOL}: {where} is not a {kind.__name__}")


_TABLE = re.compile(r"^\s*\[+\s*([^\]]+?)\s*\]+")
_EXTEND_KEY = re.compile(r"""^\s*(?:extend\s*\.\s*)?["']?(path|url)["']?\s*=""")


def _config(data: bytes, notes: list[str]) -> bytes:
    """Regex rules kept; `[extend] path` (another config anywhere on disk) removed, `useDefault` kept."""
    config = tomllib.loads(data.decode("utf-8"))
    extend = config.get("extend")
    if not isinstance(extend, dict) or not ({"path", "url"} & extend.keys()):
        return data
    text = _drop_extend_path(data.decode("utf-8"))
    again = tomllib.loads(text).get("extend")
    if isinstance(again, dict) and {"path", "url"} & again.keys():
        raise Unusable("[extend] path could not be removed")
    notes.append("ignored key 'extend.path'")
    return text.encode("utf-8")


def _drop_extend_path(text: str) -> str:
    lines, table = [], ""
    for line in text.splitlines(keepends=True):
        header = _TABLE.match(line)
        if header:
            table = header.group(1).replace(" ", "")
        key = _EXTEND_KEY.match(line)
        in_extend = table == "extend" or (table == "" and line.lstrip().startswith("extend"))
        if not (key and in_extend):
            lines.append(line)
    return "".join(lines)


_IGNORE_FILE = ".gitleaksignore"
TOOLS = (
    Tool(
        TOOL,
        homepage="https://github.com/gitleaks/gitleaks",
        scanner=GitleaksScanner(),
        reader=GitleaksScanner(),
        start_order=70,
        shard_weight=2,
        config_files=(ConfigFile(".gitleaks.toml", _config), ConfigFile(_IGNORE_FILE)),
        policy_effects={_IGNORE_FILE: line_ignores},
        # Gitleaks 8's keyword-and-entropy catch-all; Gitleaks 7 named its counterpart by description.
        secret_heuristics=frozenset({"generic-api-key", "Generic Credential"}),
        sarif_kind=Kind.SECRET,
        precommit=True,
    ),
)
