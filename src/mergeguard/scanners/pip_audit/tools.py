"""pip-audit's declaration: the scanner on requirements files, and its JSON report read by `convert`."""

from __future__ import annotations

from mergeguard.scanners.pip_audit.report import PipAuditReport
from mergeguard.scanners.pip_audit.scanner import PipAuditScanner
from mergeguard.scanners.tool import Tool

# Asks PyPI once per dependency (seconds): started right after Checkov. The scanner reads its
# report as `PipAuditReport` does, and adds what only a live run knows (skipped requirements).
TOOLS = (
    Tool(
        PipAuditScanner.name,
        scanner=PipAuditScanner(),
        reader=PipAuditReport(),
        start_order=20,
        shard_weight=3,
        # A requirement neither dependency scanner could audit: one problem per line.
        line_concepts={"unpinned-requirement": "unpinned-requirement"},
    ),
)
