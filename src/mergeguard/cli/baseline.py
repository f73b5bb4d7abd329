"""`mergeguard baseline create | update | prune`: a full scan, then the baseline file rewritten."""

from __future__ import annotations

import argparse
import datetime as dt
import getpass
from pathlib import Path

from mergeguard.core import baseline, gitrepo
from mergeguard.core.config import Config
from mergeguard.core.errors import MergeguardError, ScannerError, UsageError
from mergeguard.core.model import Finding
from mergeguard.core.policy import FindingStatus
from mergeguard.core.text import plain
from mergeguard.scan import pipeline

_UNACCEPTED = (FindingStatus.NEW, FindingStatus.PRE_EXISTING)


def run(args: argparse.Namespace, request: pipeline.ScanRequest, settings: Config, path: Path) -> int:
    """Scan every file of the request's root, then create, update or prune the baseline at `path`."""
    if args.action == "create" and path.exists():
        raise UsageError(f"{path}: a baseline exists already (use `mergeguard baseline update`)")
    if args.action in ("update", "prune") and not path.is_file():
        raise UsageError(f"{path}: no baseline to {args.action} (use `mergeguard baseline create`)")
    reason = _reason(args) if args.action != "prune" else ""
    accepted = request.accepted
    result = pipeline.scan(request, settings)
    if result.decision.failed:
        names = ", ".join(o.scanner for o in result.decision.failed)
        raise ScannerError(f"not writing {path}: scanner {names} failed, so its findings are unknown")
    fresh = [a.finding for a in result.decision.assessed if a.status in _UNACCEPTED]
    entries = _entries(args, reason, fresh, accepted, result.decision.stale)
    baseline.save(path, entries)
    print(
        f"mergeguard: {path}: {len(entries)} entries ({_summary(args.action, len(accepted), len(entries))})"
    )
    for entry in result.decision.stale if args.action != "prune" else ():
        print(f"  stale: {plain(entry.path)}  {entry.tool}  {plain(entry.rule)}  {entry.fingerprint}")
    return 0


def _entries(
    args: argparse.Namespace,
    reason: str,
    fresh: list[Finding],
    accepted: tuple[baseline.BaselineEntry, ...],
    stale: tuple[baseline.BaselineEntry, ...],
) -> list[baseline.BaselineEntry]:
    if args.action == "prune":
        return baseline.prune(accepted, stale)
    new = baseline.accept(fresh, reason, args.by or _who(Path(args.path)), _expiry(args.expires))
    return new if args.action == "create" else baseline.update(accepted, new)


def _summary(action: str, before: int, after: int) -> str:
    if action == "create":
        return f"{after} accepted"
    if action == "update":
        return f"{after - before} added, {before} kept"
    return f"{before - after} stale removed"


def _reason(args: argparse.Namespace) -> str:
    if not args.reason or not args.reason.strip():
        raise UsageError(
            f"baseline {args.action}: --reason is required (say why these findings are accepted)"
        )
    return str(args.reason).strip()


def _expiry(text: str | None) -> dt.date | None:
    if text is None:
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise UsageError(f"--expires: {text!r} is not a date (YYYY-MM-DD)") from None


def _who(root: Path) -> str:
    """Who accepts: git's user.name for this repository, else the login name."""
    repo = gitrepo.open_repo(root)
    try:
        name = repo.git("config", "user.name").strip() if repo else ""
    except MergeguardError:
        name = ""
    return name or getpass.getuser()
