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
import posixpath
import re
from collections.abc import Iterable, Sequence
from pathlib import Path, PurePosixPath

CHART_FILE = "Chart.yaml"
MANIFESTS = frozenset({CHART_FILE, "requirements.yaml"})  # where a chart names its dependencies
_CHART_TOP = frozenset({CHART_FILE, "Chart.lock", "values.schema.json"})
_CHART_DIRS = frozenset({"templates", "crds", "charts"})
_TERRAFORM = (".tf", ".tf.json", ".tfvars")
_MOVED = re.compile(r"^\s*moved\s*\{([^}]*)\}", re.MULTILINE)
_MOVED_FROM = re.compile(r"\bfrom\s*=\s*([A-Za-z0-9_.\[\]\"-]+)")
_MOVED_TO = re.compile(r"\bto\s*=\s*([A-Za-z0-9_.\[\]\"-]+)")
FILE_DEPENDENCY = re.compile(r"(?:^|\n)\s*repository:\s*['\"]?file://([^'\"\s#]+)")  # a chart on disk
_SOURCE = re.compile(r'^\s*source\s*=\s*"(\.{1,2}/[^"]*)"', re.MULTILINE)  # a local module's path


def manifest(chart: str) -> str:
    """The path of a chart's `Chart.yaml` (`chart` as `chart_dirs` names it: "" for the root)."""
    return f"{chart}/{CHART_FILE}" if chart not in ("", ".") else CHART_FILE


def read_with(root: Path, paths: Iterable[str], manifests: Sequence[str] = ()) -> list[str]:
    """The other files of the charts and Terraform modules holding any of `paths`, and of the charts
    among `manifests` (the repository's `Chart.yaml`s) that use one of those charts by `file://`."""
    paths = list(paths)
    charts = _with_dependents(root, chart_dirs(root, paths), manifests)
    found = [f for chart in charts for f in files_of(root, chart) if is_chart_file(f, chart)]
    found += [f for module in _modules(root, paths) for f in _terraform(root, module)]
    return sorted(set(found) - set(paths))


def _with_dependents(root: Path, charts: list[str], manifests: Sequence[str]) -> list[str]:
    """`charts` and every chart that uses one of them by `file://`, however indirectly: a change to a
    library chart's helpers changes what the charts including them render (found by a red team: a
    privileged container put in through the library passed unseen)."""
    found = dict.fromkeys(charts)
    uses = {}
    for name in manifests:
        folder = posixpath.dirname(name)
        try:
            text = (root / name).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            continue
        uses[folder] = {inside(folder or ".", ref) for ref in FILE_DEPENDENCY.findall(text)}
    for _ in range(len(uses)):
        more = [
            user
            for user, used in uses.items()
            if user not in found and used & {*found, *(c or "." for c in found)}
        ]
        if not more:
            break
        found.update(dict.fromkeys(more))
    return list(found)


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
                called for source in _SOURCE.findall(text) if (called := inside(module, source)) is not None
            ]
    return seen


def inside(module: str, source: str) -> str | None:
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
    return [f for f in files_of(root, module, recurse=False) if f.endswith(_TERRAFORM)]


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


# A template's finding is placed on the whole template (`trivy.charts.placed`), the rendered
# manifest's line Trivy gave said in its message: left out of the finding's identity, which a values
# change shifting that line must not change (`scan.fingerprints`, `scan.basecompare`).
_RENDERED_LINE = re.compile(r" \(rendered line \d+\)$")


def with_rendered_line(message: str, line: int) -> str:
    """`message` saying which line of the rendered manifest the tool reported."""
    return f"{message} (rendered line {line})"


def without_rendered_line(message: str) -> str:
    """`message` without what `with_rendered_line` added."""
    return _RENDERED_LINE.sub("", message)


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


def files_of(root: Path, folder: str, *, recurse: bool = True) -> list[str]:
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
