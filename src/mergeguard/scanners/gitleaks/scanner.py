"""Gitleaks on the scanned tree (`dir`) or a pull request's commits (`git`, and `dir` on its files
rewritten for the secret scanners), its log checked for gaps."""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path
from typing import ClassVar

from mergeguard.core import gitrepo
from mergeguard.core.changes import CommitRange
from mergeguard.core.errors import ParseError, ScannerError
from mergeguard.core.filekinds import FileKind
from mergeguard.core.model import Finding
from mergeguard.scanners.base import Command, Target, ToolOutput, rewritten_copies
from mergeguard.scanners.gitleaks.report import TOOL, parse_report

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
        # copies (the base's) are used instead: `--config` and `--gitleaks-ignore-path` here.
        config = target.root / ".gitleaks.toml"
        own = ("--config", str(config)) if config.is_file() and config.stat().st_size else ()
        own = (*own, "--gitleaks-ignore-path", str(target.root))
        # `--ignore-gitleaks-allow`: every line it reads is one the change added, so a `gitleaks:allow`
        # there is the change's own suppression, not honoured before it is merged (scan.suppressions).
        argv = (exe, "git", *_COMMON, *own, "--platform", "none", "--ignore-gitleaks-allow")
        argv = (*argv, "--log-opts", _log_range(commits))
        source = git_dir(target.repo)
        env = git_settings(target.repo, source)
        if not _rewritten(target):
            return Command((*argv, "--", str(source)), env=env)
        # The commits hold a compose default or a credential named on another line as written, which
        # Gitleaks does not read as a secret: the view's rewritten copies (`scan.scope_dir`) are read
        # too, in `dir` mode from where they are laid out (so paths and `.gitleaksignore` entries are
        # root-relative, as in a scan without a range); the change's own `gitleaks:allow` is blanked there.
        again = (exe, "dir", *_COMMON, *own, "--", ".")
        return Command((*argv, "--", str(source)), env=env, cwd=rewritten_copies(target.root), then=(again,))

    def parse(self, output: ToolOutput, target: Target) -> list[Finding]:
        runs = output.runs or (output,)
        asked = 1 + (target.commit_range is not None and _rewritten(target))
        if len(runs) != asked:  # each run's report is read on its own: one missing is no "none found"
            raise ParseError(f"{TOOL}: {len(runs)} runs for {asked} asked")
        check_log(runs[0].stderr, target.commit_range)
        found = parse_report(runs[0].report, target)
        for run in runs[1:]:
            check_log(run.stderr, None)
            found += _rewritten_findings(parse_report(run.report, _rewritten_target(target)), found, target)
        return found


def _rewritten(target: Target) -> bool:
    """Whether any of the target's files is laid out rewritten beside the view (PR mode)."""
    copies = rewritten_copies(target.root)
    return copies.is_dir() and any((copies / path).is_file() for path in target.files)


def _rewritten_target(target: Target) -> Target:
    """The target of the `dir` run on the rewritten copies: their directory, no commits."""
    return replace(target, root=rewritten_copies(target.root), commit_range=None)


def _rewritten_findings(found: list[Finding], known: list[Finding], target: Target) -> list[Finding]:
    """The `dir` run's findings in the target's files, less those the range's run reported too (the
    same rule on the same line: one report, which keeps its commit)."""
    files, seen = set(target.files), {(f.location.path, f.location.start_line, f.rule_id) for f in known}
    return [
        f
        for f in found
        if f.location.path in files and (f.location.path, f.location.start_line, f.rule_id) not in seen
    ]


def git_dir(repo: Path) -> Path:
    """The git directory of the work tree `repo` (`.git`, or where a `.git` file points)."""
    dot_git = repo / ".git"
    if dot_git.is_file():
        text = dot_git.read_text(encoding="utf-8", errors="replace").strip()
        if text.startswith("gitdir:"):
            return (repo / text.removeprefix("gitdir:").strip()).resolve()
    return dot_git


def git_settings(repo: Path, *more: Path) -> dict[str, str]:
    """Git configuration, through the environment, that trusts `repo` whoever owns it and has the log
    printed as mergeguard's own git commands print (`gitrepo.GIT_SETTINGS`: every rename found, however
    many; git's own format, whatever the user's ~/.gitconfig says).

    In a container the checkout belongs to another user; git then refuses it ("dubious
    ownership") and gitleaks logs an error but exits 0 having scanned nothing.
    """
    trusted = [("safe.directory", str(path)) for path in (repo, *more)]
    settings = [*trusted, *gitrepo.GIT_SETTINGS]
    env = {"GIT_CONFIG_COUNT": str(len(settings))}
    for i, (key, value) in enumerate(settings):
        env.update({f"GIT_CONFIG_KEY_{i}": key, f"GIT_CONFIG_VALUE_{i}": value})
    return env


def _log_range(commits: CommitRange) -> str:
    for revision in (commits.base, commits.head):
        if not _REVISION.fullmatch(revision):
            raise ScannerError(f"{TOOL}: {revision!r} is not a revision git log can be given")
    # --text: the change's .gitattributes (`-diff`, `binary`) must not turn its lines into
    # "Binary files differ" (git log reads them from the tree); --no-textconv: no filter's output;
    # --remerge-diff: a merge's patch is what it changed beyond merging its parents (`git log -p`
    # shows a merge none, and a key written in its resolution went unread), empty for a clean merge.
    return f"--text --no-textconv --remerge-diff {commits.base}..{commits.head}"


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
