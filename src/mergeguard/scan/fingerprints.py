"""Stable fingerprints: the identity of a finding that survives unrelated lines moving."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import fields
from operator import attrgetter
from pathlib import Path

from mergeguard.core import units
from mergeguard.core.model import Finding, Kind
from mergeguard.core.sources import SourceLines
from mergeguard.scan.equivalence import identity
from mergeguard.scan.resources import Resources


def assign(
    findings: Sequence[Finding], root: Path, sources: SourceLines | None = None, charts: Sequence[str] = ()
) -> list[Finding]:
    """Each finding with its fingerprint set, in the same order.

    The fingerprint is sha256 over the rule's identity, the path and the offending content: the
    adapter's `evidence` (a package and advisory) or else the normalised text of the finding's
    first line; never a line number, never a clear secret (a secret line is only ever hashed).
    A problem several tools report has one identity whichever of them found it (see
    `equivalence.identity`). A misconfiguration in a Kubernetes manifest also carries its resource's
    `Kind/namespace/name`: by its line alone (`apiVersion: apps/v1`, or nothing for a problem of the
    whole resource) resources were told apart by their order, and a Deployment inserted above a
    baselined one took over its acceptance. One in a Helm chart's template (or a vendored subchart's
    archive, whose bytes say nothing of it) is identified by its
    message (naming the container and resource), without the rendered line it ends with: Trivy numbers
    it by the rendered manifest's lines, which a change to the values shifts. Identical keys in one
    file get an occurrence index, in line order.
    """
    sources = sources or SourceLines(root)
    resources = Resources(sources)
    keys = [_key(f, sources, resources, charts) for f in findings]
    lines = [f.location.start_line for f in findings]
    seen: dict[str, int] = {}
    digests = [""] * len(findings)
    # In (key, line) order, ties in list order: tuples compare at C speed, no key function per item.
    for key, _, i in sorted(zip(keys, lines, range(len(findings)), strict=True)):
        index = seen.get(key, 0)
        seen[key] = index + 1
        digests[i] = hashlib.sha256(f"{key}\x1f{index}".encode("utf-8", "surrogatepass")).hexdigest()[:32]
    return [_with_fingerprint(f, d) for f, d in zip(findings, digests, strict=True)]


_FIELDS = tuple(f.name for f in fields(Finding))
_VALUES = attrgetter(*_FIELDS)
_AT = _FIELDS.index("fingerprint")


def _with_fingerprint(finding: Finding, digest: str) -> Finding:
    """`replace(finding, fingerprint=digest)`, at half the cost (it is done once per finding)."""
    values = list(_VALUES(finding))
    values[_AT] = digest
    return Finding(*values)


def _key(finding: Finding, sources: SourceLines, resources: Resources, charts: Sequence[str]) -> str:
    namespace, content = identity(finding)
    loc = finding.location
    if finding.kind is Kind.MISCONFIGURATION and (units.in_templates(loc.path, charts) or _archive(loc.path)):
        return "\x1f".join((namespace, loc.path, units.without_rendered_line(finding.message)))
    if content is None:  # normalised: inner whitespace folded, so re-indenting keeps the identity
        content = " ".join(sources.line(loc.path, loc.start_line).split())
    if finding.kind is Kind.MISCONFIGURATION and loc.path.endswith(_MANIFESTS):
        named = resources.name(loc.path, loc.start_line)
        content = f"{named}\x1f{content}" if named else content
    return "\x1f".join((namespace, loc.path, content))


_MANIFESTS = (".yaml", ".yml", ".json")  # Kubernetes reads JSON manifests too


def _archive(path: str) -> bool:
    """A subchart vendored as an archive (`trivy.charts.placed`): its bytes say nothing of a finding."""
    return "/charts/" in path and path.endswith((".tgz", ".tar.gz"))
