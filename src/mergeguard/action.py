"""`mergeguard action`: the gate as a GitHub Action — scan, then report where people look."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

from mergeguard import baseline, config, images, pipeline
from mergeguard.action_context import ActionContext
from mergeguard.action_publish import ClientFactory, make_client, publish
from mergeguard.errors import UsageError
from mergeguard.files import write_atomic
from mergeguard.gitrepo import run_git
from mergeguard.policy import FindingStatus
from mergeguard.registry import REGISTRY, select
from mergeguard.report import json_report, markdown, sarif, workflow_commands
from mergeguard.report.workflow_commands import command
from mergeguard.vulndb import VulnDb

SUMMARY_LIMIT = 1024 * 1024  # $GITHUB_STEP_SUMMARY: 1 MiB per step


def run(ctx: ActionContext, factory: ClientFactory = make_client) -> int:
    """Scan as the inputs say, write the step's files, publish to GitHub, exit with the verdict's status."""
    _trust_workspace(ctx.workspace)
    settings = _settings(ctx)
    template = _template(ctx, settings)
    result = pipeline.scan(_request(ctx), settings)
    sarif_text = sarif.dumps_sarif(sarif.build_sarif(result))
    comment = markdown.render_comment(result, links=markdown_links(ctx), template=template)
    paths = _write_reports(ctx, result, sarif_text)
    _write_summary(ctx, result)
    if ctx.inputs.annotations:
        for line in workflow_commands.annotation_commands(result.decision.assessed, ctx.path_prefix):
            print(line)
    notes = publish(ctx, result, sarif_text, comment, factory)
    for note in notes:
        print(command("notice", note))
    _write_outputs(ctx, result, paths)
    decision = result.decision
    print(f"mergeguard: {decision.verdict.value.upper()}: {decision.reason}")
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
    accepted = baseline.resolve(ctx.inputs.baseline or None, root)
    specs = images.parse_specs([ctx.inputs.images], root)
    db_dir = Path(ctx.inputs.vuln_db_dir) if ctx.inputs.vuln_db_dir else None
    vuln_db = VulnDb(
        ctx.workspace / db_dir if db_dir and not db_dir.is_absolute() else db_dir, ctx.inputs.offline
    )
    return pipeline.ScanRequest(
        root, base, select(ctx.inputs.scanners, "input scanners"), accepted, images=specs, vuln_db=vuln_db
    )


def _settings(ctx: ActionContext) -> config.Config:
    settings = config.resolve(ctx.inputs.config or None, ctx.root, REGISTRY.keys())
    return replace(settings, fail_on=ctx.inputs.fail_on) if ctx.inputs.fail_on else settings


def _template(ctx: ActionContext, settings: config.Config) -> str | None:
    if settings.comment_template is None:
        return None
    path = ctx.root / settings.comment_template
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"{settings.source}: comment-template: {path} cannot be read: {exc}") from None


def _write_reports(ctx: ActionContext, result: pipeline.ScanResult, sarif_text: str) -> dict[str, str]:
    paths = {"sarif-file": ctx.inputs.sarif_file}
    write_atomic(ctx.workspace / ctx.inputs.sarif_file, sarif_text)
    if ctx.inputs.json_file:
        report = json.dumps(json_report.build(result), indent=2) + "\n"
        write_atomic(ctx.workspace / ctx.inputs.json_file, report)
        paths["json-file"] = ctx.inputs.json_file
    return paths


def _write_summary(ctx: ActionContext, result: pipeline.ScanResult) -> None:
    if ctx.summary_file is None:
        return
    text = markdown.render_summary(result, links=markdown_links(ctx))
    with ctx.summary_file.open("a", encoding="utf-8") as handle:
        handle.write(text[:SUMMARY_LIMIT])


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
    with ctx.output_file.open("a", encoding="utf-8") as handle:
        handle.write(workflow_commands.outputs(values))
