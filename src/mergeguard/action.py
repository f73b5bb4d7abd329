"""`mergeguard action`: the gate as a GitHub Action — scan, then report where people look."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from mergeguard import action_base, baseline, basepolicy, config, images, pipeline
from mergeguard.action_context import ActionContext
from mergeguard.action_publish import ClientFactory, make_client, publish
from mergeguard.contained import inside, output_inside, read_inside, text_of
from mergeguard.errors import UsageError
from mergeguard.files import write_atomic
from mergeguard.gitrepo import run_git
from mergeguard.policy import FindingStatus
from mergeguard.registry import REGISTRY, select
from mergeguard.report import json_report, markdown, sarif, workflow_commands
from mergeguard.report.jsontext import dumps_indented
from mergeguard.report.text import plain
from mergeguard.report.workflow_commands import command
from mergeguard.vulndb import VulnDb

SUMMARY_LIMIT = 1024 * 1024  # $GITHUB_STEP_SUMMARY: 1 MiB per step


def run(ctx: ActionContext, factory: ClientFactory = make_client) -> int:
    """Scan as the inputs say, write the step's files, publish to GitHub, exit with the verdict's status."""
    _trust_workspace(ctx.workspace)
    settings = _settings(ctx)
    template = _template(ctx, settings)
    targets = _report_targets(ctx)
    result = pipeline.scan(_request(ctx), settings)
    sarif_text = sarif.dumps_sarif(sarif.build_sarif(result))
    comment = markdown.render_comment(result, links=markdown_links(ctx), template=template)
    paths = _write_reports(ctx, result, sarif_text, targets)
    _write_summary(ctx, result)
    if ctx.inputs.annotations:
        for line in workflow_commands.annotation_commands(result.decision.assessed, ctx.path_prefix):
            print(line)
    notes = publish(ctx, result, sarif_text, comment, factory)
    for note in notes:
        print(command("notice", note))
    _write_outputs(ctx, result, paths)
    decision = result.decision
    print(f"mergeguard: {decision.verdict.value.upper()}: {plain(decision.reason)}")
    return decision.verdict.exit_code


def _trust_workspace(workspace: Path) -> None:
    """The checkout belongs to the runner's user, not the container's root: tell git it is safe."""
    run_git(Path("/"), "config", "--global", "--add", "safe.directory", str(workspace.resolve()))


def _request(ctx: ActionContext) -> pipeline.ScanRequest:
    root = ctx.root
    base = ctx.base_sha if ctx.scope == "changed" else None
    if ctx.scope == "changed" and base is None:
        raise UsageError(
            f"input scope: changed needs a base commit, and a {ctx.event_name or 'this'} event has none"
        )
    files = _policy(ctx)
    accepted = baseline.resolve(ctx.inputs.baseline or None, root, files)
    specs = images.parse_specs([ctx.inputs.images], root)
    base_images, base_reports = action_base.read(ctx.inputs, ctx.workspace, root, compared=base is not None)
    db_dir = Path(ctx.inputs.vuln_db_dir) if ctx.inputs.vuln_db_dir else None
    vuln_db = VulnDb(
        ctx.workspace / db_dir if db_dir and not db_dir.is_absolute() else db_dir, ctx.inputs.offline
    )
    return pipeline.ScanRequest(
        root,
        base,
        select(ctx.inputs.scanners, "input scanners"),
        accepted,
        images=specs,
        vuln_db=vuln_db,
        base_images=base_images,
        base_reports=base_reports,
        policy=files,
    )


def _policy(ctx: ActionContext) -> basepolicy.PolicyFiles:
    """Where the policy is read: the merge-base in `scope: changed` (the PR wrote the tree), else the tree."""
    base = ctx.base_sha if ctx.scope == "changed" else None
    return basepolicy.locate(ctx.root, base, ctx.inputs.config or None, ctx.inputs.baseline or None)


def _settings(ctx: ActionContext) -> config.Config:
    settings = config.resolve(ctx.inputs.config or None, ctx.root, REGISTRY.keys(), _policy(ctx))
    return replace(settings, fail_on=ctx.inputs.fail_on) if ctx.inputs.fail_on else settings


def _template(ctx: ActionContext, settings: config.Config) -> str | None:
    """The config's comment template, a regular file inside the workspace: in `scope: changed` the
    merge-base's copy, since the pull request wrote the tree (and could make its comment say PASS)."""
    if settings.comment_template is None:
        return None
    name, what = str(ctx.root / settings.comment_template), f"{settings.source}: comment-template"
    files = _policy(ctx)
    if not files.from_base:
        return read_inside(ctx.workspace, name, what)
    inside(ctx.workspace, name, what)
    data = files.read(Path(name))
    if data is None:
        raise UsageError(f"{what}: {name!r} is not a regular file at the merge-base {str(files.base)[:7]}")
    return text_of(data, name, what)


def _report_targets(ctx: ActionContext) -> dict[str, Path]:
    """The report files the inputs name, each inside the workspace: refused before the scan, not after it."""
    names = {"sarif-file": ctx.inputs.sarif_file, "json-file": ctx.inputs.json_file}
    return {key: output_inside(ctx.workspace, name, f"input {key}") for key, name in names.items() if name}


def _write_reports(
    ctx: ActionContext, result: pipeline.ScanResult, sarif_text: str, targets: dict[str, Path]
) -> dict[str, str]:
    write_atomic(targets["sarif-file"], sarif_text)
    if "json-file" in targets:
        write_atomic(targets["json-file"], dumps_indented(json_report.build(result)) + "\n")
    return {key: ctx.inputs.sarif_file if key == "sarif-file" else ctx.inputs.json_file for key in targets}


def _write_summary(ctx: ActionContext, result: pipeline.ScanResult) -> None:
    if ctx.summary_file is None:
        return
    text = markdown.render_summary(result, links=markdown_links(ctx))
    _append(ctx.summary_file, text[:SUMMARY_LIMIT], "GITHUB_STEP_SUMMARY", "the job summary")


def markdown_links(ctx: ActionContext) -> markdown.LinkContext | None:
    if not (ctx.repository and ctx.head_sha):
        return None
    return markdown.LinkContext(server_url=ctx.server_url, repository=ctx.repository, head_sha=ctx.head_sha)


def _write_outputs(ctx: ActionContext, result: pipeline.ScanResult, paths: dict[str, str]) -> None:
    assessed = result.decision.assessed
    values = {
        "verdict": result.decision.verdict.value,
        "findings": str(len(assessed)),
        "new-findings": str(sum(a.status in (FindingStatus.NEW, FindingStatus.EXPIRED) for a in assessed)),
        "blocking": str(sum(a.blocking for a in assessed)),
        "sarif-file": paths.get("sarif-file", ""),
        "json-file": paths.get("json-file", ""),
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
