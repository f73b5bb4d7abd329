"""CloudFormation templates whose resources are written with `Fn::ForEach`: each a finding, never a
silent "nothing found".

`Fn::ForEach::NAME` (the `AWS::LanguageExtensions` transform) writes resources out only when
CloudFormation deploys the template. Neither Trivy 0.76.0 nor Checkov 3.3.30 expands it: both read
the template, find no resource under that key, and report nothing (measured: SSH open to 0.0.0.0/0
inside one passed, the same group written out is AWS-0107, high). Each such template in scope is a
high `skipped-file` finding of each of them, on the whole file, like a file a tool could not parse.
"""

from __future__ import annotations

import json
from pathlib import Path

import yaml

from mergeguard.core import yamlsafe
from mergeguard.core.basepolicy import read_regular
from mergeguard.core.errors import FileError
from mergeguard.core.model import Finding
from mergeguard.scanners.base import Target
from mergeguard.scanners.skipped import skipped_file

_ENDINGS = (".yml", ".yaml", ".json", ".template")  # what the tools read as CloudFormation
_MAX_BYTES = 1 << 20


def findings(tool: str, name: str, target: Target) -> list[Finding]:
    """A finding of `tool` (called `name` in its message) for each template in scope whose
    `Resources` holds a `Fn::ForEach::` key."""
    return [_finding(path, tool, name, target.root) for path in target.files if _loops(target.root / path)]


def _loops(path: Path) -> bool:
    """Whether the template at `path` writes resources with `Fn::ForEach` (read as JSON, else as YAML
    in any style: a flow mapping `Resources: {"Fn::ForEach::X": …}` is the same template)."""
    if not path.name.endswith(_ENDINGS) or b"Fn::ForEach::" not in (data := read_regular(path) or b""):
        return False
    if len(data) > _MAX_BYTES:
        return True  # too big to read here: `Fn::ForEach::` is in it, and nothing else says where
    try:
        document = json.loads(data)
    except (ValueError, RecursionError):
        return _loops_in_yaml(data)
    resources = document.get("Resources") if isinstance(document, dict) else None
    return isinstance(resources, dict) and any(str(key).startswith("Fn::ForEach::") for key in resources)


def _loops_in_yaml(data: bytes) -> bool:
    """Whether the `Resources` mapping of the YAML template `data` has a `Fn::ForEach::` key; True when
    it cannot be read as YAML (fail closed: `Fn::ForEach::` is in it, and nothing says where)."""
    try:
        root = yamlsafe.compose_text(data.decode("utf-8"), "template", FileError, aliases=True)
    except (UnicodeDecodeError, FileError):
        return True
    resources = _items(root).get("Resources")
    return any(key.startswith("Fn::ForEach::") for key in _items(resources))


def _items(node: yaml.Node | None) -> dict[str, yaml.Node]:
    """The mapping `node`'s values by their plain keys (composed, so `!Ref`-style tags need no
    constructor); nothing for any other node."""
    if not isinstance(node, yaml.MappingNode):
        return {}
    return {k.value: v for k, v in node.value if isinstance(k, yaml.ScalarNode)}


def _finding(path: str, tool: str, name: str, root: Path) -> Finding:
    message = (
        f"{name} does not expand Fn::ForEach (AWS::LanguageExtensions), so none of the resources"
        " this template writes with it was checked: any misconfiguration in them went unseen (write"
        " them out, or accept this finding in the baseline with a reason)"
    )
    return skipped_file(tool, name, path, root, message=message, evidence="Fn::ForEach")  # one per file, tool
