"""`trivy image` on each image given: vulnerabilities, secrets and image-config checks, on Dockerfile lines.

The scanner registry holds one adapter per tool, but images are many per run and each scan is its
own Trivy process, so `image_jobs` makes runner `Job`s, each with an adapter bound to one image, its
Dockerfile and the database settings. Each image gets two: its vulnerabilities (which need the
database) and its secrets and configuration (which do not), so that a database that cannot be had
fails the first without hiding what the second finds. Every outcome is named `trivy-image`; an
error names the image and the part.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar

from mergeguard.core.changes import ChangeSet
from mergeguard.core.config import Config
from mergeguard.core.dockerfile import parse as parse_dockerfile
from mergeguard.core.errors import ParseError, ScannerError
from mergeguard.core.filekinds import FileKind
from mergeguard.core.model import Finding
from mergeguard.scanners.base import Command, Job, Target, ToolOutput, load_json
from mergeguard.scanners.trivy import fs as trivy
from mergeguard.scanners.trivy.database import failure, require, trivy_args
from mergeguard.scanners.trivy.report import parse_report
from mergeguard.vulns import anchors as image_anchors
from mergeguard.vulns import images
from mergeguard.vulns.database import VulnDb
from mergeguard.vulns.images import ImageKind, ImageSpec
from mergeguard.vulns.records import image_path

NAME = "trivy-image"
# Trivy reports its own failures with exit status 1; every status is read by `parse`, which names
# the image and, when the database is at fault, says so.
_ANY_EXIT = frozenset(range(256))
# Reproducible: no version check or telemetry, no trivy.yaml (a pull request could add one), JSON.
_COMMON = (
    "--skip-version-check",
    "--disable-telemetry",
    "--config",
    "",
    "--format",
    "json",
    "--exit-code",
    "0",
)


class ImagePart(enum.StrEnum):
    """What one `trivy image` run of an image looks for."""

    VULNERABILITIES = "vulnerabilities"  # OS and application packages, against the database
    CONTENTS = "secrets and configuration"  # secrets in its files and config, image-config checks


@dataclass(frozen=True, slots=True)
class TrivyImageScanner:
    """Scans one image for one part; the registry's instance (no image) is asked its name and version."""

    name: ClassVar[str] = NAME
    executable: ClassVar[str] = "trivy"
    applies_to: ClassVar[frozenset[FileKind]] = frozenset()  # images, not files: see image_jobs
    version_args: ClassVar[tuple[str, ...]] = ("--version",)

    spec: ImageSpec | None = None
    part: ImagePart = ImagePart.VULNERABILITIES
    anchor: image_anchors.Anchor | None = None
    vuln_db: VulnDb = field(default_factory=VulnDb)

    def command(self, exe: str, target: Target) -> Command:
        if self.spec is None:  # the registry's instance: its command is only asked for its environment
            return Command((exe, "--version"))
        try:
            source = _source(self.spec, self.vuln_db)
            if self.part is ImagePart.VULNERABILITIES:
                require(self.vuln_db)
        except ScannerError as exc:
            raise ScannerError(self._failed(str(exc))) from None
        if self.part is ImagePart.VULNERABILITIES:
            switches = (*_COMMON, "--scanners", "vuln", *trivy_args(self.vuln_db))
        else:
            switches = _secret_switches(target)
        return Command((exe, "image", *switches, *source), ok_exit_codes=_ANY_EXIT)

    def parse(self, output: ToolOutput, target: Target) -> list[Finding]:
        """Findings on the Dockerfile's lines; the registry's instance reads any image report as an
        image without a Dockerfile, named as the report names it."""
        if output.exit_code != 0:
            raise ScannerError(self._failed(failure(output.stderr, output.exit_code, self.vuln_db)))
        report = load_json(output.report, NAME)
        if not isinstance(report, dict) or report.get("ArtifactType") not in ("container_image", None):
            raise ParseError(self._failed("Trivy printed no image report"))
        spec = self.spec or _reported(report)
        findings = parse_report(output.report, NAME, target)
        return image_anchors.anchor_all(findings, image_anchors.origins(report), spec, self.anchor)

    def _failed(self, why: str) -> str:
        source = self.spec.source if self.spec else "?"
        return f"image {source}: {self.part.value} not checked: {why}"


def _reported(report: dict[str, object]) -> ImageSpec:
    """The image a report is of: its first repository tag, else its artifact name."""
    metadata = report.get("Metadata")
    tags = metadata.get("RepoTags") if isinstance(metadata, dict) else None
    name = (
        tags[0]
        if isinstance(tags, list) and tags and isinstance(tags[0], str)
        else report.get("ArtifactName")
    )
    return ImageSpec(name if isinstance(name, str) and name else "image", ImageKind.DAEMON)


def _source(spec: ImageSpec, vuln_db: VulnDb) -> tuple[str, ...]:
    """Archives and layouts by path; a reference from the daemon, then (online) its registry."""
    if spec.kind in (ImageKind.ARCHIVE, ImageKind.OCI):
        return ("--input", spec.source)
    if spec.kind is ImageKind.REGISTRY and vuln_db.offline:
        raise ScannerError("--offline forbids pulling it from its registry")
    sources = {ImageKind.REGISTRY: "remote", ImageKind.DAEMON: "docker,remote"}[spec.kind]
    return ("--image-src", "docker" if vuln_db.offline else sources, "--", spec.source)


def _secret_switches(target: Target) -> tuple[str, ...]:
    """Secrets in the image's files and configuration, and Trivy's checks of that configuration (root
    user, secrets in ENV) with the checks embedded in the pinned binary; no database, a scratch cache."""
    scratch = ("--cache-dir", str(target.workdir / "trivy-cache"), "--cache-backend", "memory")
    scanners = ("--scanners", "secret", "--image-config-scanners", "misconfig,secret", "--skip-check-update")
    own = trivy.no_secret_config(target)  # no trivy-secret.yaml from the scanned files
    return (*_COMMON, *scanners, *scratch, *own, "--skip-db-update", "--skip-java-db-update")


def image_jobs(
    specs: Sequence[ImageSpec],
    changes: ChangeSet,
    view: Path,
    config: Config,
    vuln_db: VulnDb,
    *,
    selected: bool,
) -> list[Job]:
    """Two jobs per image (one skipped job when there is nothing to do), each matched to its Dockerfile."""
    timeout = config.timeout_for(NAME)
    if not specs or not selected:
        reason = "not selected" if specs else "no images given (--image, or the images input)"
        return [Job(TrivyImageScanner(), None, timeout, skip_reason=reason)]
    matched = images.with_dockerfiles(specs, images.repository_dockerfiles(changes.root))
    repo_top, prefix = (changes.repo.top, changes.repo.prefix) if changes.repo else (changes.root, "")
    jobs = []
    for index, spec in enumerate(matched):
        anchor = _anchor(changes.root, spec.dockerfile)
        files = (anchor.path if anchor else image_path(spec.repository),)
        for part in ImagePart:
            workdir = view.parent / f"{NAME}-{index}-{part.name.lower()}"
            workdir.mkdir()
            target = Target(view, files, repo_top, prefix, changes.commit_range, workdir)
            jobs.append(Job(TrivyImageScanner(spec, part, anchor, vuln_db), target, timeout))
    return jobs


def tool_jobs(
    specs: Sequence[ImageSpec],
    changes: ChangeSet,
    view: Path,
    config: Config,
    vuln_db: VulnDb,
    *,
    selected: bool,
    base: bool,
) -> list[Job]:
    """`image_jobs`, for a base branch's images only the vulnerability scans (its advisories)."""
    jobs = image_jobs(specs, changes, view, config, vuln_db, selected=selected)
    if not base:
        return jobs
    wanted = ImagePart.VULNERABILITIES
    return [j for j in jobs if isinstance(j.scanner, TrivyImageScanner) and j.scanner.part is wanted]


def _anchor(root: Path, dockerfile: str | None) -> image_anchors.Anchor | None:
    """The Dockerfile read from the checkout (it need not be among the changed files)."""
    if dockerfile is None:
        return None
    try:
        text = (root / dockerfile).read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None
    return image_anchors.Anchor(dockerfile, tuple(parse_dockerfile(text)))
