"""Places an image's findings on the lines of the Dockerfile that built it, never on its tag or digest.

Trivy names, for each package and secret it finds in an image, the layer it came from; the image's
history says which instruction made each layer. A finding lands on that instruction when it is in
the Dockerfile's final stage (`RUN pip install …`, `RUN apt-get install …`, `COPY . /app`), and on
the final stage's `FROM` line when the layer came from the base image. Where the report has no
layer history, an application package lands on the `RUN` line that names it or a manifest it could
come from, and everything else on the `FROM` line. Without a Dockerfile, findings stay at the image's
placeholder path, `container-image/<repository>`.
"""

from __future__ import annotations

import hashlib
import re
import shlex
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from mergeguard.core import dockerfile, imagehistory
from mergeguard.core.dockerfile import Instruction
from mergeguard.core.jsonfields import as_object, items, objects_in, or_default
from mergeguard.core.model import Finding, Kind, Location
from mergeguard.vulns.images import ImageSpec
from mergeguard.vulns.records import image_path

_MANIFESTS = re.compile(
    r"requirements[^\s/]*\.txt|pyproject\.toml|poetry\.lock|pipfile(?:\.lock)?|uv\.lock|setup\.py|"
    r"package(?:-lock)?\.json|yarn\.lock|pnpm-lock\.yaml|go\.(?:mod|sum)|cargo\.lock|gemfile(?:\.lock)?|"
    r"composer\.(?:json|lock)|pom\.xml|build\.gradle",
    re.IGNORECASE,
)
# Trivy masks the value of a leak it finds in the image config; the name stays: `NAME=****`.
_VARIABLE = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)\s*=\s*[\"']?\*")
_INSTALLERS = re.compile(r"\b(pip3?|uv|poetry|pipenv|npm|yarn|pnpm|go|cargo|gem|bundle|composer|mvn)\b")


@dataclass(frozen=True, slots=True)
class Origins:
    """Where the report says each package, secret and image-config problem came from."""

    layers: dict[str, tuple[str, int]]  # DiffID → (history's created_by, occurrence among equal ones)
    packages: dict[tuple[str, str, str], tuple[bool, str]]  # (name, version, advisory) → (OS?, DiffID)
    secrets: dict[tuple[str, str, int], str]  # (rule, path in the image, line) → DiffID
    causes: dict[str, str]  # image-config rule → the instruction it flags (compared, never kept)
    variables: dict[tuple[str, int], str]  # image-config secret (rule, line) → the variable holding it
    artifact: str = ""  # the report's ArtifactName as a path: results about the image's configuration


@dataclass(frozen=True, slots=True)
class Anchor:
    """The Dockerfile an image's findings go to: its path and instructions (None: no Dockerfile)."""

    path: str
    instructions: tuple[Instruction, ...]

    @property
    def stage(self) -> list[Instruction]:
        return dockerfile.final_stage(self.instructions)

    @property
    def from_line(self) -> int:
        return dockerfile.from_line(self.instructions)


def anchor_all(
    findings: Sequence[Finding], origins: Origins, spec: ImageSpec, anchor: Anchor | None
) -> list[Finding]:
    """Every finding of one image's report moved to its Dockerfile line (or the image placeholder).

    A secret in the image's configuration shows twice in Trivy's report (in `Env`, and in the
    history line that set it); it is one finding.
    """
    anchored = [_anchored(f, origins, spec, anchor) for f in findings]
    seen: set[tuple[str, str]] = set()
    kept = []
    for finding in anchored:
        key = (finding.rule_id, finding.evidence)
        if finding.kind is Kind.SECRET and key in seen:
            continue
        seen.add(key)
        kept.append(finding)
    return kept


def origins(report: dict[str, Any]) -> Origins:
    """The layer origins in a Trivy image report (a report without history gives empty maps)."""
    layers = _history(report)
    packages: dict[tuple[str, str, str], tuple[bool, str]] = {}
    secrets: dict[tuple[str, str, int], str] = {}
    causes: dict[str, str] = {}
    variables: dict[tuple[str, int], str] = {}
    for result in objects_in(report.get("Results")):
        is_os = result.get("Class") == "os-pkgs"
        for vuln in objects_in(result.get("Vulnerabilities")):
            key = (str(vuln.get("PkgName", "")), str(vuln.get("InstalledVersion", "")))
            packages.setdefault((*key, str(vuln.get("VulnerabilityID", ""))), (is_os, _diff_id(vuln)))
        for secret in objects_in(result.get("Secrets")):
            line = max(1, or_default(secret.get("StartLine"), int, 0))
            where = (str(secret.get("RuleID", "")), _in_image(result), line)
            secrets.setdefault(where, _diff_id(secret))
            if variable := _VARIABLE.search(str(secret.get("Match", ""))):
                variables.setdefault((where[0], where[2]), variable.group(1))
        for misconfig in objects_in(result.get("Misconfigurations")):
            causes.setdefault(str(misconfig.get("ID", "")), _cause(misconfig))
    artifact = _in_image({"Target": report.get("ArtifactName", "")})
    return Origins(layers, packages, secrets, causes, variables, artifact)


def _anchored(finding: Finding, origins: Origins, spec: ImageSpec, anchor: Anchor | None) -> Finding:
    where = f"image {spec.repository}"
    inside = "/" + finding.location.path
    if finding.kind is Kind.SECRET and inside == origins.artifact:  # in the image's configuration
        variable = origins.variables.get((finding.rule_id, finding.location.start_line), "")
        line = _variable_line(variable, anchor)
        evidence = _digest(finding.rule_id, "image-config", variable or finding.evidence)
        named = f" ({variable})" if variable else ""
        message = f"{finding.message} in the configuration of {where}{named}"
    elif finding.kind is Kind.SECRET:
        diff_id = origins.secrets.get((finding.rule_id, inside, finding.location.start_line), "")
        line = _layer_line(diff_id, origins, anchor) or _copy_line(inside, anchor)
        evidence = _digest(finding.rule_id, inside, finding.evidence)
        message = f"{finding.message} in {inside} of {where}"
    elif finding.package is not None:
        pkg = finding.package
        is_os, diff_id = origins.packages.get((pkg.name, pkg.installed, finding.rule_id), (False, ""))
        line = _layer_line(diff_id, origins, anchor) or (None if is_os else _install_line(pkg.name, anchor))
        evidence, message = finding.evidence, f"In {where}: {finding.message}"
    else:  # a problem in the image's configuration (root user, a secret in ENV)
        line = _cause_line(origins.causes.get(finding.rule_id, ""), anchor)
        evidence = f"image-config#{finding.rule_id}#{finding.message}"
        message = f"In {where} (its configuration): {finding.message}"
    path = anchor.path if anchor else image_path(spec.repository)
    start = line or (anchor.from_line if anchor else 1)
    return replace(finding, location=Location(path, start), message=message, evidence=evidence)


def _layer_line(diff_id: str, origins: Origins, anchor: Anchor | None) -> int | None:
    if anchor is None or diff_id not in origins.layers:
        return None
    created_by, occurrence = origins.layers[diff_id]
    return imagehistory.layer_instruction(created_by, anchor.stage, occurrence)


def _install_line(package: str, anchor: Anchor | None) -> int | None:
    """The final stage's RUN line naming the package, else the first one installing from a manifest."""
    if anchor is None:
        return None
    runs = [ins for ins in anchor.stage if ins.keyword == "RUN" and _INSTALLERS.search(ins.text)]
    name = re.compile(rf"(?<![\w.-]){re.escape(package)}(?![\w-])", re.IGNORECASE)
    named = [ins.line for ins in runs if name.search(ins.text)]
    manifests = [ins.line for ins in runs if _MANIFESTS.search(ins.text)]
    found = named or manifests
    return found[0] if found else None


def _copy_line(inside: str, anchor: Anchor | None) -> int | None:
    """The last COPY/ADD of the final stage whose destination holds `inside` (absolute destinations)."""
    if anchor is None:
        return None
    for ins in reversed(anchor.stage):
        words = ins.words if ins.keyword in ("COPY", "ADD") else []
        dest = words[-1].rstrip("/") if words else ""
        if dest.startswith("/") and (inside == dest or inside.startswith(dest + "/")):
            return ins.line
    return None


def _variable_line(variable: str, anchor: Anchor | None) -> int | None:
    """The final stage's last ENV or ARG setting `variable`."""
    if anchor is None or not variable:
        return None
    sets = re.compile(rf"(?<![\w]){re.escape(variable)}\s*=")
    lines = [ins.line for ins in anchor.stage if ins.keyword in ("ENV", "ARG") and sets.search(ins.args)]
    return lines[-1] if lines else None


def _cause_line(cause: str, anchor: Anchor | None) -> int | None:
    """The final-stage instruction reading like the one Trivy's image-config check flagged."""
    if anchor is None or not cause:
        return None
    wanted = _tokens(cause)  # Trivy rebuilds instructions from the history, quoting values its own way
    lines = [ins.line for ins in anchor.stage if _tokens(f"{ins.keyword} {ins.args}") == wanted]
    return lines[-1] if lines else None


def _tokens(text: str) -> list[str]:
    try:
        words = shlex.split(text)
    except ValueError:
        words = text.split()
    return [words[0].upper(), *words[1:]] if words else []


def _history(report: dict[str, Any]) -> dict[str, tuple[str, int]]:
    """DiffID → the history entry that made the layer; entries marked `empty_layer` made none."""
    metadata = as_object(report.get("Metadata"))
    config = as_object(metadata.get("ImageConfig"))
    rootfs = as_object(config.get("rootfs"))
    listed = rootfs.get("diff_ids") or metadata.get("DiffIDs")
    diff_ids = items(listed, str)
    history = objects_in(config.get("history"))
    made = [str(h.get("created_by", "")) for h in history if not h.get("empty_layer")]
    if len(made) != len(diff_ids):
        return {}  # a history that does not line up with the layers cannot be trusted to place anything
    seen: dict[tuple[str, str], int] = {}
    layers = {}
    for diff_id, created_by in reversed(list(zip(diff_ids, made, strict=True))):
        key = imagehistory.normalise_history(created_by)
        layers[diff_id] = (created_by, seen.get(key, 0))  # counted from the last layer
        seen[key] = seen.get(key, 0) + 1
    return layers


def _cause(misconfig: dict[str, Any]) -> str:
    code = as_object(as_object(misconfig.get("CauseMetadata")).get("Code"))
    lines = [line for line in objects_in(code.get("Lines")) if line.get("IsCause")]
    return str(lines[0].get("Content", "")) if lines else ""


def _diff_id(record: dict[str, Any]) -> str:
    layer = record.get("Layer")
    return str(layer.get("DiffID", "")) if isinstance(layer, dict) else ""


def _in_image(result: dict[str, Any]) -> str:
    return "/" + str(result.get("Target", "")).lstrip("/")


def _digest(*parts: str) -> str:
    return hashlib.sha256("\0".join(parts).encode("utf-8", "surrogatepass")).hexdigest()
