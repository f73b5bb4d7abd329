"""`mergeguard action`: the gate as a GitHub Action — scan, then report where people look."""

from __future__ import annotations

from pathlib import Path

from mergeguard.core import basepolicy, config
from mergeguard.core.contained import inside, read_inside, text_of
from mergeguard.core.errors import UsageError
from mergeguard.core.gitrepo import run_git
from mergeguard.core.policy import FindingStatus
from mergeguard.core.text import plain
from mergeguard.github import checkout, sharding
from mergeguard.github.context import ActionContext
from mergeguard.github.modes import Scope
from mergeguard.github.publish import ClientFactory, make_client, publish
from mergeguard.report import markdown, markdown_text, workflow_commands, writers
from mergeguard.report.workflow_commands import command
from mergeguard.scan import pipeline, request, shards

SUMMARY_LIMIT = 1024 * 1024  # $GITHUB_STEP_SUMMARY: 1 MiB per step
NAMES = request.OptionNames(
    scanners="input scanners",
    timeout="input timeout",
    report="input reports: {!r}",
    base_report="input base-reports: {!r}",
    base_images="input base-images",
    base_reports="input base-reports",
    needs_base="inputs base-images and base-reports compare with the base branch: they need `scope: changed`"
    " on a pull request",
    shard="input shard splits the scanners: it cannot be used with images, base-images or base-reports",
)


def run(ctx: ActionContext, factory: ClientFactory = make_client) -> int:
    """Scan as the inputs say (or one shard, or merge the shards), write the step's files, publish to
    GitHub, exit with the verdict's status (a shard: 0 once its report is written, as `scan --shard`)."""
    _trust_checkout(ctx)
    ctx = checkout.measured(ctx)
    shard = sharding.shard_of(ctx)
    options = _options(ctx, shard)
    if shard is not None:
        _require_base(ctx)
        checkout.require_pull_request_code(ctx)
        line = sharding.scan_shard(ctx, options, shard)
        if ctx.summary_file is not None:
            _append(
                ctx.summary_file, f"{markdown_text.escape(line)}\n", "GITHUB_STEP_SUMMARY", "the job summary"
            )
        _write_outputs(ctx, None, {"json": sharding.json_file(ctx)})
        print(line)
        return 0
    if ctx.inputs.merge_reports:
        targets = writers.targets(_outputs(ctx), ctx.workspace)
        folded = sharding.fold(ctx, options)
        return _report(ctx, folded.result, _template(ctx, folded.config, folded.files), targets, factory)
    files = request.policy_files(options)
    settings = request.build_config(options, files)
    template = _template(ctx, settings, files)
    targets = writers.targets(_outputs(ctx), ctx.workspace)  # refused before the scan, not after it
    _require_base(ctx)
    checkout.require_pull_request_code(ctx)
    result = pipeline.scan(request.build_request(options, files), settings)
    return _report(ctx, result, template, targets, factory)


def _report(
    ctx: ActionContext,
    result: pipeline.ScanResult,
    template: str | None,
    targets: dict[writers.Output, Path],
    factory: ClientFactory,
) -> int:
    """The result written, summed up, annotated and published; the verdict's exit status."""
    comment = markdown.render_comment(result, links=markdown_links(ctx), template=template)
    context = writers.RenderContext(links=markdown_links(ctx))
    texts = writers.write(result, targets, context)
    sarif_text = (
        texts["sarif"].decode("ascii") if "sarif" in texts else writers.render("sarif", result, context)
    )
    _write_summary(ctx, result, context)
    if ctx.inputs.annotations:
        for line in workflow_commands.annotation_commands(result.decision.assessed, ctx.path_prefix):
            print(line)
    notes = publish(ctx, result, sarif_text, comment, factory)
    for note in notes:
        print(command("notice", note))
    _write_outputs(ctx, result, {output.format: output.name for output in targets})
    decision = result.decision
    print(f"mergeguard: {decision.verdict.value.upper()}: {plain(decision.reason)}")
    return decision.verdict.exit_code


def _trust_checkout(ctx: ActionContext) -> None:
    """The checkout belongs to the runner's user, not the container's root: tell git it is safe.

    The repository need not be the workspace: actions/checkout's `path:` puts it below, and
    `working-directory` may name a directory inside it. git asks about the repository's top level,
    so every directory from the workspace down to the scanned one is trusted (the container is the
    Action's own; a repository above the workspace is not).
    """
    for directory in _workspace_to(ctx.root.resolve(), ctx.workspace.resolve()):
        run_git(Path("/"), "config", "--global", "--add", "safe.directory", str(directory))


def _workspace_to(root: Path, workspace: Path) -> list[Path]:
    """The workspace and each directory below it on the way to `root` (only the workspace when
    `root` lies outside it)."""
    if not root.is_relative_to(workspace):
        return [workspace]
    below = root.relative_to(workspace).parts
    return [workspace.joinpath(*below[:depth]) for depth in range(len(below) + 1)]


def _options(ctx: ActionContext, shard: shards.Shard | None = None) -> request.RequestOptions:
    """The inputs as request options: paths in the workspace; the base only in `scope: changed`."""
    inputs = ctx.inputs
    return request.RequestOptions(
        ctx.root,
        NAMES,
        base=ctx.base_sha if ctx.scope is Scope.CHANGED else None,  # the policy is then the base's
        config=_in_workspace(ctx, inputs.config),
        baseline=_in_workspace(ctx, inputs.baseline),
        scanners=inputs.scanners,
        fail_on=inputs.fail_on,
        images=(inputs.images,),
        base_images=(inputs.base_images,),
        base_reports=tuple(request.entries([inputs.base_reports])),
        vuln_db_dir=inputs.vuln_db_dir,
        offline=inputs.offline,
        workspace=ctx.workspace,
        shard=shard,
    )


def _require_base(ctx: ActionContext) -> None:
    if ctx.scope is Scope.CHANGED and ctx.base_sha is None:
        raise UsageError(
            f"input scope: changed needs a base commit, and a {ctx.event_name or 'this'} event has none"
        )


def _outputs(ctx: ActionContext) -> list[writers.Output]:
    """The report files the `FORMAT-file` inputs name (SARIF always)."""
    return [writers.Output(fmt, name, f"input {fmt}-file") for fmt, name in ctx.inputs.report_files if name]


def _template(ctx: ActionContext, settings: config.Config, files: basepolicy.PolicyFiles) -> str | None:
    """The config's comment template, a regular file inside the workspace: in `scope: changed` the
    base's copy, since the pull request wrote the tree (and could make its comment say PASS)."""
    if settings.comment_template is None:
        return None
    name, what = str(ctx.root / settings.comment_template), f"{settings.source}: comment-template"
    if not files.from_base:
        return read_inside(ctx.workspace, name, what)
    inside(ctx.workspace, name, what)
    data = files.read(Path(name))
    if data is None:
        raise UsageError(f"{what}: {name!r} is not a regular file at the base {str(files.base)[:7]}")
    return text_of(data, name, what)


def _write_summary(ctx: ActionContext, result: pipeline.ScanResult, context: writers.RenderContext) -> None:
    """The Markdown report, appended to the job summary (other steps write theirs there too)."""
    if ctx.summary_file is None:
        return
    text = writers.render("markdown", result, context)
    _append(ctx.summary_file, text[:SUMMARY_LIMIT], "GITHUB_STEP_SUMMARY", "the job summary")


def _in_workspace(ctx: ActionContext, name: str) -> str:
    """A file input as action.yml describes it: relative to the workspace, whatever directory the step
    runs in (the Docker action's is the workspace; `mergeguard action` run elsewhere is not)."""
    return str(ctx.workspace / name) if name.strip() else name  # an absolute name stays as it is


def markdown_links(ctx: ActionContext) -> markdown.LinkContext | None:
    if not (ctx.repository and ctx.head_sha):
        return None
    return markdown.LinkContext(server_url=ctx.server_url, repository=ctx.repository, head_sha=ctx.head_sha)


def _write_outputs(ctx: ActionContext, result: pipeline.ScanResult | None, written: dict[str, str]) -> None:
    """The step outputs; a shard (no result) has no verdict or counts, only its report's path."""
    values = {f"{fmt}-file": written.get(fmt, "") for fmt, _ in ctx.inputs.report_files}
    if result is not None:
        assessed = result.decision.assessed
        new = sum(a.status in (FindingStatus.NEW, FindingStatus.EXPIRED) for a in assessed)
        values = {
            "verdict": result.decision.verdict.value,
            "findings": str(len(assessed)),
            "new-findings": str(new),
            "blocking": str(sum(a.blocking for a in assessed)),
            **values,
        }
    if ctx.output_file is None:
        return
    _append(ctx.output_file, workflow_commands.outputs(values), "GITHUB_OUTPUT", "the step outputs")


def _append(path: Path, text: str, variable: str, what: str) -> None:
    """Appends to a file GitHub reads back; one that cannot be written is a warning, never the verdict."""
    try:
        with path.open("a", encoding="utf-8", errors="backslashreplace") as handle:
            handle.write(text)
    except OSError as exc:
        reason = f"{variable} {str(path)!r}: {exc.strerror or type(exc).__name__}"
        print(command("warning", f"{what} not written: {reason} (the verdict stands)"))
