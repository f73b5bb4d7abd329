"""The base branch's images and reports for `mergeguard action` (inputs `base-images`, `base-reports`)."""

from __future__ import annotations

import re
from pathlib import Path

from mergeguard import images, parsers, pipeline
from mergeguard.action_context import ActionInputs
from mergeguard.contained import inside
from mergeguard.errors import UsageError

_PATH_PREFIXES = ("docker-archive:", "oci:")
_REMOTE_PREFIXES = ("docker-daemon:", "docker://")


def read(
    inputs: ActionInputs, workspace: Path, root: Path, *, compared: bool
) -> tuple[tuple[images.ImageSpec, ...], tuple[pipeline.ImportedReport, ...]]:
    """The base branch's images and reports the inputs name; refused outside a comparison with a base."""
    specs = base_images(inputs.base_images, workspace, root)
    reports = base_reports(inputs.base_reports, workspace)
    if (specs or reports) and not compared:
        raise UsageError(
            "inputs base-images and base-reports compare with the base branch: they need `scope: changed`"
            " on a pull request"
        )
    return specs, reports


def items(text: str) -> list[str]:
    """The input's entries: one per line or comma-separated, blanks and repeats dropped."""
    return list(dict.fromkeys(item.strip() for item in re.split(r"[,\n]", text) if item.strip()))


def base_images(text: str, workspace: Path, root: Path) -> tuple[images.ImageSpec, ...]:
    """Specs of `base-images`: references as they are; archives and layouts only inside the workspace."""
    return tuple(images.parse_spec(_contained(item, workspace), root) for item in items(text))


def _contained(item: str, workspace: Path) -> str:
    """The entry with its archive or layout path made absolute, once it is known to stay in the workspace."""
    source, sep, dockerfile = item.partition("=")
    source = source.strip()
    prefix = next((p for p in _PATH_PREFIXES if source.startswith(p)), "")
    if not prefix and (source.startswith(_REMOTE_PREFIXES) or not _exists(workspace, source)):
        return item  # an image reference: the daemon's or a registry's, no file
    path = inside(workspace, source.removeprefix(prefix), "input base-images")
    if not prefix:
        prefix = "docker-archive:" if path.is_file() else "oci:"
    return f"{prefix}{path}{sep}{dockerfile}"


def _exists(workspace: Path, source: str) -> bool:
    try:
        return (workspace / source).exists() or Path(source).exists()
    except (OSError, ValueError):
        return False


def base_reports(text: str, workspace: Path) -> tuple[pipeline.ImportedReport, ...]:
    """`TOOL=FILE` entries of `base-reports`, each file inside the workspace, read as the CLI reads them."""
    reports = []
    for item in items(text):
        tool, sep, name = item.partition("=")
        tool, name = tool.strip(), name.strip()
        if not sep or not name or tool not in parsers.PARSERS:
            known = ", ".join(parsers.PARSERS)
            raise UsageError(f"input base-reports: {item!r}: expected TOOL=FILE with TOOL one of {known}")
        path = inside(workspace, name, "input base-reports")
        reports.append(pipeline.ImportedReport(tool, name, parsers.read_report(str(path))))
    return tuple(reports)
