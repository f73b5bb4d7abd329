"""`mergeguard merge`: shard reports read back, checked for completeness, and decided as one scan."""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mergeguard.core import gitrepo, jsonfields, jsonload
from mergeguard.core.baseline import BaselineEntry
from mergeguard.core.basepolicy import PolicyFiles
from mergeguard.core.changes import collect
from mergeguard.core.config import Config
from mergeguard.core.errors import MissingShardError, UsageError
from mergeguard.core.outcome import ScanOutcome, Status
from mergeguard.core.text import plain
from mergeguard.scan import (
    basescan,
    imported,
    pipeline,
    policydiff,
    shard_files,
    shard_outcomes,
    shard_scope,
    shards,
)
from mergeguard.scan.registry import REGISTRY, select

OPTIONS = ("path", "base", "config", "baseline", "fail_on", "timeout", "ignore_unfixed", "scanners")
"""The `scan` options a shard records: every shard must have run with the same ones."""


@dataclass(frozen=True, slots=True)
class ShardReport:
    """One shard's report as `merge` needs it."""

    source: str
    shard: shards.Shard
    head: str | None
    options: dict[str, Any]
    outcomes: tuple[ScanOutcome, ...]
    scope: dict[str, str | None]  # `shard_scope.KEYS`: base commit, mode, directory, config digest
    parts: tuple[shard_files.Part, ...] = ()  # the split per-file scanners' parts it ran
    rescan: basescan.Rescan = field(default_factory=basescan.Rescan)  # its base scans (PR mode)


def section(result: pipeline.ScanResult, shard: shards.Shard, options: dict[str, Any]) -> dict[str, Any]:
    """The `shard` key of a shard's JSON report: which shard, the commits, options, scope, raw outcomes."""
    repo = result.changes.repo
    return {
        "index": shard.index,
        "count": shard.count,
        "head": gitrepo.head_commit(repo) if repo else None,
        "options": {k: options.get(k) for k in OPTIONS},
        "scope": shard_scope.of(result.changes, result.config),
        "parts": [[p.scanner, p.index, p.count] for p in result.shard_parts],
        "outcomes": [shard_outcomes.outcome_dict(o) for o in result.outcomes],
        "rescan": _rescan_dict(result.rescan or basescan.Rescan()),
    }


def _rescan_dict(rescan: basescan.Rescan) -> dict[str, Any]:
    return {
        "outcomes": [shard_outcomes.outcome_dict(o) for o in rescan.outcomes],
        "scanned": sorted([tool, path] for tool, path in rescan.scanned),
    }


def _rescan_from(data: object) -> basescan.Rescan:
    outcomes = jsonfields.field(data, "outcomes", _outcomes)
    return basescan.Rescan(
        outcomes, frozenset(jsonfields.field(data, "scanned", lambda v: jsonfields.each(v, _scanned)))
    )


def _scanned(value: object) -> tuple[str, str]:
    tool, path = shard_outcomes.row(value, "[tool, path]")
    return shard_outcomes.text(tool), shard_outcomes.text(path)


def _outcomes(value: object) -> tuple[ScanOutcome, ...]:
    return jsonfields.each(value, shard_outcomes.outcome_from)


def _part(value: object) -> shard_files.Part:
    name, index, count = shard_outcomes.row(value, "[scanner, part, count]")
    return shard_files.Part(
        shard_outcomes.text(name), shard_outcomes.whole(index), shard_outcomes.whole(count)
    )


def read(source: str) -> ShardReport:
    """A shard report (`scan --shard I/N --json FILE`); UsageError naming the file when it is not one,
    MissingShardError (exit 3) when there is no such file (a shard that failed before writing it)."""
    if source != imported.STDIN and not Path(source).exists():
        raise MissingShardError(f"merge: missing shard report: {plain(source)}: no such file")
    data = jsonload.loads(imported.read_report(source), plain(source))
    part = data.get("shard") if isinstance(data, dict) else None
    if not isinstance(part, dict):
        raise UsageError(f"{plain(source)}: shard: missing (not written by `mergeguard scan --shard I/N`)")
    try:  # each field named by its JSON path when it is missing or not what `section` writes
        shard = shards.Shard(
            jsonfields.field(part, "index", shard_outcomes.whole),
            jsonfields.field(part, "count", shard_outcomes.whole),
        )
        options = jsonfields.field(part, "options", _options)
        head = jsonfields.field(part, "head", lambda value: value)
        scope = jsonfields.field(part, "scope", shard_scope.read)
        parts = jsonfields.field(part, "parts", lambda value: jsonfields.each(value, _part))
        outcomes = jsonfields.field(part, "outcomes", _outcomes)
        rescan = jsonfields.field(part, "rescan", _rescan_from)
    except jsonfields.FieldError as exc:
        raise UsageError(f"{plain(source)}: shard{plain(exc.path)}: {plain(exc.problem)}") from None
    if not 1 <= shard.index <= shard.count or not (head is None or isinstance(head, str)):
        raise UsageError(f"{plain(source)}: shard: index, count or head out of range")
    if any(not 1 <= p.index <= p.count <= shard.count for p in parts):
        raise UsageError(f"{plain(source)}: shard: parts: a part out of range")
    return ShardReport(source, shard, head, options, outcomes, scope, parts, rescan)


def consistent(reports: Sequence[ShardReport]) -> dict[str, Any]:
    """The options every shard ran with; UsageError (exit 2) or MissingShardError (exit 3) if unfit."""
    if not reports:
        raise UsageError("merge: no shard report given")
    first = reports[0]
    for what, value in _SHARED:
        if found := shard_scope.odd_one(reports, value):
            odd, usual = found
            raise UsageError(
                f"merge: shard {odd.shard.label} ({plain(odd.source)}) has another {what} than shard "
                f"{usual.shard.label} ({plain(usual.source)}){_values(value(odd), value(usual))}"
            )
    seen: dict[int, str] = {}
    for report in reports:
        if report.shard.index in seen:
            raise UsageError(
                f"merge: shard {report.shard.label} given twice: "
                f"{plain(seen[report.shard.index])} and {plain(report.source)}"
            )
        seen[report.shard.index] = report.source
    missing = [f"{i}/{first.shard.count}" for i in range(1, first.shard.count + 1) if i not in seen]
    if missing:
        raise MissingShardError(
            f"merge: missing shard report{'s' if len(missing) > 1 else ''}: {', '.join(missing)}"
        )
    return first.options


def fold(
    reports: Sequence[ShardReport],
    root: Path,
    config: Config,
    files: PolicyFiles | None,
    accepted: tuple[BaselineEntry, ...],
) -> pipeline.ScanResult:
    """The shards' outcomes decided exactly as one `scan` decides its scanners' (same code path)."""
    options = reports[0].options
    changes = collect(root, options["base"], config.exclude)
    here = gitrepo.head_commit(changes.repo) if changes.repo else None
    if here != reports[0].head:
        raise UsageError(f"merge: the shards scanned commit {reports[0].head}, this checkout is {here}")
    shard_scope.check_here(reports[0].scope, shard_scope.of(changes, config))
    _planned(reports, _selection(options["scanners"], config))
    order = {name: i for i, name in enumerate(REGISTRY)}
    outcomes = sorted(_joined(reports), key=lambda o: order.get(o.scanner, len(order)))
    names = [o.scanner for o in outcomes]
    if twice := sorted({n for n in names if names.count(n) > 1}):
        raise UsageError(f"merge: scanner {', '.join(twice)} reported by more than one shard")
    request = pipeline.ScanRequest(root, options["base"], accepted=accepted, policy=files)
    policy_changes = policydiff.compare(files, REGISTRY.keys())
    rescan = functools.reduce(basescan.Rescan.joined, (r.rescan for r in reports), basescan.Rescan())
    return pipeline.conclude(request, config, changes, outcomes, policy_changes=policy_changes, rescan=rescan)


def _selection(scanners: str | None, config: Config) -> Callable[[str], bool]:
    """Whether the shards selected a scanner: the recorded `--scanners`, else the config's switch."""
    chosen = select(scanners, "merge: the shards' --scanners")
    return lambda name: name in chosen if chosen is not None else config.enabled(name)


def _planned(reports: Sequence[ShardReport], selected: Callable[[str], bool]) -> None:
    """MissingShardError (exit 3) naming the shard whose report lacks the outcome of a scanner (or part)
    the shards' plan gives it, or holds a selected one as "not selected": its findings would be lost."""
    counts = {p.scanner: p.count for report in reports for p in report.parts}
    hosts = shards.layout(list(REGISTRY), reports[0].shard.count, selected, counts)
    for report in reports:
        found = {o.scanner: o for o in report.outcomes}
        for name, where in hosts.items():
            if report.shard.index not in where:
                continue
            outcome = found.get(name)
            what = f"part {where.index(report.shard.index) + 1}/{len(where)} of " if len(where) > 1 else ""
            if outcome is None:
                problem = f"has no outcome of {what}scanner {name}"
            elif selected(name) and outcome.status is Status.SKIPPED and outcome.reason == "not selected":
                problem = f'has {what}scanner {name} "not selected", though the shards selected it'
            else:
                continue
            raise MissingShardError(
                f"merge: shard {report.shard.label} ({plain(report.source)}) {problem}: the shards' plan "
                "runs it there, and its findings would be missing"
            )


def failures(reports: Sequence[ShardReport]) -> list[str]:
    """One line per scanner that failed in a shard, naming the shard and its report."""
    return [
        f"shard {r.shard.label} ({plain(r.source)}): scanner {o.scanner} failed: {plain(o.reason)}"
        for r in reports
        for o in r.outcomes
        if o.status is Status.FAILED
    ]


def _joined(reports: Sequence[ShardReport]) -> list[ScanOutcome]:
    """Every shard's outcomes, a split scanner's parts put back together (UsageError if one is off)."""
    reports = sorted(reports, key=lambda r: r.shard.index)
    split: dict[str, dict[int, tuple[str, ScanOutcome]]] = {}
    counts: dict[str, set[int]] = {}
    joined: list[ScanOutcome] = []
    for report in reports:
        parts = {p.scanner: p for p in report.parts}
        for outcome in report.outcomes:
            part = parts.get(outcome.scanner)
            if part is None:
                joined.append(outcome)
                continue
            where = f"part {part.index}/{part.count} in shard {report.shard.label} ({plain(report.source)})"
            if split.setdefault(part.scanner, {}).setdefault(part.index, (where, outcome))[1] is not outcome:
                raise UsageError(f"merge: scanner {part.scanner}: part {part.index} given twice")
            counts.setdefault(part.scanner, set()).add(part.count)
    for name, found in split.items():
        count = max(counts[name])
        if len(counts[name]) > 1 or sorted(found) != list(range(1, count + 1)):
            raise UsageError(
                f"merge: scanner {name}: parts {', '.join(f'{i}/{count}' for i in sorted(found))} "
                f"do not make up its {count} parts"
            )
        joined.append(shard_files.combine(name, [found[i] for i in sorted(found)]))
    return joined


def _values(odd: object, usual: object) -> str:
    """ ": abc vs def" for two scalar values; for option sets, each option that differs by name."""
    if isinstance(odd, dict) and isinstance(usual, dict):
        keys = [k for k in OPTIONS if odd.get(k) != usual.get(k)]
        return ": " + "; ".join(f"{k.replace('_', '-')}{_values(odd.get(k), usual.get(k))}" for k in keys)
    one, other = (None if v is None else str(v) for v in (odd, usual))
    return f": {shard_scope.shown(one)} vs {shard_scope.shown(other)}"


_SHARED: tuple[tuple[str, Callable[[ShardReport], object]], ...] = (
    ("shard count", lambda r: r.shard.count),
    ("commit", lambda r: r.head),
    *((shard_scope.NAMES[key], lambda r, key=key: r.scope[key]) for key in shard_scope.KEYS),
    ("scan options", lambda r: r.options),
)


def _options(options: object) -> dict[str, Any]:
    """The recorded options, with this version's keys and types (a report is read like any input)."""
    if not isinstance(options, dict) or set(options) != set(OPTIONS):
        raise ValueError(f"expected an object of the keys {', '.join(OPTIONS)} (another mergeguard version?)")
    for key, value in options.items():
        kinds, what = _OPTION_TYPES.get(key, ((str,), "a string or null"))
        if not (isinstance(value, kinds) or (value is None and key != "ignore_unfixed")):
            raise jsonfields.FieldError(f".{key}", f"expected {what}, got {jsonfields.got(value)}")
    return options


_OPTION_TYPES = {"ignore_unfixed": ((bool,), "true or false"), "timeout": ((int, float), "a number or null")}
