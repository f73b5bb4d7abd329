"""Trivy's config (Dockerfile, IaC) and secret scanners: their offline command lines; `report` reads them."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import ClassVar

from mergeguard.core import dockerfile
from mergeguard.core.filekinds import DOCKERFILE_NAME, FileKind
from mergeguard.core.model import Finding
from mergeguard.scanners import foreach
from mergeguard.scanners.base import Command, Target, ToolOutput
from mergeguard.scanners.tool import InlineIgnore
from mergeguard.scanners.trivy import charts, unreadable
from mergeguard.scanners.trivy.report import parse_report

# Trivy's own Dockerfile patterns miss a lower-case `dockerfile`, which mergeguard classifies as one.
DOCKERFILE_PATTERN = f"dockerfile:(^|/){DOCKERFILE_NAME}$"  # the names mergeguard takes for Dockerfiles
_DOCKERFILE_CHECK = re.compile(r"(AVD-)?DS-?\d+")  # Trivy's Dockerfile checks: DS-0002 (older: AVD-DS-0002)

# `# trivy:ignore:DS-0029` right above an instruction (measured with 0.76.0); its other spellings
# (AVD-DS-0029, DS029, a wildcard) are left to Trivy alone.
_IGNORE = re.compile(r"#\s*trivy:ignore:(DS-\d{4})")


def inline_ignores(lines: Sequence[str]) -> list[InlineIgnore]:
    """The Dockerfile checks a `# trivy:ignore:` comment skips on the instruction below it."""
    found = dockerfile.commented(lines, _IGNORE)
    return [
        InlineIgnore(line, first, last, frozenset({match.group(1)})) for line, first, last, match in found
    ]


def _common_args(target: Target) -> tuple[str, ...]:
    """Switches both scans share: offline, JSON on stdout, exit 0 with findings, no trivy.yaml."""
    return (
        "--skip-version-check",
        "--disable-telemetry",
        # A fresh cache directory: with nothing in it Trivy uses the checks embedded in the pinned
        # binary, never a checks bundle some earlier run downloaded. These scans write nothing there.
        "--cache-dir",
        str(target.workdir / "trivy-cache"),
        # An empty path disables trivy.yaml, which a pull request could add to the scanned tree to
        # change the format, the severities reported or the scanners run. `.trivyignore` (read from
        # the working directory, target.root) still works: it is the native suppression.
        "--config",
        "",
        "--format",
        "json",
        "--exit-code",
        "0",
    )


def no_secret_config(target: Target) -> tuple[str, ...]:
    """A `trivy-secret.yaml` that does not exist: the default one, read from the working directory
    (the scanned tree), lets a change disable or allow-list Trivy's secret rules."""
    return ("--secret-config", str(target.workdir / "no-trivy-secret.yaml"))


class TrivyConfigScanner:
    """`trivy config` on the whole view: Dockerfile, Kubernetes, Terraform, CloudFormation checks."""

    name: ClassVar[str] = "trivy-config"
    executable: ClassVar[str] = "trivy"
    applies_to: ClassVar[frozenset[FileKind]] = frozenset({FileKind.DOCKERFILE, FileKind.IAC})
    version_args: ClassVar[tuple[str, ...]] = ("--version",)

    def command(self, exe: str, target: Target) -> Command:
        # Without a checks bundle in the cache, --skip-check-update logs "ERROR Falling back to
        # embedded checks" on stderr and exits 0: expected, not a failure.
        argv = (exe, "config", *_common_args(target), "--skip-check-update")
        return Command((*argv, "--file-patterns", DOCKERFILE_PATTERN, "--", str(target.root)))

    def finding_kinds(self, finding: Finding) -> frozenset[FileKind]:
        """Dockerfile checks (DS-…) are about Dockerfiles, every other check about IaC."""
        dockerfile = _DOCKERFILE_CHECK.fullmatch(finding.rule_id)
        return frozenset({FileKind.DOCKERFILE if dockerfile else FileKind.IAC})

    def parse(self, output: ToolOutput, target: Target) -> list[Finding]:
        """The report's findings (a subchart's under its real directory), one for each Helm chart
        Trivy could not render (its log), one for each template it does not expand (`foreach`), and
        one for each Kubernetes manifest that is not YAML (`unreadable`)."""
        found = charts.placed(parse_report(output.report, self.name, target), target)
        unexpanded = foreach.findings(self.name, "Trivy", target)
        unread = unreadable.findings(self.name, "Trivy", target)
        return [*found, *charts.unrendered(output.stderr, self.name, target), *unexpanded, *unread]


class TrivySecretScanner:
    """`trivy fs --scanners secret` on the whole view: Trivy's built-in secret rules."""

    name: ClassVar[str] = "trivy-secret"
    executable: ClassVar[str] = "trivy"
    applies_to: ClassVar[frozenset[FileKind]] = frozenset({FileKind.ANY})
    version_args: ClassVar[tuple[str, ...]] = ("--version",)

    def command(self, exe: str, target: Target) -> Command:
        # The secret scanner needs no database; the two skips make sure none is ever fetched.
        argv = (exe, "fs", "--scanners", "secret", *_common_args(target), *no_secret_config(target))
        return Command((*argv, "--skip-db-update", "--skip-java-db-update", "--", str(target.root)))

    def parse(self, output: ToolOutput, target: Target) -> list[Finding]:
        return parse_report(output.report, self.name, target)
