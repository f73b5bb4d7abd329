"""Publishes a scan to GitHub: the sticky PR comment, the code scanning upload, the check run."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from mergeguard.core.policy import Assessed, FindingStatus, Verdict
from mergeguard.github import GitHubClient, GitHubError, WriteDenied
from mergeguard.github.context import ActionContext
from mergeguard.github.modes import Scope
from mergeguard.github.outcomes import Annotation, Conclusion, UploadStatus
from mergeguard.report import markdown, sarif_json
from mergeguard.report.levels import level_of
from mergeguard.scan.pipeline import ScanResult

ClientFactory = Callable[[ActionContext], GitHubClient]
_ANNOTATED = (FindingStatus.NEW, FindingStatus.EXPIRED)
# Code scanning refuses a log without runs (422, "1 item required"): every scanner failed or was skipped.
NO_RUN = (
    "upload-sarif skipped: the SARIF has no run to upload (every scanner failed or was skipped); "
    "code scanning keeps its previous analysis"
)


def make_client(ctx: ActionContext) -> GitHubClient:
    return GitHubClient(ctx.inputs.github_token, ctx.api_url, ctx.repository)


def publish(
    ctx: ActionContext, result: ScanResult, sarif_text: str, comment: str, factory: ClientFactory
) -> list[str]:
    """Notices for the log; a refused write or a failing API never changes the verdict.

    Each part (comment, SARIF upload, check run) is attempted on its own: one that fails leaves a notice
    and the next is still tried.
    """
    tasks, notes = _plan(ctx, result, sarif_text)
    if not tasks:
        return notes
    if not ctx.inputs.github_token:
        return [*notes, "no github-token: the PR comment, SARIF upload and check run are skipped"]
    try:
        client = factory(ctx)
    except GitHubError as exc:
        return [*notes, f"GitHub could not be updated (the verdict stands): {exc}"]
    with client:
        for task in tasks:
            try:
                notes.extend(task(client, ctx, result, sarif_text, comment))
            except GitHubError as exc:
                notes.append(f"GitHub could not be updated (the verdict stands): {exc}")
    return notes


Task = Callable[[GitHubClient, ActionContext, ScanResult, str, str], list[str]]


def _plan(ctx: ActionContext, result: ScanResult, sarif_text: str) -> tuple[list[Task], list[str]]:
    """What to send to GitHub for these inputs and this event, and notes on what is left out and why."""
    tasks: list[Task] = []
    notes: list[str] = []
    if ctx.pr_number is not None and ctx.inputs.comment.wants(has_findings(result.decision.assessed)):
        tasks.append(_comment)
    if ctx.inputs.upload_sarif and ctx.scope is not Scope.ALL:
        notes.append(
            "upload-sarif skipped: this scan covered only the changed files, and code scanning would mark "
            "every alert in the other files fixed; upload from a full scan (push, schedule)"
        )
    elif ctx.inputs.upload_sarif and not sarif_json.has_runs(sarif_text):
        notes.append(NO_RUN)
    elif ctx.inputs.upload_sarif:
        tasks.append(_upload)
    if ctx.inputs.check_name:
        tasks.append(_check_run)
    return tasks, notes


def has_findings(assessed: Sequence[Assessed]) -> bool:
    """For `comment: on-findings`: something new, expired or blocking to talk about."""
    return any(a.blocking or a.status in _ANNOTATED for a in assessed)


def _comment(
    client: GitHubClient, ctx: ActionContext, result: ScanResult, sarif_text: str, body: str
) -> list[str]:
    if ctx.pr_number is None:
        return []
    author = ctx.inputs.comment_author or None
    outcome = client.upsert_comment(ctx.pr_number, body, markdown.MARKER, author=author)
    if isinstance(outcome, WriteDenied):
        return [outcome.notice]
    return [f"PR comment {outcome.action.value}: {outcome.url}"] if outcome.url else []


def _upload(
    client: GitHubClient, ctx: ActionContext, result: ScanResult, sarif_text: str, body: str
) -> list[str]:
    outcome = client.upload_sarif(sarif_text, ctx.sha, ctx.ref)
    if isinstance(outcome, WriteDenied):
        return [outcome.notice]
    errors = f": {'; '.join(outcome.errors)}" if outcome.errors else ""
    if outcome.status is UploadStatus.COMPLETE:
        return [f"code scanning upload {outcome.id}: complete"]
    return [f"code scanning upload {outcome.id or ''}: {outcome.status.value}{errors}".replace("  ", " ")]


def _check_run(
    client: GitHubClient, ctx: ActionContext, result: ScanResult, sarif_text: str, body: str
) -> list[str]:
    decision = result.decision
    conclusion = Conclusion.SUCCESS if decision.verdict is Verdict.PASS else Conclusion.FAILURE
    prefix = _repository_prefix(ctx, result)
    outcome = client.create_check_run(
        ctx.inputs.check_name,
        ctx.head_sha,
        conclusion=conclusion,
        title=f"mergeguard: {decision.verdict.value} ({decision.reason})"[:255],
        summary=markdown.render_summary(result),
        annotations=[
            _annotation(a, prefix) for a in sorted(decision.assessed, key=_order) if a.status in _ANNOTATED
        ],
    )
    if isinstance(outcome, WriteDenied):
        return [outcome.notice]
    return [f"check run {ctx.inputs.check_name!r}: {conclusion.value}, {outcome.annotations} annotations"]


def _repository_prefix(ctx: ActionContext, result: ScanResult) -> str:
    """The scanned directory's path in the repository ("" or "app/"): the Checks API places annotations
    on repository paths, which are not the workspace's when actions/checkout was given a `path:` (as
    in SARIF). Outside a repository, the workspace is taken for it."""
    repo = result.changes.repo
    return repo.prefix if repo is not None else ctx.path_prefix


def _order(assessed: Assessed) -> tuple[bool, int]:
    return (not assessed.blocking, -assessed.finding.severity)


def _annotation(assessed: Assessed, prefix: str) -> Annotation:
    f = assessed.finding
    level = level_of(assessed)
    title = f"{f.severity.label} {f.rule_id}: {f.title}"
    seen = f" (seen by {', '.join(f.tools)})" if len(f.tools) > 1 else ""
    loc = f.location
    return Annotation(prefix + loc.path, loc.start_line, loc.end_line, level, title, f.message + seen)
