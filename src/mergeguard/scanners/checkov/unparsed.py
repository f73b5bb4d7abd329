"""Files Checkov could not parse: each a finding, never a silent "nothing found".

Checkov skips a file its parser rejects and exits 0; its JSON names the file in the framework's
`results.parsing_errors` (only without `--quiet`; with it, `summary.parsing_errors` is a bare
count). Its HCL parser rejects valid Terraform (a number written `0.5e-3`, an empty heredoc, a
non-ASCII identifier), so a public bucket beside one passed. Only the frameworks below list such
files, and some list files that are not theirs: the Terraform runner reads any `.hcl` (Packer,
Nomad, Terragrunt), and the CloudFormation one tries every YAML or JSON file with the word
`Resources` in it (a Helm template, a JSON file with comments). Those are left out.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from mergeguard.core.basepolicy import read_regular
from mergeguard.core.errors import ParseError
from mergeguard.core.linecount import line_count
from mergeguard.core.model import Finding, Kind, Location, Severity
from mergeguard.scanners.base import Target, relative_path

RULE = "skipped-file"  # Bandit's rule for a file it could not parse
SEVERITY = Severity.HIGH
# A check id no check has: a run with `--check` set to it parses every file and checks nothing,
# so its report (without --quiet) lists the files that did not parse and no passed check.
PARSE_ONLY_CHECK = "MERGEGUARD_PARSE_ONLY"
_CLOUDFORMATION_ENDINGS = (".yml", ".yaml", ".json", ".template")  # 3.3.30's CF_POSSIBLE_ENDINGS
# A template's version, a resource type, or a top-level `Resources` key (a red team wrote the type
# `AWS\x3A:S3::Bucket` and a duplicate key: Checkov could not parse it, Trivy skipped it, and without
# `AWS::` in its bytes the file was taken for another's and passed). A list under `Resources` (an
# editor's settings) is no template.
_CLOUDFORMATION = re.compile(
    rb"AWSTemplateFormatVersion|AWS::"
    rb"|^[\"']?Resources[\"']?[ \t]*:[ \t]*(#.*)?$"  # a block mapping below it, as in a template
    rb"|^[\"']?Resources[\"']?[ \t]*:[ \t]*\{"
    rb"|\"Resources\"\s*:\s*\{",
    re.MULTILINE,
)


def _suffix(*endings: str) -> Callable[[str, Path], bool]:
    return lambda path, _root: path.endswith(endings)


def _cloudformation(path: str, root: Path) -> bool:
    """A template names `AWS::` resource types; a file that cannot be read here (a report converted
    elsewhere) is taken to be one."""
    if not path.endswith(_CLOUDFORMATION_ENDINGS):
        return False
    data = read_regular(root / path)
    return data is None or _CLOUDFORMATION.search(data) is not None or _json_template(data)


def _json_template(data: bytes) -> bool:
    """A JSON template whose keys are written with escapes (`"Resour\\u0063es"`) names them still."""
    try:
        document = json.loads(data)
    except (ValueError, RecursionError):
        return False
    return isinstance(document, dict) and bool({"Resources", "AWSTemplateFormatVersion"} & set(document))


# Framework -> which of the files it could not parse are its own.
OWNS: dict[str, Callable[[str, Path], bool]] = {
    "terraform": _suffix(".tf"),
    "terraform_json": _suffix(".tf.json"),
    "cloudformation": _cloudformation,
    "bicep": _suffix(".bicep"),
}
_NAMES = {
    "terraform": "Terraform",
    "terraform_json": "Terraform JSON",
    "cloudformation": "CloudFormation",
    "bicep": "Bicep",
}
_WHY = {
    "terraform": " (its HCL parser rejects some valid Terraform: numbers written 0.5e-3, empty"
    " heredocs, non-ASCII names)"
}


def owned(check_type: str, path: str, root: Path) -> bool:
    """Whether `path` is a file of the `check_type` framework (any file of a framework not known here)."""
    rule = OWNS.get(check_type)
    return rule is None or rule(path, root)


def needs_listing(frameworks: Iterable[str], target: Target) -> tuple[str, ...]:
    """The frameworks among `frameworks` that may fail to parse one of the target's own files."""
    return tuple(f for f in frameworks if f in OWNS and any(owned(f, p, target.root) for p in target.files))


def findings(reports: list[Any], target: Target, tool: str) -> list[Finding]:
    """A finding for each file a report lists as not parsed by a framework it belongs to."""
    listed: dict[str, str] = {}
    for framework in reports:
        check_type, _, files = _parsing_errors(framework, tool)
        for reported in files or ():
            listed.setdefault(_path(reported, target, tool), check_type)
    return [
        _finding(path, check_type, target, tool)
        for path, check_type in listed.items()
        if owned(check_type, path, target.root)
    ]


def unnamed(reports: list[Any], target: Target, tool: str) -> str | None:
    """Why the report is incomplete when it counts files Checkov could not parse without naming them
    (a `--quiet` report): those files were not checked, and nothing here can say which they are.
    None when every count is named, or when no file scanned was that framework's."""
    errors = [_parsing_errors(framework, tool) for framework in reports]
    listed = {check_type for check_type, _, files in errors if files}
    counts: dict[str, int] = {}
    for check_type, count, files in errors:
        if files is None and check_type not in listed:
            counts[check_type] = counts.get(check_type, 0) + count
    missing = [(c, n) for c, n in counts.items() if n and _may_own(c, target)]
    if not missing:
        return None
    said = ", ".join(f"{n} file{'s' if n != 1 else ''} Checkov could not parse ({c})" for c, n in missing)
    quiet = "but does not name them (it was made with --quiet): make it again without --quiet"
    return f"{tool}: the report counts {said} {quiet}"


def _may_own(check_type: str, target: Target) -> bool:
    """Whether a file scanned may be the framework's (files Checkov tries that are not its business,
    a `.hcl` for Terraform, are not); a report converted elsewhere names no files scanned: it may."""
    return not target.files or any(owned(check_type, p, target.root) for p in target.files)


def _parsing_errors(framework: dict[str, Any], tool: str) -> tuple[str, int, list[str] | None]:
    """A framework's name, its count of files not parsed, and the list of them (None: not given)."""
    check_type: str = framework["check_type"]
    summary, results = framework.get("summary"), framework.get("results")
    count = summary.get("parsing_errors") if isinstance(summary, dict) else None
    files = results.get("parsing_errors") if isinstance(results, dict) else None
    if not (count is None or (type(count) is int and count >= 0)):
        raise ParseError(f"{tool}: {check_type}'s summary.parsing_errors is not a count")
    if not (files is None or (isinstance(files, list) and all(isinstance(f, str) and f for f in files))):
        raise ParseError(f"{tool}: {check_type}'s results.parsing_errors is not a list of paths")
    return check_type, count or 0, files


def _path(reported: str, target: Target, tool: str) -> str:
    """Repo-relative: Checkov writes the absolute path, with symlinks resolved for most frameworks."""
    root, real = target.root.as_posix(), target.root.resolve().as_posix()
    if root != real and reported.startswith(f"{real}/"):
        reported = root + reported[len(real) :]
    try:
        return relative_path(reported, target)
    except ParseError as exc:
        raise ParseError(f"{tool}: {exc}") from None


def _finding(path: str, check_type: str, target: Target, tool: str) -> Finding:
    name = _NAMES.get(check_type, check_type)
    return Finding(
        tool=tool,
        rule_id=RULE,
        severity=SEVERITY,
        title="File not checked by Checkov",
        message=f"Checkov could not parse this file as {name}, so it checked nothing in it: any"
        f" misconfiguration in it went unseen{_WHY.get(check_type, '')}",
        location=Location(path, 1, line_count(target.root / path) or 1),  # 1: converted elsewhere
        kind=Kind.MISCONFIGURATION,
        evidence=check_type,  # whole-file finding: identified by the parser that failed, not line 1
    )
