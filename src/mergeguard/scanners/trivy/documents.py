"""Trivy's Kubernetes findings that give no line, placed on the document of the resource they name.

Some checks give no line (KSV-0109, a ConfigMap holding a password): read as line 1, such a finding
in a file of several resources sat on the first (a Service), in every report and annotation, and the
dedupe and the fingerprint took it for a problem of that resource. Its message names the resource's
kind and name (`ConfigMap 'api-config' in 'shop' namespace`), and the document of that kind and name
(its namespace too when two share both) is where it is; line 1 still when none or several are.
A file of one resource keeps line 1, and its findings their fingerprints; a chart's template is left
to `charts.placed` (its text is not what Trivy checked).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

from mergeguard.core.kubedocs import spans
from mergeguard.core.model import Finding, Location
from mergeguard.core.sources import SourceLines
from mergeguard.core.units import chart_dirs, in_templates

_MANIFESTS = (".yaml", ".yml", ".json")


def placed(findings: Sequence[Finding], lineless: Sequence[bool], root: Path) -> list[Finding]:
    """`findings` (of one file), those Trivy gave no line (`lineless`) on their resource's document."""
    if not any(lineless):
        return list(findings)
    path = findings[0].location.path
    if not path.endswith(_MANIFESTS) or in_templates(path, chart_dirs(root, [path])):
        return list(findings)
    resources = [span for span in spans(SourceLines(root).lines(path)) if span[2]]
    if len(resources) < 2:
        return list(findings)
    return [
        _on_document(finding, resources) if unplaced else finding
        for finding, unplaced in zip(findings, lineless, strict=True)
    ]


def _on_document(finding: Finding, resources: list[tuple[int, int, str]]) -> Finding:
    named = [(first, last, name) for first, last, name in resources if _names(finding.message, name)]
    if len(named) > 1:  # the same kind and name in two namespaces: the one the message names
        named = [span for span in named if _names(finding.message, span[2], namespace=True)]
    if len(named) != 1:
        return finding
    first, last, _ = named[0]
    return replace(finding, location=Location(finding.location.path, first, last))


def _names(message: str, resource: str, *, namespace: bool = False) -> bool:
    """Whether `message` names `resource` (`Kind/namespace/name`): its kind right before its name, each
    quoted or not (`ConfigMap 'api-config'`, `'pod' 'p'`, `deployment web`), and its namespace as a
    word when asked (none written is `default`)."""
    kind, space, name = resource.split("/", 2)
    said = rf"(?<![\w-]){re.escape(kind)}['\"]?\s+['\"]?{re.escape(name)}(?![\w-])"
    if not re.search(said, message, re.IGNORECASE):
        return False
    return (
        not namespace
        or re.search(rf"(?<![\w-]){re.escape(space or 'default')}(?![\w-])", message) is not None
    )
