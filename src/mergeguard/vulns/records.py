"""One vulnerable package version, one finding: shared by the dependency and image report parsers."""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from dataclasses import dataclass

from mergeguard.core.model import Finding, Kind, Location, Package, Severity
from mergeguard.core.quickinit import quick_init

# Where a finding in a container image is placed until a later stage anchors images to the
# Dockerfiles that build them: `container-image/` and the image's repository name, without its tag
# or digest (a new tag or digest must not orphan every finding's fingerprint).
IMAGE_PREFIX = "container-image/"
# Where a Python dependency finding is placed when the report names no manifest (pip-audit never
# does; Safety's environment scans neither): the conventional requirements file at the root.
DEPENDENCY_PLACEHOLDER = "requirements.txt"

_ALIAS = re.compile(r"^(CVE|GHSA|PYSEC)-", re.IGNORECASE)
_CWE = re.compile(r"cwe-0*(\d+)", re.IGNORECASE)
_DIGEST = re.compile(r"@sha256:[0-9a-f]+$", re.IGNORECASE)
_TAG = re.compile(r":[^/:]*$")
_UNSAFE = re.compile(r"[^A-Za-z0-9._/-]+")
_MAX_MESSAGE = 500

# The rule of a dependency its scanner could not check: a finding to act on, not an advisory to fix.
SKIPPED_RULE = "skipped-dependency"


@quick_init
@dataclass(frozen=True, slots=True)
class Advisory:
    """What a report says about one advisory affecting one installed package."""

    id: str
    package: Package
    severity: Severity
    title: str = ""
    description: str = ""
    aliases: tuple[str, ...] = ()
    cwe_ids: tuple[str, ...] = ()
    help_uri: str | None = None
    status: str = ""  # the tool's word for the fix state, when it is not simply "fixed"


def vulnerability_finding(tool: str, advisory: Advisory, path: str, kind: Kind) -> Finding:
    """The finding for `advisory`; its fingerprint follows package, version and advisory, not the line."""
    a = advisory
    return finding_of(
        tool, a.id, a.package, a.severity, a.title, a.description, a.aliases, a.cwe_ids, a.help_uri, a.status,
        path, kind,
    )  # fmt: skip


def finding_of(  # noqa: PLR0917 - the fields of an `Advisory`, passed by position (see below)
    tool: str,
    advisory_id: str,
    pkg: Package,
    severity: Severity,
    title: str,
    description: str,
    aliases: tuple[str, ...],
    cwes: tuple[str, ...],
    help_uri: str | None,
    status: str,
    path: str,
    kind: Kind,
) -> Finding:
    """`vulnerability_finding` of an `Advisory` with these fields, for a parser of 100,000 records: made
    without the `Advisory`, and with every argument positional (keywords cost a fifth of such a parse)."""
    fix = f"fixed in {pkg.fixed}" if pkg.fixed else "no fixed version"
    state = f", {status.replace('_', ' ')}" if status else ""
    head = f"{pkg.name} {pkg.installed} is affected by {advisory_id} ({fix}{state})."
    text = _summary(description)
    return Finding(
        tool,
        advisory_id,
        severity,
        title or f"{advisory_id} in {pkg.name}",
        f"{head} {text}" if text else head,
        _placed(path),
        kind,
        pkg,
        advisory_ids((advisory_id, *aliases)) if aliases else _own_id(advisory_id),
        _cwe_ids(cwes) if cwes else (),
        help_uri if help_uri and help_uri.startswith("https://") else None,  # a link, never a script
        None,  # commit
        f"{pkg.name}@{pkg.installed}#{advisory_id}",  # evidence
    )


@functools.lru_cache(maxsize=4096)  # a report places its advisories at a few manifests or images
def _placed(path: str) -> Location:
    """`Location(path)`, one (frozen) object shared by every finding at that path."""
    return Location(path)


def advisory_ids(ids: Iterable[str]) -> tuple[str, ...]:
    """The CVE, GHSA and PYSEC ids among `ids`, CVEs first, each once."""
    known = [i.strip() for i in ids if _ALIAS.match(i.strip())]
    ordered = [i for i in known if i.upper().startswith("CVE-")] + [
        i for i in known if not i.upper().startswith("CVE-")
    ]
    return tuple(dict.fromkeys(ordered))


def _own_id(advisory_id: str) -> tuple[str, ...]:
    """`advisory_ids((advisory_id,))`: an advisory without aliases, the usual case, at a third of the cost."""
    own = advisory_id.strip()
    return (own,) if _ALIAS.match(own) else ()


@functools.lru_cache(maxsize=4096)  # most advisories share a few lists ("CWE-79")
def _cwe_ids(texts: tuple[str, ...]) -> tuple[str, ...]:
    return cwe_ids(texts)


def cwe_ids(texts: Iterable[str]) -> tuple[str, ...]:
    """`CWE-n` ids found in `texts` ("CWE-79", "external/cwe/cwe-079", "CWE-79: Improper…")."""
    return tuple(dict.fromkeys(f"CWE-{m.group(1)}" for t in texts for m in _CWE.finditer(t)))


@functools.lru_cache(maxsize=1024)  # asked once per advisory of an image, with that image's name
def image_path(reference: str) -> str:
    """The placeholder path for an image: `container-image/` + its name without tag or digest."""
    name = _DIGEST.sub("", reference.strip().replace("\\", "/"))
    name = _TAG.sub("", name) if "/" not in name.rsplit(":", 1)[-1] else name
    name = _UNSAFE.sub("_", name).strip("/.") or "unnamed"
    return IMAGE_PREFIX + "/".join(part for part in name.split("/") if part not in ("", ".", ".."))


@functools.lru_cache(maxsize=1024)  # one advisory's description comes once per package it affects
def _summary(description: str) -> str:
    """The description on one line, cut to `_MAX_MESSAGE` characters."""
    text = " ".join(description.split())
    if len(text) > _MAX_MESSAGE:
        text = text[: _MAX_MESSAGE - 1].rstrip() + "…"
    return text
