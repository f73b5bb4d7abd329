"""Symlinks the repository tracks: followed to files inside it, so what a link leads to is scanned.

A link is code like any other file: `src/helpers.py -> ../tests/fixtures/evil.py` is imported from
the product while its target sits in an excluded place. So a link (to a file, or to a directory:
each regular file under it) is scanned under its own name, with its target's content; in PR mode
its lines are the change's when the link is, else the lines the change touched in its target. A
link leading outside the repository (or into `.git`) is never followed: that content is not the
repository's, and reading it would put it in the report.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path

from mergeguard.core.linecount import all_lines


def target(root: Path, link: Path) -> Path | None:
    """Where the symlink `link` leads, every link resolved, when that is inside `root` (not `.git`)."""
    try:
        if not link.is_symlink():
            return None
        base, resolved = root.resolve(), link.resolve(strict=True)
    except (OSError, RuntimeError):  # RuntimeError: a link loop
        return None
    inside = resolved.is_relative_to(base) and resolved != base
    return resolved if inside and ".git" not in resolved.relative_to(base).parts else None


def files(name: str, resolved: Path) -> list[tuple[str, Path]]:
    """(name as scanned, the file read) for a link to a file, or for each regular file under a
    linked directory (links below it are not followed again); [] for anything else."""
    if resolved.is_file():
        return [(name, resolved)]
    if not resolved.is_dir():
        return []
    found: list[tuple[str, Path]] = []
    for folder, dirs, names in os.walk(resolved):  # followlinks=False: a loop cannot be walked
        dirs[:] = [d for d in dirs if d != ".git"]
        for file_name in names:
            real = Path(folder) / file_name
            if real.is_file() and not real.is_symlink():
                found.append((f"{name}/{real.relative_to(resolved).as_posix()}", real))
    return sorted(found)


def reached(root: Path, names: Sequence[str]) -> list[tuple[str, str, Path]]:
    """(link, name as scanned, file read) of every file the tracked symlinks `names` lead to in the repo."""
    found = []
    for link in names:
        resolved = target(root, root / link)
        found += [(link, name, real) for name, real in files(link, resolved)] if resolved else []
    return found


def changed_through(
    root: Path, names: Sequence[str], changed: Mapping[str, str | None], lines: dict[str, frozenset[int]]
) -> list[str]:
    """The files reached through tracked symlinks that the change touched, their lines put in `lines`:
    every line behind a link the change added or re-pointed, else the lines it touched in the target."""
    base = root.resolve()
    found = []
    for link, name, real in reached(root, names):
        target = real.relative_to(base).as_posix()
        if link in changed:
            lines[name] = all_lines(real)
        elif target in changed:
            lines[name] = lines.get(target, frozenset())
        else:
            continue
        found.append(name)
    return found
