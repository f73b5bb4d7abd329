"""Trivy's declarations: its config, secret, dependency and image scans, and its reports read by `convert`."""

from __future__ import annotations

from mergeguard.core.model import Kind
from mergeguard.scanners.ignorefiles import line_ignores
from mergeguard.scanners.tool import ConfigFile, Tool
from mergeguard.scanners.toolconfig import Allowed, load_yaml, mapping, yaml_allow
from mergeguard.scanners.trivy.db_age import with_database_age
from mergeguard.scanners.trivy.deps import TrivyDepsScanner
from mergeguard.scanners.trivy.fs import TrivyConfigScanner, TrivySecretScanner, inline_ignores
from mergeguard.scanners.trivy.image import TrivyImageScanner, tool_jobs
from mergeguard.scanners.trivy.report import TrivyReport, rule_id

_HOMEPAGE = "https://trivy.dev/"
# trivy.yaml (read only if ever un-disabled): no policies, data, server, tokens, registries or caches.
_CONFIG_KEYS: Allowed = {
    "severity": None,
    "ignore-unfixed": None,
    "ignore-status": None,
    "scan": frozenset({"skip-dirs", "skip-files"}),
    "vulnerability": frozenset({"ignore-unfixed", "ignore-status", "type"}),
}


def _ignore_yaml(data: bytes, notes: list[str]) -> bytes:
    mapping(load_yaml(data))  # IDs, paths and statements only: kept as written once readable
    return data


# Trivy's ignore files and config serve all its scans: declared once, with the config scan.
_CONFIG_FILES = (
    ConfigFile(".trivyignore"),
    ConfigFile(".trivyignore.yaml", _ignore_yaml),
    ConfigFile("trivy.yaml", yaml_allow(_CONFIG_KEYS)),
)
_CONFIG = Tool(
    TrivyConfigScanner.name,
    homepage=_HOMEPAGE,
    scanner=TrivyConfigScanner(),
    start_order=30,
    shard_weight=3,
    config_files=_CONFIG_FILES,
    rescans_base=True,
    line_concepts={
        "DS-0001": "image-tag-latest",
        "DS-0022": "maintainer-deprecated",
        "DS-0009": "workdir-relative",
        "DS-0010": "sudo",
        "DS-0004": "port-22-exposed",
        "DS-0005": "add-instead-of-copy",
        "DS-0011": "copy-sources-to-non-directory",
        "DS-0025": "apk-no-cache",
        "DS-0029": "apt-get-no-install-recommends",
        "DS-0017": "update-alone",
        "DS-0031": "secret-in-env",
    },
    file_concepts={"DS-0002": "runs-as-root", "DS-0026": "no-healthcheck"},
    resource_concepts={
        "KSV-0017": "k8s-privileged",
        "KSV-0010": "k8s-host-pid",
        "KSV-0008": "k8s-host-ipc",
        "KSV-0009": "k8s-host-network",
        "KSV-0001": "k8s-privilege-escalation",
        "KSV-0110": "k8s-default-namespace",
        "KSV-0014": "k8s-writable-root-filesystem",
        "KSV-0012": "k8s-runs-as-root",
        "KSV-0030": "k8s-no-seccomp",
        "KSV-0020": "k8s-low-uid",
        "KSV-0015": "k8s-no-cpu-requests",
        "KSV-0011": "k8s-no-cpu-limits",
        "KSV-0016": "k8s-no-memory-requests",
        "KSV-0018": "k8s-no-memory-limits",
        "KSV-0006": "k8s-docker-socket",
        "KSV-0005": "k8s-cap-sys-admin",
    },
    # Measured with Trivy 0.76.0 on a manifest setting each (and not firing on one that leaves it
    # out): privileged, hostPID, hostIPC, hostNetwork, the docker socket, SYS_ADMIN, added
    # capabilities, a hostPath, a hostPort, runAsUser 0, a privileged port, a Windows HostProcess container.
    set_value_rules=frozenset(
        {
            "KSV-0017",
            "KSV-0010",
            "KSV-0008",
            "KSV-0009",
            "KSV-0006",
            "KSV-0005",
            "KSV-0022",
            "KSV-0023",
            "KSV-0024",
            "KSV-0105",
            "KSV-0117",
            "KSV-0103",
        }
    ),
    rule_id=rule_id,
    sarif_kind=Kind.MISCONFIGURATION,
    # Trivy 0.76 (pkg/iac/ignore/parse.go) reads a word starting `trivy:` or the legacy `tfsec:`,
    # then key:value pairs in any order, one of them `ignore:ID` (`trivy:exp:2030-01-01:ignore:*`).
    inline_suppressions=(r"(?:trivy|tfsec):\S*?ignore:",),
    inline_ignores=inline_ignores,
    policy_effects={".trivyignore": line_ignores},
)
# Slowest first: an image scan takes tens of seconds (its jobs, one per image, are made by
# `image.image_jobs` and start before every other scanner; this entry gives its name and version).
# An image's configuration is checked with the same Dockerfile checks as the Dockerfile itself
# (DS-0002 root user, DS-0031 secret in ENV); a secret inside an image is placed on the Dockerfile
# line that copied it in, with others that line copied: one problem only with itself.
TOOLS = (
    Tool(
        TrivyImageScanner.name,
        scanner=TrivyImageScanner(),
        start_order=0,
        checks_as=_CONFIG.name,
        secrets_join=False,
        scans_images=True,
        image_jobs=tool_jobs,
    ),
    # A converted report names its tool after the program; its checks are the config scan's. Its
    # SARIF names an OS package vulnerability's rule so, and the image where a file belongs
    # (pkg/report/sarif.go: `OsPackageVulnerability`, the image's repository as the URI).
    Tool(
        TrivyReport.name,
        reader=TrivyReport(),
        start_order=5,
        checks_as=_CONFIG.name,
        sarif_image_rules=frozenset({"OsPackageVulnerability"}),
    ),
    _CONFIG,
    # Reads a local database (pip-audit asks PyPI): after it, before the quick scans.
    Tool(
        TrivyDepsScanner.name,
        scanner=TrivyDepsScanner(),
        start_order=40,
        shard_weight=4,
        line_concepts={"unpinned-requirement": "unpinned-requirement"},
        # The age of the database the image and dependency scans used, once, as their reason.
        annotate=with_database_age,
    ),
    Tool(
        TrivySecretScanner.name,
        homepage=_HOMEPAGE,
        scanner=TrivySecretScanner(),
        start_order=80,
        shard_weight=3,
        precommit=True,
        # Trivy 0.76.0's built-in secret rules are all provider formats: no generic heuristic
        # (it reports nothing for `password = "…"` or a random 32-character hex string).
        secret_heuristics=frozenset(),
    ),
)
