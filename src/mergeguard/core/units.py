"""Files scanned as one unit: a Helm chart, a Terraform module.

Trivy renders a chart's templates with its values before checking them, and Checkov and Trivy read
a Terraform module's variables with its resources: a change to one file (a value, a helper `.tpl`,
a variable's default in `variables.tf`) changes what the others are found to do. So a change to any
file of a unit brings the unit into scope whole (each of its files IaC), and in PR mode its findings
on files the change did not touch are judged by the base's copy of the unit (`scan.basescan`).
A chart is a directory holding `Chart.yaml` (the nearest one above a file); its files are
`Chart.yaml`, `Chart.lock`, `values*.yaml`, `values.schema.json` and everything under `templates/`,
`crds/` and `charts/`. Trivy numbers a template's findings by the lines of the rendered manifest, so
those are judged only by the base's rendering, never by the change's lines. A Terraform module is
the `.tf`, `.tf.json` and `.tfvars` files of one directory, with the local modules it calls.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterable
from pathlib import Path, PurePosixPath

CHART_FILE = "Chart.yaml"
_CHART_TOP = frozenset({CHART_FILE, "Chart.lock", "values.schema.json"})
_CHART_DIRS = frozenset({"templates", "crds", "charts"})
_TERRAFORM = (".tf", ".tf.json", ".tfvars")
_DEPENDENCY_NAME = re.compile(r"^\s*-?\s*name:\s*['\"]?([A-Za-z0-9_.-]+)", re.MULTILINE)
_ENTRY_NAME = re.compile(r"(?:^|\n)\s*name:\s*['\"]?([A-Za-z0-9_.-]+)")
_ENTRY_ALIAS = re.compile(r"(?:^|\n)\s*alias:\s*['\"]?([A-Za-z0-9_.-]+)")
_ENTRY_FILE = re.compile(r"(?:^|\n)\s*repository:\s*['\"]?file://([^'\"\s#]+)")  # a chart on disk
_STAND_IN = "apiVersion: v2\nname: {name}\nversion: 0.0.0\n"
_MAX_NESTING = 8  # file:// dependencies of file:// dependencies followed this deep (a cycle ends)
ChartFiles = Callable[[str], list[tuple[str, bytes]]]
"""A chart's files by its directory (relative to the scan root): each its path inside it and bytes."""
_MOVED = re.compile(r"^\s*moved\s*\{([^}]*)\}", re.MULTILINE)
_MOVED_FROM = re.compile(r"\bfrom\s*=\s*([A-Za-z0-9_.\[\]\"-]+)")
_MOVED_TO = re.compile(r"\bto\s*=\s*([A-Za-z0-9_.\[\]\"-]+)")
_SOURCE = re.compile(r'^\s*source\s*=\s*"(\.{1,2}/[^"]*)"', re.MULTILINE)  # a local module's path


def manifest(chart: str) -> str:
    """The path of a chart's `Chart.yaml` (`chart` as `chart_dirs` names it: "" for the root)."""
    return f"{chart}/{CHART_FILE}" if chart not in ("", ".") else CHART_FILE


def read_with(root: Path, paths: Iterable[str]) -> list[str]:
    """The other files of the charts and Terraform modules holding any of `paths`."""
    paths = list(paths)
    found = [f for chart in chart_dirs(root, paths) for f in _files(root, chart) if is_chart_file(f, chart)]
    found += [f for module in _modules(root, paths) for f in _terraform(root, module)]
    return sorted(set(found) - set(paths))


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
    _renderable(view / chart if chart else view, chart, files, _MAX_NESTING)


def _renderable(top: Path, origin: str, files: ChartFiles | None, depth: int) -> None:
    """`top` (a chart in the view, found at `origin` in the tree) given its missing dependencies."""
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
        folder = local.get(name)
        if folder is not None and files is not None and _copy_chart(top / "charts" / name, files(folder)):
            _renderable(top / "charts" / name, folder, files, depth - 1)
        else:
            _stand_in(top / "charts" / name, name)


def _local(entries: dict[str, str], origin: str) -> dict[str, str]:
    """The dependencies in a `file://` repository inside the scanned tree: name -> chart directory."""
    found = {}
    for name, entry in entries.items():
        path = _ENTRY_FILE.search(entry)
        if path and not path.group(1).startswith("/"):
            folder = _inside(origin or ".", path.group(1))
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
        found = [f for f in _files(root, folder or ".") if is_chart_file(f, folder)]
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


def moved(root: Path, paths: Iterable[str]) -> dict[str, str]:
    """The resources the Terraform files among `paths` say were renamed (`moved { from = A  to = B }`):
    B -> A. Terraform keeps such a resource; without the block it destroys and creates one."""
    found: dict[str, str] = {}
    for path in paths:
        if path.endswith(".tf"):
            try:
                text = (root / path).read_text(encoding="utf-8", errors="replace")
            except OSError:
                continue
            for block in _MOVED.findall(text):
                source, target = _MOVED_FROM.search(block), _MOVED_TO.search(block)
                if source and target:
                    found[target.group(1)] = source.group(1)
    return found


def _modules(root: Path, paths: Iterable[str]) -> set[str]:
    """The directories of the Terraform files among `paths`, and the local modules they call
    (`source = "../modules/bucket"`), theirs in turn: what resolves the resources' arguments."""
    todo = [PurePosixPath(p).parent.as_posix() for p in paths if p.endswith(_TERRAFORM)]
    seen: set[str] = set()
    while todo:
        module = todo.pop()
        if module in seen:
            continue
        seen.add(module)
        for name in _terraform(root, module):
            text = (root / name).read_text(encoding="utf-8", errors="replace")
            todo += [
                called for source in _SOURCE.findall(text) if (called := _inside(module, source)) is not None
            ]
    return seen


def _inside(module: str, source: str) -> str | None:
    """A local module's directory (relative to the root), None when it leaves the repository."""
    parts: list[str] = [] if module in ("", ".") else module.split("/")
    for part in source.split("/"):
        if part == "..":
            if not parts:
                return None
            parts.pop()
        elif part not in ("", "."):
            parts.append(part)
    return "/".join(parts) or "."


def _terraform(root: Path, module: str) -> list[str]:
    return [f for f in _files(root, module, recurse=False) if f.endswith(_TERRAFORM)]


def chart_dirs(root: Path, paths: Iterable[str]) -> list[str]:
    """The charts (directories, relative to `root`, "" for the root itself) whose files are among `paths`."""
    found: dict[str, None] = {}
    known: dict[str, str | None] = {}
    for path in paths:
        chart = _chart_of(root, PurePosixPath(path).parent, known)
        if chart is not None and is_chart_file(path, chart):
            found[chart] = None
    return list(found)


def is_chart_file(path: str, chart: str) -> bool:
    """Whether `path` is one of the files of the chart in `chart` (see the module's docstring)."""
    inner = PurePosixPath(path[len(chart) + 1 :] if chart else path)
    if len(inner.parts) == 1:
        return inner.name in _CHART_TOP or (
            inner.name.startswith("values") and inner.suffix in (".yaml", ".yml")
        )
    return inner.parts[0] in _CHART_DIRS


def of_charts(path: str, charts: Iterable[str]) -> bool:
    """Whether `path` is a file of one of `charts` (IaC: the chart is rendered whole)."""
    return any(
        (chart == "" or path.startswith(f"{chart}/")) and is_chart_file(path, chart) for chart in charts
    )


def in_templates(path: str, charts: Iterable[str]) -> bool:
    """Whether `path` is a template of one of `charts`: its findings' lines are the rendered manifest's."""
    return any(path.startswith(f"{chart}/templates/" if chart else "templates/") for chart in charts)


def _chart_of(root: Path, folder: PurePosixPath, known: dict[str, str | None]) -> str | None:
    """The nearest directory at or above `folder` holding `Chart.yaml` (walked up without recursion:
    a path can be a thousand directories deep), each directory's answer kept in `known`."""
    walked: list[str] = []
    answer: str | None = None
    while True:
        key = folder.as_posix()
        if key in known:
            answer = known[key]
            break
        walked.append(key)
        if _is_file(root / key / CHART_FILE):
            answer = "" if key == "." else key
            break
        if key == ".":
            break
        folder = folder.parent
    for key in walked:
        known[key] = answer
    return answer


def _is_file(path: Path) -> bool:
    try:
        return path.is_file()
    except OSError:  # a name past the path limit: `core.changes` names it when it reads the file
        return False


def _files(root: Path, folder: str, *, recurse: bool = True) -> list[str]:
    """The regular files under `folder` (relative to `root`; symlinks and `.git` left out)."""
    top = root / folder if folder not in ("", ".") else root
    found = []
    for current, dirs, names in os.walk(top):
        dirs[:] = [d for d in dirs if d != ".git"] if recurse else []
        for name in names:
            full = Path(current) / name
            if full.is_file() and not full.is_symlink():
                found.append(full.relative_to(root).as_posix())
    return found
