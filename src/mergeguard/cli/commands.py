"""The commands that do not gate: `convert`, `baseline`, `action` and `scanners`."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from mergeguard.cli import baseline as baseline_cli
from mergeguard.cli.gate import report_outputs
from mergeguard.cli.options import NAMES, root_dir, settings
from mergeguard.core import baseline, gcpause
from mergeguard.core.config import Config
from mergeguard.core.errors import MergeguardError, ScannerError
from mergeguard.report import parallel, writers
from mergeguard.scan import imported, pipeline
from mergeguard.scan.registry import REGISTRY, select
from mergeguard.scanners.commands import find_executable, probe_version

# A report this long (about 5,000 findings) is converted twice side by side when SARIF and other formats
# are asked for: a child writes the SARIF file while this process writes the rest (see docs/performance.md).
APART_MIN_CHARS = 2_000_000


def run_convert(args: argparse.Namespace) -> int:
    """Another tool's report as SARIF on standard output, or as the files the output flags name; exit 3
    (after writing them) when the report says its tool did not complete.

    A big report asked for as SARIF and other formats is read in two processes, each writing its own
    files: on two cores the SARIF log costs no wall time, and neither process slows the other by
    touching the findings both would share after a later fork."""
    root = root_dir(args.root)
    report = pipeline.ImportedReport(args.tool, args.input, imported.read_report(args.input))
    outputs = writers.targets(report_outputs(args))
    apart = {o: path for o, path in outputs.items() if writers.WRITERS[o.format].apart}
    here = {o: path for o, path in outputs.items() if o not in apart}
    worth_it = bool(apart and here) and len(report.text) >= APART_MIN_CHARS
    with parallel.apart(lambda: writers.write(_converted(report, root), apart), worth_it=worth_it) as child:
        result = _converted(report, root)
        writers.write(result, here)
        if apart and not child.succeeded():  # not worth a child, or it failed: written here
            writers.write(result, apart)
    if not outputs:
        _write_stdout(writers.render_bytes("sarif", result))
    gcpause.leave_to_exit(result)
    count = len(result.decision.assessed)
    print(
        f"mergeguard: converted {count} finding{'s' if count != 1 else ''} from {args.input}", file=sys.stderr
    )
    if failed := result.decision.failed:  # the report says its tool did not complete: fail closed
        raise ScannerError("; ".join(f"scanner {o.scanner} failed: {o.reason}" for o in failed))
    return 0


def _converted(report: pipeline.ImportedReport, root: Path) -> pipeline.ScanResult:
    return pipeline.convert(report, root, Config())


def _write_stdout(data: bytes) -> None:
    """`data` on standard output as they are (tens of MB are not decoded to be encoded again)."""
    out = getattr(sys.stdout, "buffer", None)
    if out is None:  # replaced by a text-only stream (tests, embedding)
        sys.stdout.write(data.decode("utf-8"))
        return
    sys.stdout.flush()
    out.write(data)
    out.flush()


def run_baseline(args: argparse.Namespace) -> int:
    """`baseline create | update | prune` on a full scan of PATH."""
    root = root_dir(args.path)
    config = settings(args, root)
    path = baseline.path_for(args.baseline, root)
    accepted = baseline.load(path) if path.is_file() else ()
    request = pipeline.ScanRequest(root, None, select(args.scanners, NAMES.scanners), accepted)
    return baseline_cli.run(args, request, config, path)


def run_action(_args: argparse.Namespace) -> int:
    """The GitHub Action: its inputs from INPUT_* and its context from GITHUB_*."""
    from mergeguard.github import action, context  # noqa: PLC0415 - PyGithub only loads for the Action

    return action.run(context.from_env(os.environ))


def run_scanners(_args: argparse.Namespace) -> int:
    """Each scanner's version and executable; exit 1 when one is missing."""
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
