"""Kustomize patches are parts of resources: what a patch leaves out, the resource it patches sets.

A strategic-merge patch (`patches: - path: webhook_patch.yaml` in a `kustomization.yaml`) holds a
Deployment with only the fields it changes. Trivy and Checkov read it as a whole Deployment, so
every check of something absent fires on it: no `readOnlyRootFilesystem`, no `runAsNonRoot`, no
limits (measured on kubebuilder's scaffold: three blocking findings for a patch that adds a port,
while the built Deployment sets all three). A finding in a patch file is lowered to low with that
reason, unless one of its reports is of a check that fires only on a value the patch writes
(`privileged: true`, a `hostPath`: `Tool.set_value_rules`), which the built resource has too.
Patch files are found through the kustomization files in their own directory and those above it.
Only a workload's patch is taken for one: every YAML document in it a Deployment, StatefulSet,
DaemonSet, ReplicaSet, Job, CronJob or Pod that sets no container `image` and none of the fields a
dangerous value is written in (`privileged`, host namespaces, `hostPath`, capabilities, a user, SELinux
options…) and deletes nothing of the base (a null, a `$patch` or other `$` directive), read as YAML
(flow mappings, quoted keys, JSON). Anything else is judged whole whatever a
kustomization says: a pull request could otherwise name its new Deployment, a CloudFormation template
or a ClusterRole a patch to lower its findings. Only Kubernetes checks are lowered.
"""

from __future__ import annotations

import functools
import posixpath
from collections.abc import Sequence
from dataclasses import replace

import yaml

from mergeguard.core.model import Finding, Kind, Severity, SeverityNote
from mergeguard.core.sources import SourceLines
from mergeguard.scan.equivalence import normalise_rule
from mergeguard.scan.registry import TOOLS

LOWERED_TO = Severity.LOW
REASON = "a kustomize patch: it holds only what it changes, the rest is the patched resource's"
KUSTOMIZATIONS = ("kustomization.yaml", "kustomization.yml", "Kustomization")
_PATCH_LISTS = ("patches", "patchesStrategicMerge")
_YAML = (".yaml", ".yml")


def apply(findings: Sequence[Finding], sources: SourceLines) -> list[Finding]:
    """The findings, each in a kustomize patch file lowered unless a set value makes it."""
    patches = _Patches(sources)
    return [_judged(f) if patches.holds(f.location.path) else f for f in findings]


_WORKLOADS = frozenset({"Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job", "CronJob", "Pod"})
# Fields whose value a patch may set to something dangerous: a patch writing any is judged whole.
_WRITES_RISK = frozenset(
    {"image", "privileged", "allowPrivilegeEscalation", "hostPID", "hostIPC", "hostNetwork", "hostPath",
     "hostPort", "capabilities", "runAsUser", "runAsNonRoot", "runAsGroup", "seLinuxOptions", "procMount",
     "sysctls", "seccompProfile", "appArmorProfile", "readOnlyRootFilesystem", "automountServiceAccountToken",
     "windowsOptions"}
)  # fmt: skip
# What a strategic-merge patch deletes from the base with: a directive (`$patch: delete`, `$retainKeys`,
# `$setElementOrder/…`, `$deleteFromPrimitiveList/…`) or a null. Such a patch does not leave the base's
# hardening in place: the built resource lacks what it lacks, so it is judged whole.
_DELETES = "$"
_NULL = "$null"  # stands for a null value among the keys
_K8S_RULES = ("KSV", "AVD-KSV", "CKV_K8S_", "CKV2_K8S_")


def _judged(finding: Finding) -> Finding:
    if finding.kind is not Kind.MISCONFIGURATION or finding.severity <= LOWERED_TO or _of_set_value(finding):
        return finding
    if not finding.rule_id.startswith(_K8S_RULES):
        return finding
    return replace(finding, severity=LOWERED_TO, severity_note=SeverityNote(finding.severity, REASON))


def _of_set_value(finding: Finding) -> bool:
    reports = [(finding.tool, finding.rule_id), *((s.tool, s.rule_id) for s in finding.also)]
    for tool, rule in reports:
        declared = TOOLS.get(tool)
        checks = TOOLS.get(declared.checks_as or tool) if declared is not None else None
        if checks is not None and normalise_rule(checks.name, rule) in checks.set_value_rules:
            return True
    return False


class _Patches:
    """Which files the kustomization files above them name as patches (each read once)."""

    def __init__(self, sources: SourceLines) -> None:
        self._sources = sources
        self._named = functools.lru_cache(maxsize=None)(self._patches_named_in)

    def holds(self, path: str) -> bool:
        if not path.endswith(_YAML) or not _a_workload_patch("\n".join(self._sources.lines(path))):
            return False
        folder = posixpath.dirname(path)
        while True:
            if path in self._named(folder):
                return True
            if not folder:
                return False
            folder = posixpath.dirname(folder)

    def _patches_named_in(self, folder: str) -> frozenset[str]:
        """The repo paths of the patch files the kustomization in `folder` names (none: no file)."""
        named: set[str] = set()
        for name in KUSTOMIZATIONS:
            lines = self._sources.lines(posixpath.join(folder, name))
            if lines:
                named |= {_inside(folder, ref) for ref in _references(_load("\n".join(lines)))}
        return frozenset(path for path in named if path)


def _a_workload_patch(text: str) -> bool:
    """Whether every document of `text` is a workload that sets no image and no field of `_WRITES_RISK`."""
    try:
        documents = [d for d in yaml.safe_load_all(text) if d is not None]
    except yaml.YAMLError:
        return False
    return bool(documents) and all(
        isinstance(d, dict) and d.get("kind") in _WORKLOADS and _keeps_base_hardening(_keys(d))
        for d in documents
    )


def _keeps_base_hardening(keys: set[str]) -> bool:
    """Whether a patch with these keys writes no risky field and deletes nothing of the base."""
    return not (keys & _WRITES_RISK) and not any(key.startswith(_DELETES) for key in keys)


def _keys(value: object) -> set[str]:
    """Every mapping key anywhere in `value` (and `_NULL` for a null value), each node visited once
    (YAML aliases share nodes: a billion-laughs file is a few nodes reached by very many paths)."""
    found: set[str] = set()
    stack, seen = [value], set()
    while stack:
        item = stack.pop()
        if id(item) in seen:
            continue
        seen.add(id(item))
        if item is None:
            found.add(_NULL)
        elif isinstance(item, dict):
            found.update(str(key) for key in item)
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return found


def _load(text: str) -> object:
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError:  # not kustomize's to read then: nothing is a patch by it
        return None


def _references(document: object) -> list[str]:
    """The file names under `patches` (`- path: x.yaml`) and `patchesStrategicMerge` (`- x.yaml`)."""
    if not isinstance(document, dict):
        return []
    found = []
    for key in _PATCH_LISTS:
        items = document.get(key)
        for item in items if isinstance(items, list) else []:
            ref = item.get("path") if isinstance(item, dict) else item
            if isinstance(ref, str) and ref.strip().endswith(_YAML):
                found.append(ref.strip())
    return found


def _inside(folder: str, ref: str) -> str:
    """`ref` (relative to `folder`) as a repo path; "" when it leaves the repository or is absolute."""
    if posixpath.isabs(ref):
        return ""
    joined = posixpath.normpath(posixpath.join(folder, ref))
    return "" if joined.startswith("../") or joined == ".." else joined
