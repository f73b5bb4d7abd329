"""One way in: the CLI's flags and the Action's inputs become the same ScanRequest and Config here."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, replace
from pathlib import Path

from mergeguard.core import baseline, basepolicy, config
from mergeguard.core.contained import inside
from mergeguard.core.errors import UsageError
from mergeguard.core.model import Severity
from mergeguard.scan import imported, shards
from mergeguard.scan.pipeline import ImportedReport, ScanRequest
from mergeguard.scan.registry import READERS, REGISTRY, select
from mergeguard.vulns import images
from mergeguard.vulns.database import VulnDb

_PATH_PREFIXES = ("docker-archive:", "oci:")
_REMOTE_PREFIXES = ("docker-daemon:", "docker://")


@dataclass(frozen=True, slots=True)
class OptionNames:
    """How the caller's users spell each option, so that a refusal names what they typed."""

    scanners: str  # "--scanners" | "input scanners"
    timeout: str  # "--timeout"
    report: str  # one entry of `reports` in a refusal, "{!r}" for the entry: "--report {!r}"
    base_report: str  # one entry of `base_reports`: "--report {!r}" | "input base-reports: {!r}"
    base_images: str  # a path of `base_images` leaving the workspace: "input base-images"
    base_reports: str  # a path of `base_reports` leaving the workspace: "input base-reports"
    needs_base: str  # the refusal of base images or reports with no base to compare with
    shard: str = "--shard splits the scanners: it cannot be used with --image or --report"


@dataclass(frozen=True, slots=True)
class RequestOptions:
    """What was asked for, as text from flags or inputs; `build_request` checks it once for both."""

    root: Path
    names: OptionNames
    base: str | None = None  # None: every file
    config: str | None = None
    baseline: str | None = None
    scanners: str | None = None  # comma- or newline-separated, `none`, or None/"": the config's
    fail_on: Severity | None = None
    timeout: float | None = None
    ignore_unfixed: bool = False
    reports: tuple[str, ...] = ()  # TOOL=FILE
    images: tuple[str, ...] = ()  # each one spec or a comma/newline-separated list
    base_images: tuple[str, ...] = ()  # the same
    base_reports: tuple[str, ...] = ()  # TOOL=FILE each
    vuln_db_dir: str | None = None
    offline: bool = False
    shard: shards.Shard | None = None
    # The Action's workspace: relative paths are read from it and files named by options stay in it.
    # None (the CLI): paths as the user's shell gives them, anywhere.
    workspace: Path | None = None

    @property
    def unsplit(self) -> bool:
        """Images or imported reports asked for: one job scans them; shards split (and merges fold) none."""
        return bool(self.reports or self.base_reports or any(self.images + self.base_images))


def policy_files(options: RequestOptions) -> basepolicy.PolicyFiles:
    """Where the policy is read: at the base in PR mode (the change wrote the tree), else the tree."""
    return basepolicy.locate(options.root, options.base, options.config or None, options.baseline or None)


def build_config(options: RequestOptions, files: basepolicy.PolicyFiles | None = None) -> config.Config:
    """The config file's settings, then the flags' or inputs' overrides."""
    settings = config.resolve(options.config or None, options.root, REGISTRY.keys(), files)
    if options.fail_on is not None:  # not truthiness: `unknown` is 0
        settings = replace(settings, fail_on=options.fail_on)
    if options.timeout is not None:
        try:
            settings = replace(settings, timeout_s=config.timeout_seconds(options.timeout))
        except ValueError as exc:
            raise UsageError(f"{options.names.timeout}: {exc}") from None
    if options.ignore_unfixed:
        settings = replace(settings, ignore_unfixed=True)
    return settings


def build_request(options: RequestOptions, files: basepolicy.PolicyFiles | None = None) -> ScanRequest:
    """The scan the options ask for; UsageError (one line naming the option) for anything unfit."""
    root, names = options.root, options.names
    files = files if files is not None else policy_files(options)
    if options.shard and options.unsplit:
        raise UsageError(names.shard)
    scanners = select(options.scanners, names.scanners)
    reports = tuple(read_report(item, names.report, None) for item in options.reports)
    specs = images.parse_specs(options.images, root)
    base_images = tuple(_base_image(item, options) for item in entries(options.base_images))
    base_reports = tuple(_base_report(item, options) for item in options.base_reports)
    if (base_images or base_reports) and options.base is None:
        raise UsageError(names.needs_base)
    return ScanRequest(
        root,
        options.base,
        scanners,
        baseline.resolve(options.baseline or None, root, files),
        reports,
        images=specs,
        vuln_db=VulnDb(_vuln_db_dir(options), options.offline),
        base_images=base_images,
        base_reports=base_reports,
        policy=files,
        shard=options.shard,
    )


def entries(texts: Iterable[str]) -> list[str]:
    """Entries of repeated flags or of one input: one per line or comma-separated, no blanks or repeats."""
    found = (item.strip() for text in texts for item in re.split(r"[,\n]", text))
    return list(dict.fromkeys(item for item in found if item))


def read_report(item: str, entry: str, workspace: Path | None, what: str = "") -> ImportedReport:
    """`TOOL=FILE` (FILE `-`: standard input) read; with a workspace, FILE must stay inside it (`what`)."""
    tool, sep, name = item.partition("=")
    tool, name = tool.strip(), name.strip()
    if not sep or not name or tool not in READERS:
        known = ", ".join(READERS)
        raise UsageError(f"{entry.format(item)}: expected TOOL=FILE with TOOL one of {known}")
    path = str(inside(workspace, name, what)) if workspace is not None else name
    return ImportedReport(tool, name, imported.read_report(path))


def _base_report(item: str, options: RequestOptions) -> ImportedReport:
    names = options.names
    return read_report(item, names.base_report, options.workspace, names.base_reports)


def _base_image(item: str, options: RequestOptions) -> images.ImageSpec:
    """A spec of the base branch's images: a reference as it is; an archive or layout inside the workspace."""
    if options.workspace is not None:
        item = _contained(item, options.workspace, options.names.base_images)
    return images.parse_spec(item, options.root)


def _contained(item: str, workspace: Path, what: str) -> str:
    """The entry with its archive or layout path made absolute, once it is known to stay in the workspace."""
    source, sep, dockerfile = item.partition("=")
    source = source.strip()
    prefix = next((p for p in _PATH_PREFIXES if source.startswith(p)), "")
    if not prefix and (source.startswith(_REMOTE_PREFIXES) or not _exists(workspace, source)):
        return item  # an image reference: the daemon's or a registry's, no file
    path = inside(workspace, source.removeprefix(prefix), what)
    if not prefix:
        prefix = "docker-archive:" if path.is_file() else "oci:"
    return f"{prefix}{path}{sep}{dockerfile}"


def _exists(workspace: Path, source: str) -> bool:
    try:
        return (workspace / source).exists() or Path(source).exists()
    except (OSError, ValueError):
        return False


def _vuln_db_dir(options: RequestOptions) -> Path | None:
    """Trivy's cache directory; in the Action a relative one is in the workspace."""
    if not options.vuln_db_dir:
        return None
    path = Path(options.vuln_db_dir)
    return options.workspace / path if options.workspace is not None and not path.is_absolute() else path
