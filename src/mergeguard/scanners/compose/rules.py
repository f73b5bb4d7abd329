"""The compose check's rules: id, severity and title, each rated as its Kubernetes equivalent is.

Measured with Trivy 0.76 and Checkov 3.3.30 on a Pod with the same settings: privileged, host
network/PID/IPC, SYS_ADMIN, the docker socket and a host `/` or `/etc` mount are HIGH (KSV-0017,
-0009, -0010, -0008, -0005, -0006, -0121; CKV_K8S_16-19, 27, 39); another added capability, disabled
seccomp, privilege escalation and unmasked /proc MEDIUM (KSV-0022, -0104, -0001, -0027).
Ids are stable: never reused.
"""

from __future__ import annotations

from dataclasses import dataclass

from mergeguard.core.model import Severity


@dataclass(frozen=True, slots=True)
class Rule:
    id: str
    severity: Severity
    title: str


_RULES = (
    Rule("COMPOSE-001", Severity.HIGH, "Service runs privileged"),
    Rule("COMPOSE-002", Severity.HIGH, "Service shares the host's network namespace"),
    Rule("COMPOSE-003", Severity.HIGH, "Service shares the host's PID namespace"),
    Rule("COMPOSE-004", Severity.HIGH, "Service shares the host's IPC namespace"),
    # The host's hostname and domain name only: no Kubernetes field, less than the others.
    Rule("COMPOSE-005", Severity.MEDIUM, "Service shares the host's UTS namespace"),
    Rule("COMPOSE-006", Severity.HIGH, "Service adds the SYS_ADMIN or ALL capability"),
    # NET_ADMIN, SYS_PTRACE, SYS_MODULE, DAC_READ_SEARCH...: any one Docker does not give by default.
    Rule("COMPOSE-007", Severity.MEDIUM, "Service adds a capability beyond Docker's defaults"),
    Rule("COMPOSE-008", Severity.MEDIUM, "Service runs without seccomp or AppArmor confinement"),
    Rule("COMPOSE-009", Severity.MEDIUM, "Service turns no-new-privileges off"),
    Rule("COMPOSE-010", Severity.HIGH, "Service mounts the Docker socket (or /run, which holds it)"),
    Rule("COMPOSE-011", Severity.HIGH, "Service mounts the host's root, /etc, /proc or /sys"),
    # Anyone who reaches the port logs in as any user, superuser included, without a password.
    Rule("COMPOSE-012", Severity.HIGH, "PostgreSQL accepts every connection without a password"),
    # `systempaths=unconfined`: /proc and /sys unmasked, as Kubernetes' `procMount: Unmasked` (KSV-0027).
    Rule("COMPOSE-013", Severity.MEDIUM, "Service unmasks the host's /proc and /sys paths"),
)
RULES = {rule.id: rule for rule in _RULES}
SKIPPED = Rule("skipped-file", Severity.HIGH, "Compose file not checked")  # Bandit's and Checkov's id
