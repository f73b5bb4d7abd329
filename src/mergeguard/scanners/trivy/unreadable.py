"""Kubernetes manifests no YAML parser reads: each a finding, never a silent "nothing found".

Trivy 0.76.0 and Checkov 3.3.30 both skip a manifest that is not YAML (a hand re-indent that breaks
a `- image:` item) without a word, and exit 0: a Deployment made privileged in one passed as clean.
Each YAML file mergeguard takes for a Kubernetes manifest (an IaC file naming an `apiVersion`, not
CloudFormation, not a file of a Helm chart, whose templates are YAML only once rendered) that
PyYAML's event parser cannot read is a high `skipped-file` finding on the whole file, with the
parser's reason and line. Reported here once, by trivy-config (the scanner of every Kubernetes check
mergeguard rates), not again by Checkov. Events only: tags (`!Ref`), anchors, aliases and several
documents read as the text has them, nothing constructed.
"""

from __future__ import annotations

import re
from pathlib import Path, PurePosixPath

import yaml

from mergeguard.core import yamlsafe
from mergeguard.core.basepolicy import read_regular
from mergeguard.core.filekinds import FileKind, classify
from mergeguard.core.model import Finding
from mergeguard.core.units import chart_dirs
from mergeguard.scanners.base import Target
from mergeguard.scanners.skipped import skipped_file

_ENDINGS = (".yaml", ".yml")
_KUBERNETES = re.compile(rb"apiVersion['\"]?\s*:")
_CLOUDFORMATION = re.compile(rb"AWSTemplateFormatVersion|AWS::")  # left to `checkov.unparsed`


def findings(tool: str, name: str, target: Target) -> list[Finding]:
    """A finding of `tool` (called `name` in its message) for each manifest in scope YAML cannot read."""
    found = []
    for path in target.files:
        if (problem := _unreadable(path, target.root)) is not None:
            found.append(_finding(path, tool, name, problem, target.root))
    return found


def _unreadable(path: str, root: Path) -> str | None:
    """Why PyYAML cannot read the manifest at `path` (None: it can, or it is no manifest)."""
    parts = PurePosixPath(path).parts
    workflow = ".github" in parts and "workflows" in parts
    if not path.lower().endswith(_ENDINGS) or workflow or chart_dirs(root, [path]):
        return None
    data = read_regular(root / path)
    if data is None or len(data) > yamlsafe.MAX_BYTES or not _KUBERNETES.search(data):
        return None
    if FileKind.IAC not in classify(path, data) or _CLOUDFORMATION.search(data):
        return None  # a compose file; a CloudFormation template, which Checkov lists itself
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        return f"not UTF-8 (byte 0x{data[exc.start]:02x}, line {line})"
    try:
        for _ in yamlsafe.events(text):
            pass
    except yaml.YAMLError as exc:
        return _reason(exc)
    return None


def _reason(exc: yaml.YAMLError) -> str:
    """The parser's one line, and where: `mapping values are not allowed here (line 17)`."""
    mark = getattr(exc, "problem_mark", None)
    problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
    return f"{problem} (line {mark.line + 1})" if mark is not None else str(problem)


def _finding(path: str, tool: str, name: str, problem: str, root: Path) -> Finding:
    message = (
        f"This Kubernetes manifest is not valid YAML: {problem}. {name} could not read it, so it"
        " checked nothing in it (nor did the other IaC scanners): any misconfiguration in it went unseen"
    )
    return skipped_file(tool, name, path, root, message=message, evidence="YAML")  # the parser that failed
