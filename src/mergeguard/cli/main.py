"""The command line: builds the request and config at the edge, runs the gate, maps the exit status."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from mergeguard import __version__
from mergeguard.cli import baseline as baseline_cli
from mergeguard.core import baseline, basepolicy, config, gcpause, procs
from mergeguard.core.errors import Cancelled, MergeguardError, UsageError
from mergeguard.core.model import Severity
from mergeguard.core.text import plain
from mergeguard.report import terminal, writers
from mergeguard.scan import imported, merge, pipeline, precommit, shards
from mergeguard.scan.registry import READERS, REGISTRY, select
from mergeguard.scan.request import OptionNames, RequestOptions, build_config, build_request, policy_files
from mergeguard.scanners.commands import find_executable, probe_version

NAMES = OptionNames(
    scanners="--scanners",
    timeout="--timeout",
    report="--report {!r}",
    base_report="--report {!r}",
    base_images="--base-image",
    base_reports="--base-report",
    needs_base="--base-image and --base-report compare with the base branch: they need --base REF",
)


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
    base = None if args.all_files else args.base
    options = _options(args, Path(args.path), base, shard=_shard(args))
    files = policy_files(options)  # PR mode: the merge-base's
    request = build_request(options, files)
    result = pipeline.scan(request, build_config(options, files))
    if request.shard is None:
        return _conclude(args, result)
    recorded = {**vars(args), "base": base}
    _conclude(args, result, {"shard": merge.section(result, request.shard, recorded)})
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


def _options(
    args: argparse.Namespace, root: Path, base: str | None = None, shard: shards.Shard | None = None
) -> RequestOptions:
    """The flags of any command as request options (a command without a flag leaves its default)."""
    fail_on = getattr(args, "fail_on", None)
    return RequestOptions(
        root,
        NAMES,
        base=base,
        config=getattr(args, "config", None),
        baseline=getattr(args, "baseline", None),
        scanners=getattr(args, "scanners", None),
        fail_on=Severity.parse(fail_on) if fail_on else None,
        timeout=getattr(args, "timeout", None),
        ignore_unfixed=bool(getattr(args, "ignore_unfixed", False)),
        reports=tuple(getattr(args, "report", ())),
        images=tuple(getattr(args, "image", ())),
        base_images=tuple(getattr(args, "base_image", ())),
        base_reports=tuple(getattr(args, "base_report", ())),
        vuln_db_dir=getattr(args, "vuln_db_dir", None),
        offline=bool(getattr(args, "offline", False)),
        shard=shard,
    )


def _merge(args: argparse.Namespace) -> int:
    """Shard reports folded into one result: the same dedupe, fingerprints, baseline and policy."""
    reports = [merge.read(source) for source in args.reports]
    options = merge.consistent(reports)
    root = Path(args.root if args.root is not None else options["path"])
    recorded = _options(argparse.Namespace(**options), root, options["base"])
    files = policy_files(recorded)
    settings = build_config(recorded, files)
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
        chosen = select(args.scanners, NAMES.scanners)
        if chosen is None:
            chosen = tuple(n for n in precommit.FAST_SCANNERS if settings.enabled(n))
        accepted = baseline.resolve(args.baseline, top, files)
        request = pipeline.ScanRequest(staged.root, None, chosen, accepted)
        return _conclude(args, pipeline.scan(request, settings))


def _write_reports(
    args: argparse.Namespace, result: pipeline.ScanResult, extra: dict[str, object] | None = None
) -> dict[str, str]:
    """The report files the output flags name (`--json FILE`, …); the texts written, by format."""
    outputs = [
        writers.Output(name, value, f"--{name}")
        for name in writers.WRITERS
        if (value := getattr(args, _dest(name), None))
    ]
    return writers.write(result, writers.targets(outputs), writers.RenderContext(sections=extra or {}))


def _dest(name: str) -> str:
    return name.replace("-", "_")


def _convert(args: argparse.Namespace) -> int:
    root = Path(args.root)
    report = pipeline.ImportedReport(args.tool, args.input, imported.read_report(args.input))
    result = pipeline.convert(report, root, config.Config())
    if not _write_reports(args, result):
        print(writers.render("sarif", result), end="")
    count = len(result.decision.assessed)
    print(
        f"mergeguard: converted {count} finding{'s' if count != 1 else ''} from {args.input}", file=sys.stderr
    )
    return 0


def _config(
    args: argparse.Namespace, root: Path, files: basepolicy.PolicyFiles | None = None
) -> config.Config:
    return build_config(_options(args, root), files)


def _baseline(args: argparse.Namespace) -> int:
    root = Path(args.path)
    settings = _config(args, root)
    path = baseline.path_for(args.baseline, root)
    accepted = baseline.load(path) if path.is_file() else ()
    request = pipeline.ScanRequest(root, None, select(args.scanners, NAMES.scanners), accepted)
    return baseline_cli.run(args, request, settings, path)


def _action(_args: argparse.Namespace) -> int:
    from mergeguard.github import action, context  # noqa: PLC0415 - PyGithub only loads for the Action

    return action.run(context.from_env(os.environ))


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
    scan.add_argument("--vuln-db-dir", metavar="DIR", help="the vulnerability database cache directory")
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
    conv.add_argument("--tool", required=True, choices=sorted(READERS), help="the tool that wrote INPUT")
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
    """`--FORMAT FILE` for every report format (`--json`, `--sarif`, `--markdown`, …)."""
    for writer in writers.WRITERS.values():
        command.add_argument(
            f"--{writer.name}", dest=_dest(writer.name), metavar="FILE", help=writer.description
        )


def _common(command: argparse.ArgumentParser) -> None:
    command.add_argument("path", nargs="?", default=".", help="directory to scan (default: .)")
    command.add_argument("--config", metavar="FILE", help=f"config file (default: PATH/{config.CONFIG_FILE})")
    command.add_argument(
        "--baseline", metavar="FILE", help=f"baseline file (default: PATH/{baseline.BASELINE_FILE})"
    )
    command.add_argument("--scanners", metavar="LIST", help="comma-separated scanners to run, or `none`")
    command.add_argument("--timeout", type=float, metavar="SECONDS", help="per-scanner timeout")
