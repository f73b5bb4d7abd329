"""Each dependency finding of a Trivy report on the line that pins its package (`Packages[].Locations`)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from typing import Any

from mergeguard.core.basepolicy import read_regular
from mergeguard.core.errors import ParseError
from mergeguard.core.filekinds import toml_lock
from mergeguard.core.jsonfields import objects_in
from mergeguard.core.model import Finding, Location
from mergeguard.scanners.base import Target
from mergeguard.scanners.reading import repo_path
from mergeguard.vulns import manifests

Lines = dict[tuple[str, str, str], tuple[int, int]]  # (manifest path, package, version) -> its lines


def on_pinning_lines(
    findings: Iterable[Finding], report: dict[str, Any], target: Target, tool: str
) -> list[Finding]:
    """`findings` of `report`, each package's moved to the line pinning it, so a pull request adding the
    pin owns it (a report made with `--list-all-pkgs` says where; without it, or in an image, they stay)."""
    lines = pinned_lines(report, target, tool)
    return [_on_line(f, lines) for f in findings] if lines else list(findings)


def pinned_lines(report: dict[str, Any], target: Target, tool: str) -> Lines:
    """(manifest path, package, version) → the lines pinning it, from the packages' `Locations`."""
    lines: Lines = {}
    for result in objects_in(report.get("Results")):
        packages = objects_in(result.get("Packages"))  # only with --list-all-pkgs
        manifest = str(result.get("Target", ""))
        try:
            path = repo_path(manifest, target, tool) if packages and manifest else ""
        except ParseError:  # a target no finding can be at either (the findings' reading says why)
            continue
        entries: dict[tuple[str, str], int] | None = None
        for package in packages:
            located = objects_in(package.get("Locations"))
            start, end = (located[0].get("StartLine"), located[0].get("EndLine")) if located else (0, 0)
            key = (path, str(package.get("Name", "")), str(package.get("Version", "")))
            if not (isinstance(start, int) and start > 0) and toml_lock(path):
                # No Locations (uv.lock, pylock.toml): the `name = "…"` line of the package's entry.
                entries = _package_entries(target, path) if entries is None else entries
                start = end = entries.get(key[1:], 0)
            if isinstance(start, int) and start > 0:
                lines.setdefault(key, (start, end if isinstance(end, int) else start))
    return lines


def _package_entries(target: Target, path: str) -> dict[tuple[str, str], int]:
    data = read_regular(target.root / path)
    return manifests.package_lines(data.decode("utf-8-sig", errors="replace")) if data is not None else {}


def _on_line(finding: Finding, lines: Lines) -> Finding:
    pkg = finding.package
    found = lines.get((finding.location.path, pkg.name, pkg.installed)) if pkg else None
    if found is None:
        return finding
    return replace(finding, location=Location(finding.location.path, found[0], found[1]))
