"""The Action over a matrix: `shard` scans a shard and only writes its report; `merge-reports` folds them."""

from __future__ import annotations

import os
import re
from pathlib import Path

from mergeguard.core.contained import inside
from mergeguard.core.errors import MissingShardError, UsageError
from mergeguard.core.model import Severity
from mergeguard.core.text import plain
from mergeguard.github.context import ActionContext
from mergeguard.github.modes import Scope
from mergeguard.report import writers
from mergeguard.scan import merge, merged, pipeline, request, shards
from mergeguard.scan.registry import select

_PATTERN = re.compile(r"[*?\[]")
_REPORTS = "input merge-reports"


def shard_of(ctx: ActionContext) -> shards.Shard | None:
    """The `shard` input, refused with `merge-reports` or without `json-file` (the merge step's input)."""
    inputs = ctx.inputs
    if inputs.shard and inputs.merge_reports:
        raise UsageError("inputs shard and merge-reports exclude each other: a step scans a shard or merges")
    if not inputs.shard:
        return None
    if not json_file(ctx):
        raise UsageError("input shard writes a report for the merge step: it needs input json-file")
    return shards.parse(inputs.shard, "input shard")


def json_file(ctx: ActionContext) -> str:
    return dict(ctx.inputs.report_files).get("json", "")


def scan_shard(ctx: ActionContext, options: request.RequestOptions, shard: shards.Shard) -> str:
    """Shard `shard` scanned and its report written to `json-file` (exactly what `scan --shard` writes);
    the line saying so. Nothing reaches GitHub: the merge step publishes."""
    name = json_file(ctx)
    targets = writers.targets([writers.Output("json", name, "input json-file")], ctx.workspace)
    files = request.policy_files(options)
    settings = request.build_config(options, files)
    result = pipeline.scan(request.build_request(options, files), settings)
    sections = merged.shard_section(result, shard, options, ctx.inputs.working_directory)
    writers.write(result, targets, writers.RenderContext(sections=sections))
    return f"mergeguard: shard {shard.label} written to {plain(name)}: the merge step decides"


def fold(ctx: ActionContext, options: request.RequestOptions) -> merged.Folded:
    """The shard reports `merge-reports` names, folded as `mergeguard merge` folds them (exit 2 or 3 when
    one is missing, failed or from another scan); each failed scanner named on the log. The step's own
    scan inputs must be empty or those the shards recorded: the merge never decides under other ones."""
    if options.unsplit:
        raise UsageError(
            "input merge-reports scans nothing: images, base-images and base-reports belong in a scan step"
        )
    reports = [merge.read(source) for source in report_paths(ctx)]
    folded = merged.fold(reports, options.names, ctx.root, ctx.workspace)
    _same_inputs(options, folded)
    if (folded.options.base is None) != (ctx.scope is Scope.ALL):
        scanned = "every file" if folded.options.base is None else "the changed files"
        raise UsageError(
            f"input scope: the shards scanned {scanned}, this step's scope is {ctx.scope.value}: "
            "give the merge step the shards' scope"
        )
    for line in merge.failures(reports):
        print(f"mergeguard: {line}")
    return folded


def _same_inputs(step: request.RequestOptions, folded: merged.Folded) -> None:
    """UsageError naming the first input this step gives with another value than the shards recorded
    (`fail-on` as it took effect: `high` is the shards' default, or their config's `fail-on: high`)."""
    theirs = folded.options
    pairs = {
        "fail-on": (step.fail_on, folded.config.fail_on),
        "scanners": (_names(step.scanners, step.names), _names(theirs.scanners, step.names)),
        "config": (_path(step.config), _path(theirs.config)),
        "baseline": (_path(step.baseline), _path(theirs.baseline)),
    }
    for name, (given, recorded) in pairs.items():
        if given is not None and given != recorded:
            raise UsageError(
                f"input {name}: the shards scanned with {_shown(recorded)}, this step gives {_shown(given)}: "
                "give the merge step the shards' inputs or leave it empty"
            )


def _path(text: str | None) -> str | None:
    """A path as given, `./` and doubled slashes aside ("./.mergeguard.yml" is ".mergeguard.yml")."""
    return os.path.normpath(text.strip()) if text and text.strip() else None


def _names(text: str | None, names: request.OptionNames) -> frozenset[str] | None:
    """The scanners a list selects, as `scan` reads it (None: the config's; `none`: the empty set)."""
    chosen = select(text, names.scanners)
    return None if chosen is None else frozenset(chosen)


def _shown(value: object) -> str:
    if isinstance(value, frozenset):
        value = ",".join(sorted(value)) or "none"
    label = value.label if isinstance(value, Severity) else value
    return repr(plain(str(label))) if label not in (None, "") else "the default"


def report_entries(text: str) -> list[str]:
    """The paths and globs of `merge-reports`: one per line when it has several lines (a path may hold
    spaces), else separated by spaces; commas separate too, as in the other list inputs."""
    lines = [line.strip() for line in text.splitlines()] if "\n" in text.strip() else text.split()
    return [item.strip() for line in lines for item in line.split(",") if item.strip()]


def report_paths(ctx: ActionContext) -> list[str]:
    """Every path or glob match of `merge-reports`, each inside the workspace once symlinks are resolved;
    a glob that matches nothing is a missing shard (exit 3)."""
    found: list[str] = []
    for entry in report_entries(ctx.inputs.merge_reports):
        resolved = inside(ctx.workspace, entry, _REPORTS)  # a pattern reaching out: refused, match or not
        if not _PATTERN.search(entry):
            found.append(str(resolved))
            continue
        absolute = Path(entry).is_absolute()  # `Path.glob` takes relative patterns only
        base, pattern = (Path("/"), entry.lstrip("/")) if absolute else (ctx.workspace, entry)
        matches = sorted(str(path) for path in base.glob(pattern))
        if not matches:  # every shard failed before uploading: nothing to trust
            raise MissingShardError(f"{_REPORTS}: {plain(entry)!r} matches no shard report")
        found.extend(str(inside(ctx.workspace, match, _REPORTS)) for match in matches)
    return found
