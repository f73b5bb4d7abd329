"""The SARIF reader's declaration: any tool's SARIF log, read from reports only."""

from __future__ import annotations

from mergeguard.scanners.sarif.reader import SarifReport
from mergeguard.scanners.sarif.results import NAME
from mergeguard.scanners.tool import Tool

# Any tool's SARIF log: read from reports only, listed last (the registry gives it the declared kinds).
TOOLS = (Tool(NAME, reader=SarifReport(), start_order=990),)
