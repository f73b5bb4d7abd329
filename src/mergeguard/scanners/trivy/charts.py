"""Helm charts Trivy could not render: each a finding, never a silent "nothing found".

Trivy renders a chart with its own values before checking it; when that fails (a `required` value
without a default, a template error) it logs `WARN [helm scanner] Skipping chart` and reports
nothing for the chart, exit 0. A pull request could make a chart unrenderable on purpose and add
`hostPID: true` beside it. Each such chart is a high finding spanning its `Chart.yaml`, like a file
Bandit could not parse; in PR mode it is new when the base's copy rendered (`scan.basescan`).
"""

from __future__ import annotations

import re
import tarfile
import zlib
from dataclasses import replace
from pathlib import Path

from mergeguard.core.chartview import aliases, stand_ins
from mergeguard.core.linecount import line_count
from mergeguard.core.model import Finding, Kind, Location, Severity
from mergeguard.core.reasons import clean
from mergeguard.core.units import CHART_FILE, chart_dirs, in_templates, manifest, with_rendered_line
from mergeguard.scanners.base import Target, relative_path

RULE = "skipped-chart"
_SUBCHART = re.compile(r"^(.+?)/charts/([^/]+)/(.+)$")  # CHART/charts/ALIAS/REST
_SKIPPED = re.compile(
    r'\[helm scanner\] Skipping chart\s+file_path="((?:[^"\\]|\\.)*)"\s+err="((?:[^"\\]|\\.)*)"'
)
_MAX_REASON = 300


def placed(findings: list[Finding], target: Target) -> list[Finding]:
    """The findings with a path through a subchart's alias (`charts/web/…`, a directory that does not
    exist) put on the subchart's files (`charts/app/…`), and those in a subchart vendored as an archive
    (`charts/app-1.0.0.tgz`, as `helm dependency build` writes it) on the archive, whole: under a path
    that does not exist they fell out of scope, and a `privileged: true` set for the subchart passed.
    Then those in a template on the whole template (`_on_template`)."""
    archives: dict[Path, str | None] = {}  # each archive's chart name, read once
    found = [_unaliased(finding, target.root, archives) for finding in findings]
    charts = chart_dirs(target.root, {finding.location.path for finding in found})
    lengths: dict[str, int] = {}  # each template's line count, read once
    return [
        _on_template(finding, target.root, lengths)
        if in_templates(finding.location.path, charts)
        else finding
        for finding in found
    ]


def _on_template(finding: Finding, root: Path, lengths: dict[str, int]) -> Finding:
    """A template's finding on the whole template, the line Trivy gave said in its message: Trivy numbers
    it by the rendered manifest's lines (helpers expanded, values filled in), which are not the
    template's; a 41-line template had findings on lines 54 and 57, annotated nowhere."""
    path = finding.location.path
    if path not in lengths:
        lengths[path] = line_count(root / path) or 1
    message = with_rendered_line(finding.message, finding.location.start_line)
    return replace(finding, message=message, location=Location(path, 1, lengths[path]))


def _unaliased(finding: Finding, root: Path, archives: dict[Path, str | None]) -> Finding:
    path = finding.location.path
    match = _SUBCHART.match(path)
    if match is None or (root / path).exists():
        return finding
    chart, alias, rest = match.groups()
    try:
        manifest = (root / chart / CHART_FILE).read_text(encoding="utf-8", errors="replace") if chart else ""
    except OSError:
        return finding
    name = aliases(manifest).get(alias)
    if name is not None and (root / chart / "charts" / name / rest).is_file():
        return replace(finding, location=replace(finding.location, path=f"{chart}/charts/{name}/{rest}"))
    archive = _archive(root / chart / "charts", name or alias, archives)
    if archive is None:
        return finding
    archived = f"{chart}/charts/{archive.name}"
    return replace(finding, location=Location(archived, 1, line_count(archive) or 1))


def _archive(folder: Path, name: str, archives: dict[Path, str | None]) -> Path | None:
    """The archive in `folder` holding the chart called `name` (Helm names a subchart by its
    Chart.yaml, not by its archive's file name): `NAME-VERSION.tgz` looked at first."""
    try:
        found = sorted(p for p in folder.iterdir() if p.name.endswith(_ARCHIVES) and p.is_file())
    except OSError:
        return None
    for archive in sorted(found, key=lambda p: not p.name.startswith(f"{name}-")):
        if archive not in archives:
            archives[archive] = _archived_name(archive)
        if archives[archive] == name:
            return archive
    return None


_ARCHIVES = (".tgz", ".tar.gz")
_MAX_MEMBERS = 10_000
_MAX_READ = 64 * 1024 * 1024  # of the archive's uncompressed bytes, before its Chart.yaml
_NAME = re.compile(r"""^name:\s*['"]?([^'"\s#]+)""", re.MULTILINE)


def _archived_name(archive: Path) -> str | None:
    """The `name:` of the chart's own `TOP/Chart.yaml` in `archive`; None when it has none in reach."""
    try:
        with tarfile.open(archive, "r:gz") as tar:
            for count, member in enumerate(tar):
                if count > _MAX_MEMBERS or member.offset_data > _MAX_READ:
                    return None
                if (
                    member.isfile()
                    and member.size < 1 << 20
                    and re.fullmatch(r"[^/]+/Chart\.yaml", member.name)
                ):
                    stream = tar.extractfile(member)
                    found = _NAME.search(stream.read().decode("utf-8", "replace")) if stream else None
                    return found.group(1) if found else None
    except (OSError, EOFError, tarfile.TarError, zlib.error):
        return None
    return None


def unrendered(stderr: str, tool: str, target: Target) -> list[Finding]:
    """A finding for each chart Trivy's log says it skipped."""
    found = []
    for match in _SKIPPED.finditer(stderr):
        chart = relative_path(match.group(1).replace('\\"', '"'), target).rstrip("/")
        path = manifest(chart)
        reason = clean(match.group(2).replace('\\"', '"').replace("\\n", " "))[:_MAX_REASON]
        message = f"Trivy could not render this Helm chart, so none of its templates was checked: {reason}"
        message += _vendor_hint(target.root, chart)
        found.append(
            Finding(
                tool=tool,
                rule_id=RULE,
                severity=Severity.HIGH,
                title="Helm chart not checked by Trivy",
                message=message,
                location=Location(path, 1, line_count(target.root / path) or 1),
                kind=Kind.MISCONFIGURATION,
                evidence=RULE,  # one per chart, whatever the reason says this time
            )
        )
    return found


def _vendor_hint(view: Path, chart: str) -> str:
    """How to fix a chart scanned with empty stand-ins for dependencies it did not vendor."""
    missing = stand_ins(view, chart)
    if not missing:
        return ""
    return (
        f" (its dependencies {', '.join(missing)} are not vendored, so they were empty stand-ins: run"
        f" `helm dependency build {chart or '.'}` before the scan, or commit its charts/ directory)"
    )
