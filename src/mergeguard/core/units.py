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
from collections.abc import Iterable
from pathlib import Path, PurePosixPath

CHART_FILE = "Chart.yaml"
_CHART_TOP = frozenset({CHART_FILE, "Chart.lock", "values.schema.json"})
_CHART_DIRS = frozenset({"templates", "crds", "charts"})
_TERRAFORM = (".tf", ".tf.json", ".tfvars")
_DEPENDENCY_NAME = re.compile(r"^\s*-?\s*name:\s*['\"]?([A-Za-z0-9_.-]+)", re.MULTILINE)
_ENTRY_NAME = re.compile(r"(?:^|\n)\s*name:\s*['\"]?([A-Za-z0-9_.-]+)")
_ENTRY_ALIAS = re.compile(r"(?:^|\n)\s*alias:\s*['\"]?([A-Za-z0-9_.-]+)")
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


def renderable(view: Path, chart: str) -> None:
    """The chart as laid out in `view`, made renderable when its dependencies are not vendored: a
    `charts/` left to `helm dependency build` (gitignored, the usual layout) makes Trivy skip the
    whole chart ("missing in charts/ directory"), so nothing of the repository's own templates was
    checked. Each missing dependency gets an empty stand-in chart in the view (`charts/NAME`): the
    chart's own templates are checked, the subcharts (another repository's code) are not. Nothing
    laid out is rewritten (the view's files are hard links to the work tree's, and the secret
    scanners read `Chart.yaml` as it is)."""
    top = view / chart if chart else view
    try:
        text = (top / CHART_FILE).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return
    for name in {*_DEPENDENCY_NAME.findall(_block(text, "dependencies")), *_requirements(top)}:
        if not name.startswith(".") and not _vendored(top / "charts", name):
            _stand_in(top / "charts" / name, name)


def _stand_in(folder: Path, name: str) -> None:
    """An empty chart called `name` in `folder`, created new (`x`: never written through a link)."""
    try:
        folder.mkdir(parents=True)
        with (folder / CHART_FILE).open("x", encoding="utf-8") as handle:
            handle.write(f"apiVersion: v2\nname: {name}\nversion: 0.0.0\n")
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
    for entry in re.split(r"\n\s*-\s+", "\n" + _block(manifest, "dependencies")):
        name, alias = _ENTRY_NAME.search(entry), _ENTRY_ALIAS.search(entry)
        if name and alias:
            found[alias.group(1)] = name.group(1)
    return found


def _requirements(top: Path) -> list[str]:
    try:
        return _DEPENDENCY_NAME.findall((top / "requirements.yaml").read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError):
        return []


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
