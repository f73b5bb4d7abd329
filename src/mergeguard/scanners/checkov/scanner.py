"""Checkov: its offline command line over the scan view (with and without its secrets framework)."""

from __future__ import annotations

import re
from typing import ClassVar

from mergeguard.core.errors import ParseError
from mergeguard.core.filekinds import FileKind
from mergeguard.core.model import Finding, Kind
from mergeguard.scanners.base import Command, Target, ToolOutput
from mergeguard.scanners.checkov import renamed, unparsed
from mergeguard.scanners.checkov.report import SECRETS, TOOL, parse_report

# The IaC that FileKind.IAC covers, plus Dockerfiles and secrets in every file. Left out on purpose:
# helm and kustomize shell out to `helm`/`kubectl`, which fetch remote charts and bases and talk to a
# cluster (measured: `kubectl kustomize` connected to localhost:8080 and ran `git fetch` of a GitHub
# base); the kubernetes framework still checks the plain manifests.
FRAMEWORKS = (
    "dockerfile",
    "secrets",
    "kubernetes",
    "terraform",
    "terraform_json",
    "cloudformation",
    "github_actions",
    "bicep",
)
# Every switch that keeps checkov 3.3.30 from reaching the network (each one measured with strace).
OFFLINE_ENV = {
    "BC_SKIP_MAPPING": "TRUE",  # no guideline/ID mapping download from api0.prismacloud.io
    "CKV_SKIP_PACKAGE_UPDATE_CHECK": "True",  # no PyPI version check, made at import time
    # An API key (from the environment or any .checkov.yaml) turns on the platform: upload of the
    # code, secret verification, policy download. An empty variable outranks the config files.
    "BC_API_KEY": "",
    "CKV_VALIDATE_SECRETS": "",  # secret verification; checkov tests it for truth, so "False" would enable it
}
OFFLINE_ARGS = ("--skip-download", "--download-external-modules", "false")
_REPORT_ARGS = ("--enable-secret-scan-all-files", "--quiet", "--compact", "--output", "json", "--soft-fail")
_DOCKERFILE_CHECK = re.compile(r"CKV2?_DOCKER_\d+")  # the dockerfile framework's checks


class CheckovScanner:
    """`checkov -d` over the scan view: Dockerfiles, IaC, and secrets in every file, offline."""

    name: ClassVar[str] = TOOL
    executable: ClassVar[str] = TOOL
    applies_to: ClassVar[frozenset[FileKind]] = frozenset({FileKind.DOCKERFILE, FileKind.IAC, FileKind.ANY})
    version_args: ClassVar[tuple[str, ...]] = ("--version",)
    frameworks: ClassVar[tuple[str, ...]] = FRAMEWORKS

    def command(self, exe: str, target: Target) -> Command:
        # --compact drops code blocks (they hold the first characters of each secret); --soft-fail
        # exits 0 with findings, but a .checkov.yaml `hard-fail-on`/`soft-fail-on` (honoured, like
        # `checkov:skip`) makes it 1 again; crashes are 2. HOME is scratch space so a ~/.checkov.yaml,
        # which outranks the repository's, cannot change the result.
        scope = ("--directory", str(target.root), "--framework", *self.frameworks)
        env = {**OFFLINE_ENV, "HOME": str(target.workdir)}
        report = _REPORT_ARGS if SECRETS in self.frameworks else _REPORT_ARGS[1:]
        argv = (exe, *scope, *report, *OFFLINE_ARGS)
        then = (*_renamed_run(exe, target), *_listing(exe, target, self.frameworks))
        return Command(argv, env=env, ok_exit_codes=frozenset({0, 1}), then=then)

    def finding_kinds(self, finding: Finding) -> frozenset[FileKind]:
        """Secrets are about any file, Dockerfile checks about Dockerfiles, every other check about IaC.

        Checkov reads any file whose name contains "dockerfile" (`dockerfile.py`) as a Dockerfile.
        """
        if finding.kind is Kind.SECRET:
            return frozenset({FileKind.ANY})
        if _DOCKERFILE_CHECK.fullmatch(finding.rule_id):
            return frozenset({FileKind.DOCKERFILE})
        return frozenset({FileKind.IAC})

    def parse(self, output: ToolOutput, target: Target) -> list[Finding]:
        if not output.report.strip():
            stderr = _last_line(output.stderr)
            raise ParseError(f"{TOOL} printed no report (exit {output.exit_code}): {stderr}")
        return parse_report(output.report, target)


class CheckovWithoutSecrets(CheckovScanner):
    """Checkov without its secrets framework, for when detect-secrets runs (see `overlap`)."""

    applies_to: ClassVar[frozenset[FileKind]] = frozenset({FileKind.DOCKERFILE, FileKind.IAC})
    frameworks: ClassVar[tuple[str, ...]] = tuple(f for f in FRAMEWORKS if f != SECRETS)


def _renamed_run(exe: str, target: Target) -> tuple[tuple[str, ...], ...]:
    """A run on copies of the Dockerfiles whose names Checkov skips (`Containerfile`, `api-Dockerfile`)
    under names it reads (`renamed`); run in the view, so the view's .checkov.yaml applies."""
    copies = renamed.lay_out(target)
    if copies is None:
        return ()
    scope = ("--directory", str(copies), "--framework", "dockerfile")
    return ((exe, *scope, *_REPORT_ARGS[1:], *OFFLINE_ARGS),)


def _listing(exe: str, target: Target, frameworks: tuple[str, ...]) -> tuple[tuple[str, ...], ...]:
    """A second run that names the files Checkov could not parse, when the target has any it may
    fail on. With --quiet Checkov only counts them; without it, every passed check is in the report
    too (three times its size: 29 MB for 10 on 300 files), so the second run checks nothing
    (`--check` an id no check has) and its report is the list alone (about 5 s more, Checkov's
    start-up and parse)."""
    parsed = unparsed.needs_listing(frameworks, target)
    if not parsed:
        return ()
    scope = ("--directory", str(target.root), "--framework", *parsed, "--check", unparsed.PARSE_ONLY_CHECK)
    return ((exe, *scope, "--compact", "--output", "json", "--soft-fail", *OFFLINE_ARGS),)


def _last_line(text: str) -> str:
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return lines[-1][:200] if lines else "nothing on stderr"
