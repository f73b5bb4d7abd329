"""The commands that gate (`scan`, `merge`, `precommit`): a result, its reports, the verdict's exit status."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from mergeguard.cli.options import NAMES, options, root_dir, settings
from mergeguard.cli.parser import dest
from mergeguard.core import baseline, gcpause
from mergeguard.core.errors import UsageError
from mergeguard.core.text import plain
from mergeguard.report import terminal, writers
from mergeguard.scan import merge, merged, pipeline, precommit, shards
from mergeguard.scan.registry import select
from mergeguard.scan.request import build_config, build_request, policy_files


def run_scan(args: argparse.Namespace) -> int:
    """`scan`: the request from the flags, the pipeline, then the verdict (or a shard's report)."""
    base = None if args.all_files else args.base
    flags = options(args, root_dir(args.path), base, shard=_shard(args))
    files = policy_files(flags)  # PR mode: the base's
    request = build_request(flags, files)
    result = pipeline.scan(request, build_config(flags, files))
    gcpause.leave_to_exit(result)
    if request.shard is None:
        return conclude(args, result)
    conclude(args, result, merged.shard_section(result, request.shard, flags, args.path))
    print(f"mergeguard: shard {request.shard.label} written to {plain(args.json)}: `merge` decides")
    return 0


def _shard(args: argparse.Namespace) -> shards.Shard | None:
    """`--shard I/N`: needs --json, and no image or report (those are not split)."""
    if args.shard is None:
        return None
    if not args.json:
        raise UsageError("--shard writes a report for `mergeguard merge`: it needs --json FILE")
    return shards.parse(args.shard)  # with --image or --report: refused by `build_request`


def run_merge(args: argparse.Namespace) -> int:
    """Shard reports folded into one result: the same dedupe, fingerprints, baseline and policy."""
    reports = [merge.read(source) for source in args.reports]
    folded = merged.fold(reports, NAMES, None if args.root is None else Path(args.root))
    gcpause.leave_to_exit(folded)
    for line in merge.failures(reports):
        print(f"mergeguard: {line}", file=sys.stderr)
    return conclude(args, folded.result)


def run_precommit(args: argparse.Namespace) -> int:
    """The staged files under HEAD's policy, with the fast scanners unless --scanners names others."""
    with precommit.staged_tree(Path(args.path), args.config, args.baseline) as staged:
        if not staged.paths:
            print("mergeguard: PASSED: nothing staged")
            return 0
        top, files = staged.policy.root, staged.policy
        config = settings(args, top, files)
        chosen = select(args.scanners, NAMES.scanners)
        if chosen is None:
            chosen = tuple(n for n in precommit.FAST_SCANNERS if config.enabled(n))
        accepted = baseline.resolve(args.baseline, top, files)
        request = pipeline.ScanRequest(staged.root, None, chosen, accepted)
        return conclude(args, pipeline.scan(request, config))


def conclude(
    args: argparse.Namespace, result: pipeline.ScanResult, extra: dict[str, object] | None = None
) -> int:
    """Print the result and its verdict, write the reports, and give the verdict's exit status."""
    print(terminal.render(result), end="")
    for change in result.policy_changes:  # names and effects are the change's words: made inert
        effects = "; ".join(change.effects)
        note = f"policy change (takes effect after merge): {change.path} ({change.status}): {effects}"
        print(plain(note, 2000))
    write_reports(args, result, extra)
    decision = result.decision
    print(f"\nmergeguard: {decision.verdict.value.upper()}: {plain(decision.reason)}")
    return decision.verdict.exit_code


def write_reports(
    args: argparse.Namespace, result: pipeline.ScanResult, extra: dict[str, object] | None = None
) -> dict[str, bytes]:
    """The report files the output flags name (`--json FILE`, …); the bytes written, by format."""
    return writers.write(
        result, writers.targets(report_outputs(args)), writers.RenderContext(sections=extra or {})
    )


def report_outputs(args: argparse.Namespace) -> list[writers.Output]:
    """The report files the output flags name, in the order of the formats."""
    return [
        writers.Output(name, value, f"--{name}")
        for name in writers.WRITERS
        if (value := getattr(args, dest(name), None))
    ]
