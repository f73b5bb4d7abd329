"""The command line: builds the request and config at the edge, runs the gate, maps the exit status."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

from mergeguard import (
    __version__,
    baseline,
    baseline_cli,
    basepolicy,
    config,
    gcpause,
    images,
    merge,
    parsers,
    pipeline,
    precommit,
    procs,
    shards,
)
from mergeguard.errors import Cancelled, MergeguardError, UsageError
from mergeguard.files import write_atomic
from mergeguard.model import Severity
from mergeguard.registry import REGISTRY, select
from mergeguard.report import json_report, markdown, sarif, terminal
from mergeguard.report.jsontext import dumps_indented
from mergeguard.report.text import plain
from mergeguard.runner import find_executable, probe_version
from mergeguard.vulndb import VulnDb


def main(argv: Sequence[str] | None = None) -> int:
    """Run mergeguard; every non-zero exit says why in the last line of output."""
    args = _parser().parse_args(argv)
    try:
        with procs.cancellable(), gcpause.paused():  # SIGINT/SIGTERM end every scanner, raise Cancelled
            code: int = args.func(args)
    except MergeguardError as exc:
        print(f"mergeguard: error: {plain(str(exc))}", file=sys.stderr)  # one inert line
        return exc.exit_code
    except Cancelled as exc:
        print("mergeguard: cancelled", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("mergeguard: cancelled", file=sys.stderr)
        return 130
    return code


def _scan(args: argparse.Namespace) -> int:
    root = Path(args.path)
    base = None if args.all_files else args.base
    files = basepolicy.locate(root, base, args.config, args.baseline)  # PR mode: the merge-base's
    settings = _config(args, root, files)
    scanners = select(args.scanners, "--scanners")
    reports = tuple(_read_report(spec) for spec in args.report)
    specs = images.parse_specs(args.image, root)
    vuln_db = VulnDb(Path(args.vuln_db_dir) if args.vuln_db_dir else None, args.offline)
    base_images = images.parse_specs(args.base_image, root)
    base_reports = tuple(_read_report(spec) for spec in args.base_report)
    if (base_images or base_reports) and base is None:
        raise UsageError("--base-image and --base-report compare with the base branch: they need --base REF")
    request = pipeline.ScanRequest(
        root,
        base,
        scanners,
        baseline.resolve(args.baseline, root, files),
        reports,
        images=specs,
        vuln_db=vuln_db,
        base_images=base_images,
        base_reports=base_reports,
        policy=files,
        shard=_shard(args),
    )
    result = pipeline.scan(request, settings)
    if request.shard is None:
        return _conclude(args, result)
    options = {**vars(args), "base": base}
    _conclude(args, result, {"shard": merge.section(result, request.shard, options)})
    print(f"mergeguard: shard {request.shard.label} written to {plain(args.json)}: `merge` decides")
    return 0


def _shard(args: argparse.Namespace) -> shards.Shard | None:
    """`--shard I/N`: needs --json, and no image or report (those are not split)."""
    if args.shard is None:
        return None
    if not args.json:
        raise UsageError("--shard writes a report for `mergeguard merge`: it needs --json FILE")
    if args.image or args.base_image or args.report or args.base_report:
        raise UsageError("--shard splits the scanners: it cannot be used with --image or --report")
    return shards.parse(args.shard)


def _merge(args: argparse.Namespace) -> int:
    """Shard reports folded into one result: the same dedupe, fingerprints, baseline and policy."""
    reports = [merge.read(source) for source in args.reports]
    options = merge.consistent(reports)
    root = Path(args.root if args.root is not None else options["path"])
    files = basepolicy.locate(root, options["base"], options["config"], options["baseline"])
    settings = _config(argparse.Namespace(**options), root, files)
    accepted = baseline.resolve(options["baseline"], root, files)
    result = merge.fold(reports, root, settings, files, accepted)
    for line in merge.failures(reports):
        print(f"mergeguard: {line}", file=sys.stderr)
    return _conclude(args, result)


def _conclude(
    args: argparse.Namespace, result: pipeline.ScanResult, extra: dict[str, object] | None = None
) -> int:
    """Print the result and its verdict, write the reports, and give the verdict's exit status."""
    print(terminal.render(result), end="")
    for change in result.policy_changes:  # names and effects are the change's words: made inert
        effects = "; ".join(change.effects)
        note = f"policy change (takes effect after merge): {change.path} ({change.status}): {effects}"
        print(plain(note, 2000))
    _write_reports(args, result, extra)
    decision = result.decision
    print(f"\nmergeguard: {decision.verdict.value.upper()}: {plain(decision.reason)}")
    return decision.verdict.exit_code


def _precommit(args: argparse.Namespace) -> int:
    """The staged files under HEAD's policy, with the fast scanners unless --scanners names others."""
    with precommit.staged_tree(Path(args.path), args.config, args.baseline) as staged:
        if not staged.paths:
            print("mergeguard: PASSED: nothing staged")
            return 0
        top, files = staged.policy.root, staged.policy
        settings = _config(args, top, files)
        chosen = select(args.scanners, "--scanners")
        if chosen is None:
            chosen = tuple(n for n in precommit.FAST_SCANNERS if settings.enabled(n))
        accepted = baseline.resolve(args.baseline, top, files)
        request = pipeline.ScanRequest(staged.root, None, chosen, accepted)
        return _conclude(args, pipeline.scan(request, settings))


def _write_reports(
    args: argparse.Namespace, result: pipeline.ScanResult, extra: dict[str, object] | None = None
) -> None:
    if args.json:
        write_atomic(Path(args.json), dumps_indented({**json_report.build(result), **(extra or {})}) + "\n")
    if args.sarif:
        write_atomic(Path(args.sarif), sarif.dumps_sarif(sarif.build_sarif(result)))
    if args.markdown:
        write_atomic(Path(args.markdown), markdown.render_summary(result))


def _read_report(spec: str) -> pipeline.ImportedReport:
    """`TOOL=FILE` (FILE `-` is standard input) read into an ImportedReport."""
    tool, sep, name = spec.partition("=")
    if not sep or not name or tool not in parsers.PARSERS:
        known = ", ".join(parsers.PARSERS)
        raise UsageError(f"--report {spec!r}: expected TOOL=FILE with TOOL one of {known}")
    return pipeline.ImportedReport(tool, name, parsers.read_report(name))


def _convert(args: argparse.Namespace) -> int:
    root = Path(args.root)
    report = pipeline.ImportedReport(args.tool, args.input, parsers.read_report(args.input))
    result = pipeline.convert(report, root, config.Config())
    _write_reports(args, result)
    if not (args.json or args.sarif or args.markdown):
        print(sarif.dumps_sarif(sarif.build_sarif(result)), end="")
    count = len(result.decision.assessed)
    print(
        f"mergeguard: converted {count} finding{'s' if count != 1 else ''} from {args.input}", file=sys.stderr
    )
    return 0


def _config(
    args: argparse.Namespace, root: Path, files: basepolicy.PolicyFiles | None = None
) -> config.Config:
    settings = config.resolve(args.config, root, REGISTRY.keys(), files)
    if args.fail_on:
        settings = replace(settings, fail_on=Severity.parse(args.fail_on))
    if args.timeout is not None:
        try:
            settings = replace(settings, timeout_s=config.timeout_seconds(args.timeout))
        except ValueError as exc:
            raise UsageError(f"--timeout: {exc}") from None
    if getattr(args, "ignore_unfixed", False):
        settings = replace(settings, ignore_unfixed=True)
    return settings


def _baseline(args: argparse.Namespace) -> int:
    root = Path(args.path)
    settings = _config(args, root)
    path = baseline.path_for(args.baseline, root)
    accepted = baseline.load(path) if path.is_file() else ()
    request = pipeline.ScanRequest(root, None, select(args.scanners, "--scanners"), accepted)
    return baseline_cli.run(args, request, settings, path)


def _action(_args: argparse.Namespace) -> int:
    from mergeguard import action, action_context  # noqa: PLC0415 - PyGithub only loads for the Action

    return action.run(action_context.from_env(os.environ))


def _scanners(_args: argparse.Namespace) -> int:
    missing = 0
    for scanner in REGISTRY.values():
        exe = find_executable(scanner.executable)
        if exe is None:
            missing += 1
            print(f"{scanner.name:<15} missing")
            continue
        try:
            version = probe_version(scanner, exe)
        except MergeguardError as exc:
            version = f"(version check failed: {exc})"
        print(f"{scanner.name:<15} {version:<10} {exe}")
    return 1 if missing else 0


def _severity(text: str) -> str:
    try:
        Severity.parse(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    return text


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="mergeguard", description="A security gate for pull requests.")
    parser.add_argument("--version", action="version", version=f"mergeguard {__version__}")
    commands = parser.add_subparsers(required=True, metavar="COMMAND")
    scan = commands.add_parser("scan", help="scan a directory and decide pass or fail")
    _common(scan)
    scope = scan.add_mutually_exclusive_group()
    scope.add_argument("--base", metavar="REF", help="PR mode: only what changed since merge-base(REF, HEAD)")
    scope.add_argument("--all-files", action="store_true", help="every tracked file (the default)")
    scan.add_argument("--fail-on", type=_severity, metavar="SEVERITY", help="lowest blocking severity")
    scan.add_argument("--ignore-unfixed", action="store_true", help="advisories with no fix do not block")
    scan.add_argument(
        "--report", action="append", default=[], metavar="TOOL=FILE", help="gate on a report made elsewhere"
    )
    scan.add_argument(
        "--image",
        action="append",
        default=[],
        metavar="IMAGE[=DOCKERFILE]",
        help="scan a container image (repeatable): REF, docker-archive:FILE or oci:DIR, =DOCKERFILE pairs it",
    )
    scan.add_argument(
        "--base-image",
        action="append",
        default=[],
        metavar="IMAGE[=DOCKERFILE]",
        help="the base branch's build of an image: advisories it already had are pre-existing (PR mode)",
    )
    scan.add_argument(
        "--base-report",
        action="append",
        default=[],
        metavar="TOOL=FILE",
        help="a report of the base branch's image",
    )
    scan.add_argument("--vuln-db-dir", metavar="DIR", help="Trivy's vulnerability database cache directory")
    scan.add_argument("--offline", action="store_true", help="never download: only the cached database")
    scan.add_argument("--shard", metavar="I/N", help="run shard I of N of the scanners (see `merge`)")
    _outputs(scan)
    scan.set_defaults(func=_scan)
    fold = commands.add_parser("merge", help="fold the JSON reports of `scan --shard I/N` into one result")
    fold.add_argument("reports", nargs="+", metavar="REPORT.json", help="every shard's JSON report")
    fold.add_argument("--root", metavar="DIR", help="the checkout the shards scanned (default: their path)")
    _outputs(fold)
    fold.set_defaults(func=_merge)
    base = commands.add_parser("baseline", help="accept the findings of a full scan, or tidy the baseline")
    base.add_argument("action", choices=("create", "update", "prune"))
    _common(base)
    base.add_argument("--reason", help="why these findings are accepted (create, update)")
    base.add_argument("--by", help="who accepts them (default: git user.name)")
    base.add_argument("--expires", metavar="YYYY-MM-DD", help="the acceptance ends on this day")
    base.set_defaults(func=_baseline, fail_on=None)
    conv = commands.add_parser("convert", help="convert another tool's report to SARIF, JSON or Markdown")
    conv.add_argument(
        "--tool", required=True, choices=sorted(parsers.PARSERS), help="the tool that wrote INPUT"
    )
    conv.add_argument("input", metavar="INPUT", help="the report file, or - for standard input")
    conv.add_argument(
        "--root", default=".", help="the scanned directory its paths are relative to (default: .)"
    )
    _outputs(conv)
    conv.set_defaults(func=_convert)
    pre = commands.add_parser("precommit", help="scan the staged files (the index) before a commit")
    _common(pre)
    pre.add_argument("--fail-on", type=_severity, metavar="SEVERITY", help="lowest blocking severity")
    _outputs(pre)
    pre.set_defaults(func=_precommit)
    act = commands.add_parser("action", help="run as a GitHub Action (inputs from INPUT_* and GITHUB_*)")
    act.set_defaults(func=_action)
    tools = commands.add_parser("scanners", help="list the scanners, their versions and where they are")
    tools.set_defaults(func=_scanners)
    return parser


def _outputs(command: argparse.ArgumentParser) -> None:
    command.add_argument("--json", metavar="FILE", help="write the JSON report here")
    command.add_argument("--sarif", metavar="FILE", help="write SARIF 2.1.0 for code scanning here")
    command.add_argument("--markdown", metavar="FILE", help="write the Markdown summary here")


def _common(command: argparse.ArgumentParser) -> None:
    command.add_argument("path", nargs="?", default=".", help="directory to scan (default: .)")
    command.add_argument("--config", metavar="FILE", help=f"config file (default: PATH/{config.CONFIG_FILE})")
    command.add_argument(
        "--baseline", metavar="FILE", help=f"baseline file (default: PATH/{baseline.BASELINE_FILE})"
    )
    command.add_argument("--scanners", metavar="LIST", help="comma-separated scanners to run, or `none`")
    command.add_argument("--timeout", type=float, metavar="SECONDS", help="per-scanner timeout")
