"""A Helm chart laid out so Trivy can render it: its dependencies given in the scan view.

Trivy skips a whole chart whose dependencies are not in its `charts/` (left to `helm dependency
build`, the usual layout). Each missing one is laid out in the view: a chart of the repository named
by `file://` as it is, any other as an empty stand-in, so the chart's own templates are checked.
Also what a manifest says of its dependencies (their aliases) for placing Trivy's findings.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from pathlib import Path

from mergeguard.core.units import CHART_FILE, FILE_DEPENDENCY, files_of, inside, is_chart_file

_DEPENDENCY_NAME = re.compile(r"^\s*-?\s*name:\s*['\"]?([A-Za-z0-9_.-]+)", re.MULTILINE)
_ENTRY_NAME = re.compile(r"(?:^|\n)\s*name:\s*['\"]?([A-Za-z0-9_.-]+)")
_ENTRY_ALIAS = re.compile(r"(?:^|\n)\s*alias:\s*['\"]?([A-Za-z0-9_.-]+)")
_STAND_IN = "apiVersion: v2\nname: {name}\nversion: 0.0.0\n"
_MAX_NESTING = 8  # file:// dependencies of file:// dependencies followed this deep (a cycle ends)
# Charts copied for one chart at most: a chart whose dependencies all name itself (`file://.`) was
# copied K^8 times (a red team: 524,000 files, 3 GB, before any scanner started); past it, stand-ins.
_MAX_COPIES = 64
ChartFiles = Callable[[str], list[tuple[str, bytes]]]
"""A chart's files by its directory (relative to the scan root): each its path inside it and bytes."""


def renderable(view: Path, chart: str, files: ChartFiles | None = None) -> None:
    """The chart as laid out in `view`, made renderable when its dependencies are not vendored: a
    `charts/` left to `helm dependency build` (gitignored, the usual layout) makes Trivy skip the
    whole chart ("missing in charts/ directory"), so nothing of the repository's own templates was
    checked. A dependency whose `repository: file://PATH` is a chart inside the scanned tree is laid
    out from `files` (the work tree's, or the base's), as `helm dependency build` copies it: templates
    calling its helpers (a library chart's `include "common.all"`) render. Any other gets an empty
    stand-in chart (`charts/NAME`): the chart's own templates are checked, the subcharts (another
    repository's code) are not. Nothing laid out is rewritten: only new files and directories (the
    view's files are hard links to the work tree's, and the secret scanners read `Chart.yaml` as it is)."""
    _renderable(view / chart if chart else view, chart, files, _MAX_NESTING, [_MAX_COPIES])


def _renderable(top: Path, origin: str, files: ChartFiles | None, depth: int, left: list[int]) -> None:
    """`top` (a chart in the view, found at `origin` in the tree) given its missing dependencies;
    `left`: how many more charts may be copied for this one (shared down the tree)."""
    try:
        text = (top / CHART_FILE).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return
    requirements = _requirements(top)
    local = _local({**_entries(text), **_entries(requirements)}, origin) if files and depth else {}
    for name in {
        *_DEPENDENCY_NAME.findall(_block(text, "dependencies")),
        *_DEPENDENCY_NAME.findall(requirements),
    }:
        if name.startswith(".") or _vendored(top / "charts", name):
            continue
        folder = local.get(name) if left[0] > 0 else None
        if folder is not None and files is not None and _copy_chart(top / "charts" / name, files(folder)):
            left[0] -= 1
            _renderable(top / "charts" / name, folder, files, depth - 1, left)
        else:
            _stand_in(top / "charts" / name, name)


def _local(entries: dict[str, str], origin: str) -> dict[str, str]:
    """The dependencies in a `file://` repository inside the scanned tree: name -> chart directory."""
    found = {}
    for name, entry in entries.items():
        path = FILE_DEPENDENCY.search(entry)
        if path and not path.group(1).startswith("/"):
            folder = inside(origin or ".", path.group(1))
            if folder is not None:
                found[name] = "" if folder == "." else folder
    return found


def _copy_chart(folder: Path, files: list[tuple[str, bytes]]) -> bool:
    """`files` written as a new chart in `folder` (`x`: never through a link); False: not a chart."""
    if not any(name == CHART_FILE for name, _ in files):
        return False
    try:
        folder.mkdir(parents=True)
        for name, data in files:
            (folder / name).parent.mkdir(parents=True, exist_ok=True)
            with (folder / name).open("xb") as handle:
                handle.write(data)
    except OSError:
        pass  # something of that name is there: Trivy says what it makes of it
    return True


def tree_files(root: Path) -> ChartFiles:
    """The chart files of a directory of the tree at `root`; none when a symlink is on its way."""

    def read(folder: str) -> list[tuple[str, bytes]]:
        top = root / folder if folder else root
        if Path(os.path.realpath(top)) != Path(os.path.realpath(root)) / folder:
            return []  # a link: it may lead out of the repository
        found = [f for f in files_of(root, folder or ".") if is_chart_file(f, folder)]
        return [(f[len(folder) + 1 :] if folder else f, (root / f).read_bytes()) for f in found]

    return read


def stand_ins(view: Path, chart: str) -> list[str]:
    """The dependencies of the chart in `view` that were given an empty stand-in (`renderable`)."""
    charts = (view / chart if chart else view) / "charts"
    try:
        folders = sorted(charts.iterdir()) if charts.is_dir() else []
    except OSError:
        return []
    return [f.name for f in folders if _is_stand_in(f)]


def _is_stand_in(folder: Path) -> bool:
    try:
        names = [p.name for p in folder.iterdir()]
        return names == [CHART_FILE] and (folder / CHART_FILE).read_text() == _STAND_IN.format(
            name=folder.name
        )
    except (OSError, UnicodeDecodeError):
        return False


def _stand_in(folder: Path, name: str) -> None:
    """An empty chart called `name` in `folder`, created new (`x`: never written through a link)."""
    try:
        folder.mkdir(parents=True)
        with (folder / CHART_FILE).open("x", encoding="utf-8") as handle:
            handle.write(_STAND_IN.format(name=name))
    except OSError:
        return  # something of that name is there: Trivy says what it makes of it


def _block(text: str, key: str) -> str:
    """The top-level `key:` block of a YAML text (its first line to the next top-level key)."""
    lines = text.split("\n")
    start = next((i for i, line in enumerate(lines) if line.startswith(f"{key}:")), None)
    if start is None:
        return ""
    inside = ("", " ", "\t", "-", "#")  # what a line of the block starts with
    end = next((i for i in range(start + 1, len(lines)) if lines[i][:1] not in inside), len(lines))
    return "\n".join(lines[start:end])


def aliases(manifest: str) -> dict[str, str]:
    """A chart's dependencies installed under another name (`alias: web` for chart `app`): alias ->
    name. Helm renders them as `charts/ALIAS`, and so Trivy names their files, but the subchart's
    files are in `charts/NAME`."""
    found = {}
    for name, entry in _entries(manifest).items():
        alias = _ENTRY_ALIAS.search(entry)
        if alias:
            found[alias.group(1)] = name
    return found


def _entries(manifest: str) -> dict[str, str]:
    """The entries of a manifest's `dependencies:` block, by name: each its text."""
    found = {}
    for entry in re.split(r"\n\s*-\s+", "\n" + _block(manifest, "dependencies")):
        name = _ENTRY_NAME.search(entry)
        if name:
            found[name.group(1)] = entry
    return found


def _requirements(top: Path) -> str:
    """A Helm 2 chart's `requirements.yaml` (its dependencies), "" when it has none."""
    try:
        return (top / "requirements.yaml").read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return ""


def _vendored(charts: Path, name: str) -> bool:
    return (charts / name).is_dir() or any(charts.glob(f"{name}-*.tgz"))
