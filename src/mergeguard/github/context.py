"""Everything `mergeguard action` needs from GitHub, read once from the environment and the event file."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from mergeguard.core import jsonload
from mergeguard.core.errors import UsageError
from mergeguard.core.jsonfields import dig, need
from mergeguard.core.model import Severity
from mergeguard.github.modes import CommentMode, Scope, parse_comment, parse_scope
from mergeguard.report.writers import WRITERS

# The events whose payload is a pull request's (`pull_request`: its number, base and head). Under all
# but `pull_request_target` the workflow runs on GitHub's merge commit of it (GITHUB_SHA, refs/pull/N/merge).
MERGE_REF_EVENTS = ("pull_request", "pull_request_review", "pull_request_review_comment")
_PR_EVENTS = (*MERGE_REF_EVENTS, "pull_request_target")
_SHA = re.compile(r"[0-9a-f]{40}|[0-9a-f]{64}", re.IGNORECASE)  # SHA-1 or SHA-256
_ZERO_SHA = "0" * 40
_T = TypeVar("_T")
SARIF_FILE = "mergeguard.sarif"
_FILE_DEFAULTS = {"sarif": SARIF_FILE}  # always written: code scanning uploads it


@dataclass(frozen=True, slots=True)
class ActionInputs:
    """The action's inputs (action.yml), validated."""

    github_token: str = ""
    fail_on: Severity | None = None
    scanners: str = ""
    config: str = ""
    baseline: str = ""
    images: str = ""
    base_images: str = ""  # the base branch's images (pull requests): their advisories are pre-existing
    base_reports: str = ""  # or their reports, TOOL=FILE, made by an earlier step
    vuln_db_dir: str = ""  # Trivy's vulnerability database cache (restore and save it with actions/cache)
    offline: bool = False
    scope: Scope | None = None  # None: changed on pull requests, all otherwise
    comment: CommentMode = CommentMode.ALWAYS
    comment_author: str = ""  # whose marked comment is ours to edit ("" = the token's own identity)
    upload_sarif: bool = False
    # `FORMAT-file` for every report format: (format, path as given, "" = not written); SARIF always.
    report_files: tuple[tuple[str, str], ...] = (("sarif", SARIF_FILE),)
    check_name: str = ""
    annotations: bool = True
    working_directory: str = "."
    shard: str = ""  # "I/N": scan shard I of N, write json-file, publish nothing ("" = no sharding)
    merge_reports: str = ""  # shard reports (paths or globs in the workspace) to fold and publish


@dataclass(frozen=True, slots=True)
class ActionContext:
    """Where the action runs: inputs, repository, event, and the files GitHub reads back."""

    inputs: ActionInputs
    workspace: Path
    event_name: str
    repository: str
    server_url: str
    api_url: str
    sha: str
    ref: str
    head_sha: str
    base_sha: str | None
    pr_number: int | None
    merge_sha: str | None  # the payload's `pull_request.merge_commit_sha`: GitHub's merge commit of it
    summary_file: Path | None
    output_file: Path | None

    @property
    def scope(self) -> Scope:
        """Changed (compare with the base) or all."""
        if self.inputs.scope is not None:
            return self.inputs.scope
        return Scope.CHANGED if self.pr_number is not None and self.base_sha else Scope.ALL

    @property
    def root(self) -> Path:
        return self.workspace / self.inputs.working_directory

    @property
    def path_prefix(self) -> str:
        """The scanned directory's path in the workspace ("" or "svc/"), for workspace-relative paths."""
        relative = Path(self.inputs.working_directory).as_posix().strip("/")
        return "" if relative in ("", ".") else relative.removeprefix("./") + "/"


def from_env(env: Mapping[str, str]) -> ActionContext:
    """The context GitHub hands a Docker action: INPUT_<NAME> (hyphens kept), GITHUB_*, the event file."""
    inputs = _inputs(env)
    event_name = env.get("GITHUB_EVENT_NAME", "")
    event = _event(env.get("GITHUB_EVENT_PATH", ""), event_name)
    sha = env.get("GITHUB_SHA", "")
    base, head, number = _commits(event_name, event, sha, env.get("GITHUB_EVENT_PATH", ""))
    return ActionContext(
        inputs=inputs,
        workspace=Path(env.get("GITHUB_WORKSPACE") or "."),
        event_name=event_name,
        repository=env.get("GITHUB_REPOSITORY", ""),
        server_url=env.get("GITHUB_SERVER_URL", "https://github.com").rstrip("/"),
        api_url=env.get("GITHUB_API_URL", "https://api.github.com").rstrip("/"),
        sha=sha,
        ref=env.get("GITHUB_REF", ""),
        head_sha=head,
        base_sha=base,
        pr_number=number,
        merge_sha=_merge_commit(event) if event_name in _PR_EVENTS else None,
        summary_file=Path(env["GITHUB_STEP_SUMMARY"]) if env.get("GITHUB_STEP_SUMMARY") else None,
        output_file=Path(env["GITHUB_OUTPUT"]) if env.get("GITHUB_OUTPUT") else None,
    )


def _inputs(env: Mapping[str, str]) -> ActionInputs:
    def get(name: str, default: str = "") -> str:
        """The input, or `default` when it is absent or empty (`${{ vars.X }}` unset gives '')."""
        return env.get(f"INPUT_{name.upper()}", "").strip() or default

    scope = parse_scope(get("scope"))
    comment = parse_comment(get("comment", "true"))
    return ActionInputs(
        github_token=get("github-token"),
        fail_on=_severity(get("fail-on")),
        scanners=get("scanners"),
        config=get("config"),
        baseline=get("baseline"),
        images=get("images"),
        base_images=get("base-images"),
        base_reports=get("base-reports"),
        vuln_db_dir=get("vuln-db-dir"),
        offline=_boolean("offline", get("offline", "false")),
        scope=scope,
        comment=comment,
        comment_author=get("comment-author"),
        upload_sarif=_boolean("upload-sarif", get("upload-sarif", "false")),
        report_files=tuple((fmt, get(f"{fmt}-file") or _FILE_DEFAULTS.get(fmt, "")) for fmt in WRITERS),
        check_name=get("check-name"),
        annotations=_boolean("annotations", get("annotations", "true")),
        working_directory=get("working-directory", "."),
        shard=get("shard"),
        merge_reports=get("merge-reports"),
    )


def _severity(text: str) -> Severity | None:
    try:
        return Severity.parse(text) if text else None
    except ValueError as exc:
        raise UsageError(f"input fail-on: {exc}") from None


def _boolean(name: str, text: str) -> bool:
    value = text.lower()
    if value not in ("true", "false"):
        raise UsageError(f"input {name}: {text!r} is not true or false")
    return value == "true"


def _event(path: str, name: str) -> dict[str, Any]:
    if not path:
        if name in _PR_EVENTS:  # its number, base and head are in the payload, and only there
            raise UsageError(f"GITHUB_EVENT_PATH is not set: a {name} event's payload names its pull request")
        return {}
    try:
        text = Path(path).read_text(encoding="utf-8-sig")  # a byte order mark (a file saved on Windows) read
    except OSError as exc:
        raise UsageError(f"GITHUB_EVENT_PATH {path}: cannot be read: {exc.strerror or exc}") from None
    except UnicodeDecodeError as exc:
        raise UsageError(f"GITHUB_EVENT_PATH {path}: not UTF-8 (byte {exc.start})") from None
    data = jsonload.loads(text, f"GITHUB_EVENT_PATH {path}")  # bounded: size and depth, one line
    if not isinstance(data, dict):
        raise UsageError(f"GITHUB_EVENT_PATH {path}: the event payload is not a JSON object")
    return data


def _commits(name: str, event: dict[str, Any], sha: str, path: str) -> tuple[str | None, str, int | None]:
    """(base sha or None, head sha for links, pull request number or None) for the event."""
    if name in _PR_EVENTS:
        number = _field(event, ("pull_request", "number"), int, path)
        base = _commit(event, ("pull_request", "base", "sha"), path)
        head = _commit(event, ("pull_request", "head", "sha"), path)
        return base, head, number
    if name == "merge_group":  # a base only matters for `scope: changed`, which says so when it is missing
        base = dig(event, ("merge_group", "base_sha"))
        return (base if isinstance(base, str) and base else None), sha, None
    if name == "push":
        before = event.get("before")
        return (before if isinstance(before, str) and before != _ZERO_SHA else None), sha, None
    return None, sha, None  # schedule, workflow_dispatch and the rest: a full scan


def _merge_commit(event: dict[str, Any]) -> str | None:
    """GitHub's merge commit of the pull request, if the payload names one (null while it is computed)."""
    sha = dig(event, ("pull_request", "merge_commit_sha"))
    return sha if isinstance(sha, str) and sha else None


def _commit(event: dict[str, Any], keys: tuple[str, ...], path: str) -> str:
    """A commit SHA of the payload, checked now: it goes into git commands and links."""
    sha = _field(event, keys, str, path)
    if not _SHA.fullmatch(sha):
        raise UsageError(f"GITHUB_EVENT_PATH {path}: {'.'.join(keys)} is not a commit SHA: {sha[:80]!r}")
    return sha


def _field(event: dict[str, Any], keys: tuple[str, ...], kind: type[_T], path: str) -> _T:
    what = "a number" if kind is int else "a string"
    problem = UsageError(f"GITHUB_EVENT_PATH {path}: {'.'.join(keys)} is missing or not {what}")
    return need(dig(event, keys), kind, lambda _: problem)
