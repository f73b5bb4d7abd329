"""Shard reports folded into one result under the options the shards recorded (CLI and Action alike)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from mergeguard.core import baseline, basepolicy
from mergeguard.core.config import Config
from mergeguard.core.model import Severity
from mergeguard.scan import merge, pipeline
from mergeguard.scan.request import OptionNames, RequestOptions, build_config, policy_files
from mergeguard.scan.shards import Shard


@dataclass(frozen=True, slots=True)
class Folded:
    """The merged result, and the policy it was decided under (the Action reads its comment template)."""

    result: pipeline.ScanResult
    options: RequestOptions
    files: basepolicy.PolicyFiles
    config: Config


def fold(
    reports: Sequence[merge.ShardReport],
    names: OptionNames,
    root: Path | None = None,
    workspace: Path | None = None,
) -> Folded:
    """The shards checked (`merge.consistent`: exit 2 or 3) and decided as one scan; `root` None: the
    directory the shards recorded."""
    recorded = merge.consistent(reports)
    options = recorded_options(recorded, root if root is not None else Path(recorded["path"]), names)
    options = replace(options, workspace=workspace)
    files = policy_files(options)
    config = build_config(options, files)
    accepted = baseline.resolve(recorded["baseline"], options.root, files)
    result = merge.fold(reports, options.root, config, files, accepted)
    return Folded(result, options, files, config)


def recorded_options(recorded: dict[str, Any], root: Path, names: OptionNames) -> RequestOptions:
    """The `merge.OPTIONS` a shard recorded as request options (nothing else: shards scan no images)."""
    fail_on = recorded.get("fail_on")
    return RequestOptions(
        root,
        names,
        base=recorded.get("base"),
        config=recorded.get("config"),
        baseline=recorded.get("baseline"),
        scanners=recorded.get("scanners"),
        fail_on=Severity.parse(fail_on) if fail_on else None,
        timeout=recorded.get("timeout"),
        ignore_unfixed=bool(recorded.get("ignore_unfixed", False)),
    )


def shard_section(
    result: pipeline.ScanResult, shard: Shard, options: RequestOptions, path: str
) -> dict[str, Any]:
    """The `shard` section of a shard's report (CLI and Action alike), its options recorded as
    `recorded_options` reads them back; `path` the scanned directory as its caller names it."""
    return {"shard": merge.section(result, shard, _recording(options, path))}


def _recording(options: RequestOptions, path: str) -> dict[str, Any]:
    """What a shard records of its request options (`merge.OPTIONS`), `path` as its caller names it."""
    fail_on = options.fail_on.label if options.fail_on is not None else None
    return {
        "path": path,
        "base": options.base,
        "config": options.config or None,
        "baseline": options.baseline or None,
        "fail_on": fail_on,
        "timeout": options.timeout,
        "ignore_unfixed": options.ignore_unfixed,
        "scanners": options.scanners or None,
    }
