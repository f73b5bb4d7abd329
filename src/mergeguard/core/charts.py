"""Helm charts: read whole, since Trivy renders a chart's templates with its values before checking.

A change to any file of a chart (its values, a helper `.tpl`, one template) changes what every
template renders to: the chart comes into scope whole, each of its files IaC, so the rendered
result is checked. A chart is a directory holding `Chart.yaml` (the nearest one above a file).
Trivy numbers the lines of the rendered manifests, not of the templates, so in PR mode a template's
finding is judged by the base's copy of the chart (`scan.basescan`), never by its lines.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path, PurePosixPath

CHART_FILE = "Chart.yaml"


def chart_dirs(root: Path, paths: Iterable[str]) -> list[str]:
    """The charts (directories, relative to `root`, "" for the root itself) holding any of `paths`."""
    found: dict[str, None] = {}
    known: dict[str, str | None] = {}
    for path in paths:
        chart = _chart_of(root, PurePosixPath(path).parent, known)
        if chart is not None:
            found[chart] = None
    return list(found)


def _chart_of(root: Path, folder: PurePosixPath, known: dict[str, str | None]) -> str | None:
    key = folder.as_posix()
    if key not in known:
        if _is_file(root / key / CHART_FILE):
            known[key] = "" if key == "." else key
        else:
            known[key] = None if key == "." else _chart_of(root, folder.parent, known)
    return known[key]


def _is_file(path: Path) -> bool:
    try:
        return path.is_file()
    except OSError:  # a name past the path limit: `core.changes` names it when it reads the file
        return False


def chart_files(root: Path, chart: str) -> list[str]:
    """The regular files of a chart, relative to `root` (symlinks and `.git` left out)."""
    top = root / chart if chart else root
    found = []
    for folder, dirs, names in os.walk(top):
        dirs[:] = [d for d in dirs if d != ".git"]
        for name in names:
            full = Path(folder) / name
            if full.is_file() and not full.is_symlink():
                found.append(full.relative_to(root).as_posix())
    return sorted(found)


def in_chart(path: str, charts: Iterable[str]) -> bool:
    """Whether `path` is a file of one of `charts` (as `chart_dirs` names them)."""
    return any(chart == "" or path.startswith(chart + "/") for chart in charts)
