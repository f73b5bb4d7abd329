"""Stable fingerprints: the identity of a finding that survives unrelated lines moving."""

from __future__ import annotations

import hashlib
from collections import Counter
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
    occurrences = _occurrences(keys, findings)
    return [
        _with_fingerprint(
            f, hashlib.sha256(f"{key}\x1f{index}".encode("utf-8", "surrogatepass")).hexdigest()[:32]
        )
        for f, key, index in zip(findings, keys, occurrences, strict=True)
    ]


def _occurrences(keys: list[str], findings: Sequence[Finding]) -> list[int]:
    """Each finding's index among those of the same key, in line order (ties in list order). Only
    keys that repeat are sorted: most are unique (every advisory of a 100,000-vulnerability report)."""
    counts = Counter(keys)
    index = [0] * len(keys)
    if len(counts) == len(keys):
        return index
    repeated = [(key, findings[i].location.start_line, i) for i, key in enumerate(keys) if counts[key] > 1]
    seen: dict[str, int] = {}
    for key, _, i in sorted(repeated):  # tuples compare at C speed, no key function per item
        index[i] = seen.get(key, 0)
        seen[key] = index[i] + 1
    return index


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
