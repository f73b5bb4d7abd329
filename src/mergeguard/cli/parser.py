"""The command line's grammar: every command and flag in argparse (`main` dispatches on `command`)."""

from __future__ import annotations

import argparse

from mergeguard import __version__
from mergeguard.core import baseline, config
from mergeguard.core.model import Severity
from mergeguard.report import writers
from mergeguard.scan.registry import READERS


def build() -> argparse.ArgumentParser:
    """The parser of `mergeguard COMMAND …`; the parsed namespace's `command` names the command."""
    parser = argparse.ArgumentParser(prog="mergeguard", description="A security gate for pull requests.")
    parser.add_argument("--version", action="version", version=f"mergeguard {__version__}")
    commands = parser.add_subparsers(required=True, metavar="COMMAND", dest="command")
    _scan(commands.add_parser("scan", help="scan a directory and decide pass or fail"))
    fold = commands.add_parser("merge", help="fold the JSON reports of `scan --shard I/N` into one result")
    fold.add_argument("reports", nargs="+", metavar="REPORT.json", help="every shard's JSON report")
    fold.add_argument("--root", metavar="DIR", help="the checkout the shards scanned (default: their path)")
    _outputs(fold)
    base = commands.add_parser("baseline", help="accept the findings of a full scan, or tidy the baseline")
    base.add_argument("action", choices=("create", "update", "prune"))
    _common(base)
    base.add_argument("--reason", help="why these findings are accepted (create, update)")
    base.add_argument("--by", help="who accepts them (default: git user.name)")
    base.add_argument("--expires", metavar="YYYY-MM-DD", help="the acceptance ends on this day")
    base.set_defaults(fail_on=None)
    conv = commands.add_parser("convert", help="convert another tool's report to SARIF, JSON or Markdown")
    conv.add_argument("--tool", required=True, choices=sorted(READERS), help="the tool that wrote INPUT")
    conv.add_argument("input", metavar="INPUT", help="the report file, or - for standard input")
    conv.add_argument(
        "--root", default=".", help="the scanned directory its paths are relative to (default: .)"
    )
    _outputs(conv)
    pre = commands.add_parser("precommit", help="scan the staged files (the index) before a commit")
    _common(pre)
    pre.add_argument("--fail-on", type=_severity, metavar="SEVERITY", help="lowest blocking severity")
    _outputs(pre)
    commands.add_parser("action", help="run as a GitHub Action (inputs from INPUT_* and GITHUB_*)")
    commands.add_parser("scanners", help="list the scanners, their versions and where they are")
    return parser


def dest(name: str) -> str:
    """The namespace attribute of the output flag `--NAME`."""
    return name.replace("-", "_")


def _scan(scan: argparse.ArgumentParser) -> None:
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


def _severity(text: str) -> str:
    try:
        Severity.parse(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    return text


def _outputs(command: argparse.ArgumentParser) -> None:
    """`--FORMAT FILE` for every report format (`--json`, `--sarif`, `--markdown`, …)."""
    for writer in writers.WRITERS.values():
        command.add_argument(
            f"--{writer.name}", dest=dest(writer.name), metavar="FILE", help=writer.description
        )


def _common(command: argparse.ArgumentParser) -> None:
    command.add_argument("path", nargs="?", default=".", help="directory to scan (default: .)")
    command.add_argument("--config", metavar="FILE", help=f"config file (default: PATH/{config.CONFIG_FILE})")
    command.add_argument(
        "--baseline", metavar="FILE", help=f"baseline file (default: PATH/{baseline.BASELINE_FILE})"
    )
    command.add_argument("--scanners", metavar="LIST", help="comma-separated scanners to run, or `none`")
    command.add_argument("--timeout", type=float, metavar="SECONDS", help="per-scanner timeout")
