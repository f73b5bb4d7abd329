"""Checkov's declaration: its scanner, its `.checkov.yaml` allow-list, and its rules' shared concepts."""

from __future__ import annotations

from mergeguard.core.model import Kind
from mergeguard.scanners.checkov.report import TOOL
from mergeguard.scanners.checkov.scanner import CheckovScanner, CheckovWithoutSecrets
from mergeguard.scanners.checkov.unparsed import RULE as SKIPPED_FILE
from mergeguard.scanners.detect_secrets.scanner import TOOL as DETECT_SECRETS
from mergeguard.scanners.tool import ConfigFile, Tool
from mergeguard.scanners.toolconfig import yaml_allow

# Its config, allow-listed: everything that loads checks (`external-checks-dir/-git`), downloads
# modules, talks to the platform (API keys, repo-id, CA bundle) or redirects output is left out.
_CONFIG = yaml_allow(
    dict.fromkeys(
        (
            *("check", "skip-check", "skip-path", "skip-framework", "skip-cve-package", "hard-fail-on"),
            *("skip-resources-without-violations", "block-list-secret-scan", "enable-secret-scan-all-files"),
            *("soft-fail-on", "evaluate-variables"),
        )
    )
)
TOOLS = (
    Tool(
        TOOL,
        homepage="https://www.checkov.io/",
        scanner=CheckovScanner(),
        reader=CheckovScanner(),
        start_order=10,
        shard_weight=8,
        rescans_base=True,
        unparsed_rules=frozenset({SKIPPED_FILE}),
        config_files=(ConfigFile(".checkov.yaml", _CONFIG), ConfigFile(".checkov.yml", _CONFIG)),
        line_concepts={
            "CKV_DOCKER_7": "image-tag-latest",
            "CKV_DOCKER_6": "maintainer-deprecated",
            "CKV_DOCKER_10": "workdir-relative",
            "CKV2_DOCKER_1": "sudo",
            "CKV_DOCKER_1": "port-22-exposed",
            "CKV_DOCKER_4": "add-instead-of-copy",
            "CKV_DOCKER_9": "apt-instead-of-apt-get",
            "CKV_DOCKER_5": "update-alone",
        },
        file_concepts={
            "CKV_DOCKER_3": "runs-as-root",
            "CKV_DOCKER_8": "runs-as-root",
            "CKV_DOCKER_2": "no-healthcheck",
        },
        resource_concepts={
            "CKV_K8S_16": "k8s-privileged",
            "CKV_K8S_17": "k8s-host-pid",
            "CKV_K8S_18": "k8s-host-ipc",
            "CKV_K8S_19": "k8s-host-network",
            "CKV_K8S_20": "k8s-privilege-escalation",
            "CKV_K8S_21": "k8s-default-namespace",
            "CKV_K8S_22": "k8s-writable-root-filesystem",
            "CKV_K8S_23": "k8s-runs-as-root",
            "CKV_K8S_31": "k8s-no-seccomp",
            "CKV_K8S_40": "k8s-low-uid",
            "CKV_K8S_10": "k8s-no-cpu-requests",
            "CKV_K8S_11": "k8s-no-cpu-limits",
            "CKV_K8S_12": "k8s-no-memory-requests",
            "CKV_K8S_13": "k8s-no-memory-limits",
            # The hostPath `/var/run/docker.sock` and `SYS_ADMIN` in `capabilities.add`: the same
            # tests as Trivy's (its docker_socket and SYS_ADMIN checks), both rated high by each.
            "CKV_K8S_27": "k8s-docker-socket",
            "CKV_K8S_39": "k8s-cap-sys-admin",
        },
        # Checkov 3.3.30, as for Trivy's: privileged, hostPID, hostIPC, hostNetwork, an added
        # capability, a hostPort, the docker socket, SYS_ADMIN.
        set_value_rules=frozenset(
            {
                "CKV_K8S_16",
                "CKV_K8S_17",
                "CKV_K8S_18",
                "CKV_K8S_19",
                "CKV_K8S_25",
                "CKV_K8S_26",
                "CKV_K8S_27",
                "CKV_K8S_39",
            }
        ),
        sarif_kind=Kind.MISCONFIGURATION,
        # Its comment/enum.py COMMENT_REGEX, and a Kubernetes annotation whose key holds one of
        # kubernetes_utils.py SKIP_ANNOTATION_PREFIXES (`checkov.io/skip1: CKV_K8S_16=reason`).
        inline_suppressions=(
            r"(?:checkov|bridgecrew|cortex):skip\s*=",
            r"(?:checkov|bridgecrew|cortex)(?P<blank>\.io/skip)",
        ),
        # 3.3.30 (checkov/secrets/runner.py): CKV_SECRET_6 base64 entropy, _10 keyword, _19 hex entropy,
        # _80 random high entropy (its ENTROPY_CHECK_IDS plus the keyword check).
        secret_heuristics=frozenset({"CKV_SECRET_6", "CKV_SECRET_10", "CKV_SECRET_19", "CKV_SECRET_80"}),
        # Its secrets framework is its own fork of detect-secrets (bc-detect-secrets) running the same
        # keyword and entropy plugins: one engine seen twice, not a second opinion; and left out when
        # detect-secrets runs on every file (scan.overlap).
        engine=DETECT_SECRETS,
        engine_note="Checkov's is a fork",
        covered_by=DETECT_SECRETS,
        lighter=CheckovWithoutSecrets(),
    ),
)
