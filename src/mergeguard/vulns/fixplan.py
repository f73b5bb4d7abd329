"""The fix plan: per vulnerable package and version, the smallest upgrade that fixes what can be fixed.

For one package at one installed version in one place (a manifest, or an image), every advisory
against it is either *fixable* (some version it is fixed in is newer than the installed one) or left
*unfixed* (no fixed version known, or only older ones: the report cannot say where it is fixed for
this version). The target is the smallest of the advisories' fixed versions, newer than the
installed one, that fixes every fixable advisory, where a candidate version `c` fixes an advisory
with fixed versions `F` (Trivy lists several, "2.2.5, 2.3.2", one per maintained branch) when

* some `f` in `F` is `<= c`, and
* either no `f` in `F` is `> c`, or the next one above `c` is on another release branch than `c`
  (the branch of "2.3.2" is "2.3": every release number but the last).

So with `F` = {2.2.5, 2.3.2}, 2.2.5 and 2.2.9 fix it, 2.3.0 does not, 2.3.2 and 2.4.0 do. The rule is
exact for one fixed version per advisory (the target is then the newest of them) and for branches
that follow that numbering; it cannot know of a vulnerable branch the advisory does not list. The
largest candidate always fixes every fixable advisory, so a package with one has a target.

Versions are ordered by the ecosystem's rules (`ecosystems.sort_key`): PEP 440, dpkg, apk, rpm,
SemVer, or, for an ecosystem without known rules or a version they reject, the generic order, which
the entry records (`ordering`). A package from an operating system's package database is a *base
image* finding (fixed by a newer base image, a changed `FROM`, or by rebuilding on an updated one);
everything else, including language packages found inside an image, is the *application*'s.
"""

from __future__ import annotations

import enum
import functools
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from operator import attrgetter
from typing import Any

from mergeguard.core.model import Finding, Kind, Package, Severity
from mergeguard.core.packagenames import normalise
from mergeguard.core.quickinit import quick_init
from mergeguard.vulns.ecosystems import Ecosystem, Ordering, ecosystem, sort_key
from mergeguard.vulns.records import SKIPPED_RULE

_RELEASE = re.compile(r"^(?:\d+:)?v?(\d+(?:\.\d+)*)")  # "1:2.3.4-1" -> "2.3.4"; "v1.2.3" -> "1.2.3"
_LEVELS = sorted(Severity, reverse=True)
_KINDS = (Kind.VULNERABILITY, Kind.DEPENDENCY)
_SEVERITY = attrgetter("severity")


class Origin(enum.StrEnum):
    """Where a vulnerable package comes from, which says who fixes it and how."""

    BASE_IMAGE = "base-image"
    APPLICATION = "application"


@quick_init
@dataclass(frozen=True, slots=True)
class PlannedAdvisory:
    """One advisory against the package: its id, severity and the versions it is fixed in."""

    id: str
    severity: Severity
    fixed_in: tuple[str, ...] = ()


@quick_init
@dataclass(frozen=True, slots=True)
class FixEntry:
    """The plan for one package at one installed version in one place."""

    ecosystem: str
    package: str
    installed: str
    path: str  # the manifest, or the image's `container-image/…` placeholder
    origin: Origin
    ordering: Ordering  # the version rules the target was chosen by
    target: str | None  # None when no advisory has a known fix above the installed version
    fixes: tuple[PlannedAdvisory, ...]
    unfixed: tuple[PlannedAdvisory, ...]

    @property
    def severity(self) -> Severity:
        """The most severe of the package's advisories."""
        return max(map(_SEVERITY, self.fixes + self.unfixed), default=Severity.UNKNOWN)  # C: sort keys


def summary(advisories: Iterable[PlannedAdvisory]) -> str:
    """Counts by severity, most severe first: "2 high, 1 medium"."""
    levels = [a.severity for a in advisories]
    return ", ".join(f"{levels.count(level)} {level.label}" for level in _LEVELS if level in levels)


def build(findings: Iterable[Finding]) -> tuple[FixEntry, ...]:
    """The fix plan for the vulnerability findings among `findings`, most severe package first."""
    groups: dict[tuple[str, str, str, str], list[tuple[Package, Finding]]] = {}
    for finding in findings:
        pkg = finding.package
        if pkg is not None and finding.kind in _KINDS and finding.rule_id != SKIPPED_RULE:
            groups.setdefault(_group_key(pkg, finding.location.path), []).append((pkg, finding))
    entries = [_entry(group) for group in groups.values()]
    return tuple(
        sorted(entries, key=lambda e: (-e.severity, e.origin, e.path, e.package.lower(), e.installed))
    )


def _group_key(pkg: Package, path: str) -> tuple[str, str, str, str]:
    eco = ecosystem(pkg.ecosystem)
    name = normalise(pkg.name) if eco.name == "pypi" else pkg.name
    return eco.name, name, pkg.installed, path


def _entry(group: list[tuple[Package, Finding]]) -> FixEntry:
    pkg, first = group[0]
    eco = ecosystem(pkg.ecosystem)
    advisories = _advisories(group)
    ordering, key = sort_key(
        eco.ordering, [pkg.installed, *(v for _, fixed in advisories.values() for v in fixed)]
    )
    at = key(pkg.installed)
    fixable: list[PlannedAdvisory] = []
    unfixed: list[PlannedAdvisory] = []
    for advisory_id, (severity, fixed) in advisories.items():  # a partition, not a search of one list
        if len(fixed) == 1:  # the usual case, without a sort and a generator (35,000 packages: 0.1 s)
            (fixable if key(fixed[0]) > at else unfixed).append(PlannedAdvisory(advisory_id, severity, fixed))
            continue
        planned = PlannedAdvisory(advisory_id, severity, tuple(sorted(fixed, key=key)))
        (fixable if any(key(f) > at for f in fixed) else unfixed).append(planned)
    return FixEntry(  # positional: a big report's plan has tens of thousands of entries
        eco.name,
        pkg.name,
        pkg.installed,
        first.location.path,
        _origin(eco, group),
        ordering,
        _target(fixable, pkg.installed, key),
        tuple(fixable),
        tuple(unfixed),
    )


def _advisories(group: list[tuple[Package, Finding]]) -> dict[str, tuple[Severity, tuple[str, ...]]]:
    """Severity and fixed versions by advisory id (two tools' reports of one advisory are one), at its
    highest severity."""
    found: dict[str, tuple[Severity, tuple[str, ...]]] = {}
    for pkg, finding in group:
        fixed = _fixed_versions(pkg.fixed) if pkg.fixed else ()
        seen = found.get(finding.rule_id)
        if seen is None:
            found[finding.rule_id] = (finding.severity, fixed)
        else:
            found[finding.rule_id] = (
                max(finding.severity, seen[0]),
                tuple(dict.fromkeys((*seen[1], *fixed))),
            )
    return found


@functools.lru_cache(maxsize=4096)  # a report repeats a few fixed versions over many packages
def _fixed_versions(fixed: str) -> tuple[str, ...]:
    """The versions of a tool's "2.2.5, 2.3.2" (one per maintained branch), each once, in its order."""
    return tuple(dict.fromkeys(v.strip() for v in fixed.split(",") if v.strip()))


def _target(fixable: list[PlannedAdvisory], installed: str, key: Callable[[str], Any]) -> str | None:
    """The smallest fixed version newer than `installed` that fixes every advisory in `fixable`."""
    if all(len(a.fixed_in) == 1 for a in fixable):  # the usual case: the newest of them (the module's rule)
        return max((a.fixed_in[0] for a in fixable), key=key, default=None)
    candidates = sorted({v for a in fixable for v in a.fixed_in if key(v) > key(installed)}, key=key)
    return next((c for c in candidates if all(_fixes(c, a.fixed_in, key) for a in fixable)), None)


def _fixes(candidate: str, fixed_in: tuple[str, ...], key: Callable[[str], Any]) -> bool:
    """Whether `candidate` is fixed for an advisory fixed in `fixed_in` (sorted): see the module's rule."""
    at = key(candidate)
    if not any(key(f) <= at for f in fixed_in):
        return False
    above = [f for f in fixed_in if key(f) > at]
    return not above or _branch(above[0]) != _branch(candidate)


@functools.lru_cache(maxsize=4096)
def _branch(version: str) -> tuple[int, ...] | None:
    """The release numbers but the last ("2.3.2" -> (2, 3)); None when the version has none."""
    match = _RELEASE.match(version.strip())
    return tuple(int(n) for n in match.group(1).split("."))[:-1] if match else None


def _origin(eco: Ecosystem, group: list[tuple[Package, Finding]]) -> Origin:
    """OS packages are the base image's, language packages the application's; a finding that names no
    ecosystem is judged by its kind (VULNERABILITY: an image's or a machine's package; DEPENDENCY: a
    project's)."""
    if eco.os or (eco.name == "unknown" and all(f.kind is Kind.VULNERABILITY for _, f in group)):
        return Origin.BASE_IMAGE
    return Origin.APPLICATION
