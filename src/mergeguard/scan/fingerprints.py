"""Stable fingerprints: the identity of a finding that survives unrelated lines moving."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import fields
from operator import attrgetter
from pathlib import Path

from mergeguard.core.model import Finding
from mergeguard.core.sources import SourceLines
from mergeguard.scan.equivalence import identity


def assign(findings: Sequence[Finding], root: Path, sources: SourceLines | None = None) -> list[Finding]:
    """Each finding with its fingerprint set, in the same order.

    The fingerprint is sha256 over the rule's identity, the path and the offending content: the
    adapter's `evidence` (a package and advisory) or else the normalised text of the finding's
    first line; never a line number, never a clear secret (a secret line is only ever hashed).
    A problem several tools report has one identity whichever of them found it (see
    `equivalence.identity`). Identical keys in one file get an occurrence index, in line order.
    """
    sources = sources or SourceLines(root)
    keys = [_key(f, sources) for f in findings]
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


def _key(finding: Finding, sources: SourceLines) -> str:
    namespace, content = identity(finding)
    if content is None:  # normalised: inner whitespace folded, so re-indenting keeps the identity
        content = " ".join(sources.line(finding.location.path, finding.location.start_line).split())
    return "\x1f".join((namespace, finding.location.path, content))
