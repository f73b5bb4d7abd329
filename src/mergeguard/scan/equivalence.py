"""Which reports from different tools are one problem: the equivalence table and the identities it gives.

Each concept names the rules that several tools use for the same problem, as measured on one
Dockerfile planted with every classic mistake (Trivy 0.76.0, hadolint 2.15.1, Checkov 3.3.30).
Line concepts are one problem per line (every tool points at the same instruction); file concepts
are one problem per file (the tools point at different lines: Trivy at the USER line or nowhere,
Checkov at the whole file). Secrets at the same place and the same advisory in the same package and
version are one problem whichever tools reported them.
"""

from __future__ import annotations

from collections.abc import Mapping

from mergeguard.core.model import Finding, Kind
from mergeguard.core.preexisting import advisory_id
from mergeguard.scan.registry import TOOLS
from mergeguard.scan.resources import Resources
from mergeguard.scanners.tool import Tool
from mergeguard.vulns.records import IMAGE_PREFIX

# The concepts: each tool names its rules for them (`Tool.line_concepts`, `Tool.file_concepts`).
LINE_CONCEPTS = frozenset(
    {
        "image-tag-latest",
        "maintainer-deprecated",
        "workdir-relative",
        "sudo",
        "port-22-exposed",
        "add-instead-of-copy",
        "copy-sources-to-non-directory",
        "apk-no-cache",
        "apt-get-no-install-recommends",
        "apt-instead-of-apt-get",
        "update-alone",
        "secret-in-env",
        "unpinned-requirement",  # a requirement no dependency scanner could audit: one per line
    }
)
FILE_CONCEPTS = frozenset({"runs-as-root", "no-healthcheck"})
# One per Kubernetes resource: Checkov reports the whole resource, Trivy the pod spec or the container;
# the key is the resource the report starts in (`scan.resources`), with the file.
RESOURCE_CONCEPTS = frozenset(
    {
        "k8s-privileged",
        "k8s-host-pid",
        "k8s-host-ipc",
        "k8s-host-network",
        "k8s-privilege-escalation",
        "k8s-default-namespace",
        "k8s-writable-root-filesystem",
        "k8s-runs-as-root",
        "k8s-no-seccomp",
        "k8s-low-uid",
        "k8s-no-cpu-requests",
        "k8s-no-cpu-limits",
        "k8s-no-memory-requests",
        "k8s-no-memory-limits",
        "k8s-docker-socket",
        "k8s-cap-sys-admin",
    }
)


def _by_rule(tools: Mapping[str, Tool]) -> dict[tuple[str, str], tuple[str, str]]:
    """(tool, rule id) -> (scope, concept) from every tool's declaration."""
    found: dict[tuple[str, str], tuple[str, str]] = {}
    for tool in tools.values():
        found |= {(tool.name, rule): ("line", name) for rule, name in tool.line_concepts.items()}
        found |= {(tool.name, rule): ("file", name) for rule, name in tool.file_concepts.items()}
        found |= {(tool.name, rule): ("resource", name) for rule, name in tool.resource_concepts.items()}
    return found


_BY_RULE = _by_rule(TOOLS)


def concept(finding: Finding) -> tuple[str, str] | None:
    """("line" | "file" | "secret" | "advisory", name) when other tools may report the same problem."""
    declared = TOOLS.get(finding.tool)
    if finding.kind is Kind.SECRET:
        # A tool may place its secrets where others' are not the same problem (`Tool.secrets_join`),
        # and an image's placeholder holds every secret of the image, each its own (an imported report).
        joins = (declared is None or declared.secrets_join) and not finding.location.path.startswith(
            IMAGE_PREFIX
        )
        return ("secret", "secret") if joins else None
    if finding.package is not None:
        return ("advisory", advisory_id(finding))
    tool = (declared.checks_as or declared.name) if declared is not None else finding.tool
    return _BY_RULE.get((tool, normalise_rule(tool, finding.rule_id)))


def group_key(finding: Finding, resources: Resources | None = None) -> tuple[object, ...] | None:
    """Findings with the same key (within one scan) are one problem; None: only itself.

    `resources` tells which resource of a manifest a line is in; without it (findings of no scanned
    tree) a resource is known by its last line, where whole-resource reports and most others end.
    """
    found = concept(finding)
    if found is None:
        return None
    scope, name = found
    loc = finding.location
    if scope == "file":
        return (scope, name, loc.path)
    if scope == "advisory" and (pkg := finding.package) is not None:
        return (scope, name, loc.path, pkg.name.lower(), pkg.installed)
    if scope == "resource":
        where = resources.index(loc.path, loc.start_line) if resources else max(loc.start_line, loc.end_line)
        return (scope, name, loc.path, where)
    return (scope, name, loc.path, loc.start_line)


def identity(finding: Finding) -> tuple[str, str | None]:
    """The (namespace, content) a fingerprint is built from; content None means "the source line".

    A problem several tools report gets the same identity whichever of them found it, so turning a
    scanner on or off does not reopen a baselined finding.
    """
    found = concept(finding)
    if found is None:
        return (f"{finding.tool}\x1f{finding.rule_id}", finding.evidence or None)
    scope, name = found
    if scope in ("file", "resource"):  # resources of one file: told apart by the occurrence index
        return (f"concept:{name}", "")
    if scope == "advisory" and (pkg := finding.package) is not None:
        return ("advisory", f"{pkg.name.lower()}@{pkg.installed}#{name}")
    return (f"concept:{name}", None)


def normalise_rule(tool: str, rule: str) -> str:
    """`rule` written as `tool`'s declaration writes it in the concept tables (`Tool.rule_id`)."""
    declared = TOOLS.get(tool)
    return declared.rule_id(rule) if declared is not None else rule
