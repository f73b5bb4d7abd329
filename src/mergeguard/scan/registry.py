"""The one registry of tools, found in their own modules: scanners for `scan`, readers for reports."""

from __future__ import annotations

import re
from collections.abc import Mapping
from types import MappingProxyType

from mergeguard.core.errors import UsageError
from mergeguard.scanners.base import Scanner
from mergeguard.scanners.sarif.reader import SarifReport
from mergeguard.scanners.tool import ReportReader, Tool, declared

# Every module of `mergeguard.scanners` that defines `TOOLS` declares its tools there; adding a tool
# is adding its module. Slowest first (`Tool.start_order`): scanners start in this order, as many at
# once as there are CPUs, so the one on the critical path (Checkov's start-up alone takes seconds)
# must not wait for a free worker.
TOOLS: Mapping[str, Tool] = MappingProxyType({tool.name: tool for tool in declared()})
REGISTRY: Mapping[str, Scanner] = MappingProxyType(
    {name: tool.scanner for name, tool in TOOLS.items() if tool.scanner is not None}
)
# The SARIF reader reads every tool's SARIF: it is told each declared tool's kind of result.
_SARIF_KINDS = {name: tool.sarif_kind for name, tool in TOOLS.items() if tool.sarif_kind is not None}
_SARIF_IMAGES = {name: tool.sarif_image_rules for name, tool in TOOLS.items() if tool.sarif_image_rules}
READERS: Mapping[str, ReportReader] = MappingProxyType(
    {
        name: SarifReport(_SARIF_KINDS, _SARIF_IMAGES)
        if isinstance(tool.reader, SarifReport)
        else tool.reader
        for name, tool in TOOLS.items()
        if tool.reader is not None
    }
)


def homepage(tool: str) -> str | None:
    """The tool's web page, for SARIF's `informationUri` and rules without their own help page."""
    declared_tool = TOOLS.get(tool)
    return declared_tool.homepage if declared_tool is not None else None


def config_files() -> tuple[str, ...]:
    """The names of every tool's own config and suppression files, in the registry's order."""
    return tuple(dict.fromkeys(f.name for tool in TOOLS.values() for f in tool.config_files))


def select(text: str | None, source: str) -> tuple[str, ...] | None:
    """Scanner names, in any letter case, separated by commas or white space (`none`: no scanner; empty:
    the config's).

    `source` names where the list came from (`--scanners`, `input scanners`) in the error.
    """
    if text is None or not text.strip():
        return None
    names = tuple(n.lower() for n in re.split(r"[,\s]+", text) if n)
    if names == ("none",):
        return ()
    unknown = [n for n in names if n not in REGISTRY]
    if unknown:
        raise UsageError(f"{source}: unknown {', '.join(unknown)} (known: {', '.join(REGISTRY)}, none)")
    return names
