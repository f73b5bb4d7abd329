"""Symlinks the repository tracks: followed to files inside it, so what a link leads to is scanned.

A link is code like any other file: `src/helpers.py -> ../tests/fixtures/evil.py` is imported from
the product while its target sits in an excluded place. So a link (to a file, or to a directory:
each file under it, links to files among them followed too) is scanned under its own name, with
its target's content; in PR mode its lines are all the change's when the change added or re-pointed
any link on the way (the link itself, a link it leads through), else the lines the change touched
in its target. A link leading outside the repository (or into `.git`) is never followed: that
content is not the repository's, and reading it would put it in the report.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from mergeguard.core.errors import ScannerError
from mergeguard.core.linecount import all_lines

MAX_REACHED = 20_000  # files reached through links, or twice the files tracked if more: 150 links
# to a directory of 3,000 files made 450,000 names (a scan that would not end)
_MAX_HOPS = 40  # links followed to resolve one name (the kernel's own limit)


@dataclass(frozen=True, slots=True)
class Reached:
    """A file reached through links: its name as scanned, the file read, that file's repo-relative
    path, and every link (repo-relative) resolving the name went through."""

    name: str
    real: Path
    target: str
    hops: tuple[str, ...]


def target(root: Path, link: Path) -> Path | None:
    """Where the symlink `link` (under `root`) leads, resolved as `reached` resolves it; None when it
    is no symlink or leads nowhere `reached` would follow."""
    try:
        if not link.is_symlink():
            return None
        base = root.resolve()
        resolved = _resolve(base, link.relative_to(root).as_posix())
    except (OSError, ValueError):
        return None
    return resolved[0] if resolved is not None else None


def reached(root: Path, links: Sequence[str], tracked: int = 0) -> list[Reached]:
    """Every file the tracked symlinks `links` lead to inside the repository; ScannerError past
    MAX_REACHED or twice the `tracked` files, whichever is more (a scan that would not end)."""
    base, limit = root.resolve(), max(MAX_REACHED, 2 * tracked)
    found: list[Reached] = []
    for link in links:
        resolved = _resolve(base, link)
        if resolved is None:
            continue
        real, hops = resolved
        found += _files(base, link, real, hops)
        if len(found) > limit:
            raise ScannerError(f"{link}: symlinks lead to more than {limit:,} files, more than are read")
    return found


def changed_through(
    root: Path,
    links: Sequence[str],
    changed: Mapping[str, str | None],
    lines: dict[str, frozenset[int]],
    tracked: int = 0,
) -> dict[str, str]:
    """The files reached through tracked symlinks that the change touched (name -> target), their
    lines put in `lines`: every line when the change added or re-pointed a link on the way, else
    the lines it touched in the target."""
    found = {}
    for item in reached(root, links, tracked):
        if any(hop in changed for hop in item.hops):
            lines[item.name] = all_lines(item.real)
        elif item.target in changed:
            lines[item.name] = lines.get(item.target, frozenset())
        else:
            continue
        found[item.name] = item.target
    return found


def _files(base: Path, name: str, real: Path, hops: tuple[str, ...]) -> list[Reached]:
    """The file `name` leads to, or each file under the directory it leads to (a link to a file
    among them followed, inside the repository; directories are walked once, links to them not)."""
    if real.is_file():
        return [Reached(name, real, real.relative_to(base).as_posix(), hops)]
    found = []
    for folder, dirs, names in os.walk(real):  # followlinks=False: a loop cannot be walked
        dirs[:] = sorted(d for d in dirs if d != ".git")
        for file_name in sorted(names):
            entry = Path(folder) / file_name
            inner = f"{name}/{entry.relative_to(real).as_posix()}"
            if entry.is_symlink():
                resolved = _resolve(base, entry.relative_to(base).as_posix())
                if resolved is not None and resolved[0].is_file():
                    file, more = resolved
                    found.append(Reached(inner, file, file.relative_to(base).as_posix(), (*hops, *more)))
            elif entry.is_file():
                found.append(Reached(inner, entry, entry.relative_to(base).as_posix(), hops))
    return found


def _resolve(base: Path, name: str) -> tuple[Path, tuple[str, ...]] | None:
    """The file or directory `name` (repo-relative) leads to, resolved one component at a time as
    the kernel does, and every link passed on the way (repo-relative); None when it leaves the
    repository or enters `.git` at any step, is an absolute link, dangles, or passes _MAX_HOPS."""
    parts, done, hops = list(Path(name).parts), base, list[str]()
    while parts:
        part = parts.pop(0)
        current = done.parent if part == ".." else done if part == "." else done / part
        if current != base and not _inside(base, current):
            return None
        if current.is_symlink():
            pointed = str(current.readlink())
            if len(hops) >= _MAX_HOPS or pointed.startswith("/"):
                return None
            hops.append(current.relative_to(base).as_posix())
            parts = [*Path(pointed).parts, *parts]  # read from the link's own directory, `done`
            continue
        done = current
    return (done, tuple(hops)) if done != base and done.exists() else None


def _inside(base: Path, path: Path) -> bool:
    return path.is_relative_to(base) and path != base and ".git" not in path.relative_to(base).parts
