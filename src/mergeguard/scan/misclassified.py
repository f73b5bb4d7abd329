"""Drops, and counts, a scanner's findings on files that are not of the kind its check is about."""

from __future__ import annotations

from dataclasses import replace
from typing import Protocol, runtime_checkable

from mergeguard.core.changes import ChangeSet
from mergeguard.core.filekinds import FileKind
from mergeguard.core.model import Finding
from mergeguard.core.outcome import Misclassified, ScanOutcome, Status
from mergeguard.scanners.base import Scanner


@runtime_checkable
class ChecksByKind(Protocol):
    """A scanner whose checks are each about one kind of file (Checkov: Dockerfile, IaC, secret checks)."""

    def finding_kinds(self, finding: Finding) -> frozenset[FileKind]:
        """The kinds of file the check that reported `finding` is about."""
        ...


def kinds_about(scanner: Scanner, finding: Finding) -> frozenset[FileKind]:
    """The file kinds `finding`'s check is about: the adapter's answer, else every kind it applies to."""
    if isinstance(scanner, ChecksByKind):
        return scanner.finding_kinds(finding)
    return scanner.applies_to


def partition(outcome: ScanOutcome, scanner: Scanner, changes: ChangeSet) -> ScanOutcome:
    """`outcome` without the findings on in-scope files of another kind, counted in `misclassified`.

    A tool can take a file for something it is not (Checkov reads any file whose name contains
    "dockerfile" as a Dockerfile); mergeguard's own classification, which chose the scanners, decides.
    Findings on paths outside the change set are left to the policy; a scanner that applies to no
    file kind (images) anchors its findings itself, so none of its findings is dropped.
    """
    if outcome.status is not Status.OK or not scanner.applies_to:
        return outcome
    kept: list[Finding] = []
    dropped: list[tuple[Finding, frozenset[FileKind]]] = []
    for finding in outcome.findings:
        about = kinds_about(scanner, finding)
        file = changes.lookup(finding.location.path)
        if file is None or file.kinds & about:
            kept.append(finding)
        else:
            dropped.append((finding, about))
    if not dropped:
        return outcome
    kinds = tuple(sorted({kind.value for _, about in dropped for kind in about}))
    paths = tuple(sorted({finding.location.path for finding, _ in dropped}))
    return replace(outcome, findings=tuple(kept), misclassified=Misclassified(len(dropped), kinds, paths))
