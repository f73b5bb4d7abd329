"""`scan --shard I/N`: which scanners a shard runs (its outcomes are written by `scan.shard_outcomes`).

The split is deterministic on every machine: a fixed weight table (typical relative run times
on a mid-sized repository, not this machine's measured history) and the longest-first greedy rule
(heaviest scanner to the least loaded shard, ties to the lower shard, names break weight ties).
Scanners the run does not select weigh nothing: their "not selected" outcome still has one home.
A per-file scanner with a long file list is split: each of several shards runs it on one part of
its files (`scan.shard_files`), and `merge` puts the parts back together.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from fractions import Fraction

from mergeguard.core.errors import UsageError
from mergeguard.scan import shard_files
from mergeguard.scan.registry import TOOLS
from mergeguard.scanners.base import Job

# Each tool declares its weight (`Tool.shard_weight`).
WEIGHTS: dict[str, int] = {name: t.shard_weight for name, t in TOOLS.items() if t.shard_weight is not None}
DEFAULT_WEIGHT = 2  # a scanner missing from the table
_SPEC = re.compile(r"([0-9]{1,3})/([0-9]{1,3})")


@dataclass(frozen=True, slots=True)
class Shard:
    """Shard `index` (1-based) of `count`."""

    index: int
    count: int

    @property
    def label(self) -> str:
        return f"{self.index}/{self.count}"


@dataclass(frozen=True, slots=True)
class Assignment:
    """The jobs one shard runs, and which part of its files each split scanner's job has."""

    jobs: tuple[Job, ...]
    parts: tuple[shard_files.Part, ...] = ()


def parse(text: str, what: str = "--shard") -> Shard:
    """`I/N` with 1 <= I <= N; UsageError naming `what` (the flag or input) otherwise."""
    match = _SPEC.fullmatch(text.strip())
    if match is None or not 1 <= int(match[1]) <= int(match[2]):
        raise UsageError(f"{what} {text!r}: expected I/N with 1 <= I <= N (e.g. 2/3)")
    return Shard(int(match[1]), int(match[2]))


def plan(names: Sequence[str], count: int, selected: Callable[[str], bool]) -> dict[str, int]:
    """Each scanner's shard (1-based) when none is split: heaviest first to the least loaded shard."""
    return {name: hosts[0] for name, hosts in layout(names, count, selected).items()}


def layout(
    names: Sequence[str], count: int, selected: Callable[[str], bool], parts: Mapping[str, int] | None = None
) -> dict[str, tuple[int, ...]]:
    """The shards (1-based, ascending) hosting each scanner: one, or `parts[name]` distinct ones.

    A scanner split in k parts is k items of 1/k its weight; the heaviest item goes to the least
    loaded shard that does not host that scanner yet (ties to the lower shard, then by name).
    """
    load = [Fraction(0)] * count
    hosts: dict[str, list[int]] = {}
    items = [
        (Fraction(_weight(n, selected), k), n)
        for n in names
        for k in [(parts or {}).get(n, 1)]
        for _ in range(k)
    ]
    for weight, name in sorted(items, key=lambda item: (-item[0], item[1])):
        taken = hosts.setdefault(name, [])
        lightest = min((i for i in range(count) if i + 1 not in taken), key=lambda i: (load[i], i))
        load[lightest] += weight
        taken.append(lightest + 1)
    return {name: tuple(sorted(taken)) for name, taken in hosts.items()}


def assigned(jobs: Iterable[Job], shard: Shard | None, selected: Callable[[str], bool]) -> Assignment:
    """This shard's jobs in their usual order (all of them when not sharded), a split scanner's job
    narrowed to its part of the files (`scan.shard_files`)."""
    every = list(jobs)
    if shard is None:
        return Assignment(tuple(every))
    files = {j.scanner.name: j.target.files for j in every if j.target is not None}
    counts = {n: shard_files.part_count(n, f, shard.count) for n, f in files.items() if selected(n)}
    hosts = layout(list(dict.fromkeys(j.scanner.name for j in every)), shard.count, selected, counts)
    mine: list[Job] = []
    parts: list[shard_files.Part] = []
    for job in every:
        where = hosts[job.scanner.name]
        if shard.index not in where:
            continue
        if len(where) > 1 and job.target is not None:
            index = where.index(shard.index)
            chunk = shard_files.cut(job.target.root, job.target.files, len(where))[index]
            mine.append(replace(job, target=replace(job.target, files=chunk)))
            parts.append(shard_files.Part(job.scanner.name, index + 1, len(where)))
        else:
            mine.append(job)
    return Assignment(tuple(mine), tuple(parts))


def _weight(name: str, selected: Callable[[str], bool]) -> int:
    return WEIGHTS.get(name, DEFAULT_WEIGHT) if selected(name) else 0
