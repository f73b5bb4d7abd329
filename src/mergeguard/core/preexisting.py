"""Which dependency advisories a pull request did not introduce: the package was pinned so at the base."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import PurePosixPath

from mergeguard.core import gitrepo
from mergeguard.core.changes import ChangedFile, ChangeSet, Mode
from mergeguard.core.errors import UsageError
from mergeguard.core.exactpins import Pin, exact_pins
from mergeguard.core.filekinds import FileKind, classify
from mergeguard.core.model import Finding
from mergeguard.core.packagenames import normalise


def pinned_at_base(changes: ChangeSet, findings: Iterable[Finding]) -> frozenset[tuple[str, str, str]]:
    """(path, package, installed version) of the findings' packages already pinned in the base's manifest.

    An advisory in a changed manifest whose package the base's copy pinned at that exact version
    (`exact_pins`: the package's own entry, never a range or a version nearby) was present before
    the pull request: it is pre-existing, whatever other lines of the file changed. A manifest new in
    the change takes over the pins of the manifests the change deleted in its folder: a file rewritten
    under another name (too changed for git to call it a rename), or `requirements.txt` replaced by a
    `uv.lock`.
    """
    if changes.mode is Mode.ALL or changes.repo is None or changes.commit_range is None:
        return frozenset()
    pinned: dict[str, frozenset[Pin]] = {}
    deleted: list[str] | None = None  # read when a finding is first in an added manifest
    present = set()
    for finding in findings:
        path, pkg, changed = finding.location.path, finding.package, changes.lookup(finding.location.path)
        if pkg is None or changed is None:
            continue
        if path not in pinned:
            base = _base_copy(changed)
            pinned[path] = exact_pins(base, _base_text(changes, base)) if base else frozenset()
            if changed.added:
                deleted = _deleted_manifests(changes) if deleted is None else deleted
                pinned[path] |= _pins_beside(changes, path, deleted)
        if (normalise(pkg.name), pkg.installed) in pinned[path]:
            present.add((path, normalise(pkg.name), pkg.installed))
    return frozenset(present)


def _deleted_manifests(changes: ChangeSet) -> list[str]:
    """The dependency manifests the change deleted, outside the config's exclude globs."""
    repo, commits = changes.repo, changes.commit_range
    if repo is None or commits is None:
        return []
    gone = sorted(gitrepo.deleted_files(repo, commits.base))
    return [p for p in gone if classify(p) & _MANIFESTS and not changes.is_excluded(p)]


def _pins_beside(changes: ChangeSet, path: str, deleted: list[str]) -> frozenset[Pin]:
    """The base's exact pins of the deleted manifests in the folder of `path`: a manifest replaced
    where it was, not one taken from anywhere in the repository (a red team laundered a vulnerable
    test fixture's pins into a new service's requirements by deleting the fixture)."""
    folder = PurePosixPath(path).parent
    beside = [p for p in deleted if PurePosixPath(p).parent == folder]
    return frozenset().union(*(exact_pins(p, _base_text(changes, p)) for p in beside))


_MANIFESTS = frozenset({FileKind.PY_REQUIREMENTS, FileKind.PIP_REQUIREMENTS, FileKind.LOCKFILE})


def _base_copy(changed: ChangedFile) -> str | None:
    """Where the base's copy of a manifest is: under its old name when renamed, if that was a file of
    the same kind (pins in a README renamed requirements.txt were no dependency of the base)."""
    if changed.origin is None:
        return changed.path
    return changed.origin if classify(changed.origin) == classify(changed.path) else None


def _base_text(changes: ChangeSet, path: str) -> str:
    repo, commits = changes.repo, changes.commit_range
    if repo is None or commits is None:
        return ""
    try:
        return repo.git("show", f"{commits.base}:{repo.prefix}{path}")
    except UsageError:
        return ""  # the manifest is new in this pull request: everything in it is new


AdvisoryKey = tuple[str, str, str]


def advisories_of(findings: Iterable[Finding]) -> frozenset[AdvisoryKey]:
    """(package, installed version, advisory) of every advisory in `findings` (a base-branch image's)."""
    return frozenset(
        (normalise(f.package.name), f.package.installed, advisory_id(f))
        for f in findings
        if f.package is not None
    )


def advisory_key(finding: Finding) -> AdvisoryKey | None:
    pkg = finding.package
    return (normalise(pkg.name), pkg.installed, advisory_id(finding)) if pkg is not None else None


def advisory_id(finding: Finding) -> str:
    """One id per advisory across databases: the lowest CVE id when there is one, else the rule id."""
    rule, ids = finding.rule_id.upper(), finding.cve_ids
    if not ids or (len(ids) == 1 and ids[0].upper() == rule):  # the usual case: the rule id, or none
        return rule
    cves = sorted(i.upper() for i in (finding.rule_id, *finding.cve_ids) if i.upper().startswith("CVE-"))
    return cves[0] if cves else finding.rule_id.upper()
