"""The command line's flags as request options and config, with the flags named as the CLI spells them."""

from __future__ import annotations

import argparse
import os
import re
from pathlib import Path

from mergeguard.core import basepolicy, config
from mergeguard.core.model import Severity
from mergeguard.scan import shards
from mergeguard.scan.request import OptionNames, RequestOptions, build_config

_WINDOWS_ABSOLUTE = re.compile(r"^[A-Za-z]:[/\\]")

NAMES = OptionNames(
    scanners="--scanners",
    timeout="--timeout",
    report="--report {!r}",
    base_report="--report {!r}",
    base_images="--base-image",
    base_reports="--base-report",
    needs_base="--base-image and --base-report compare with the base branch: they need --base REF",
)


def options(
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


def settings(
    args: argparse.Namespace, root: Path, files: basepolicy.PolicyFiles | None = None
) -> config.Config:
    """The config the flags and the policy files give (`files`: the base's in PR mode)."""
    return build_config(options(args, root), files)


def root_dir(path: str) -> Path:
    """PATH or `--root` made absolute, once, here: reports name files absolutely (`bandit -r "$PWD"`,
    SARIF `file:///…`), and a relative root was never taken off them (the readers also match a root
    spelt through a symlink, or resolved). A Windows `C:/…` root (a report made on Windows) stays as
    written."""
    if _WINDOWS_ABSOLUTE.match(path):
        return Path(path)
    return Path(os.path.abspath(path))  # noqa: PTH100 - resolve() follows links, absolute() keeps `..`
