"""The report formats by name, and the one place report files are written (CLI and Action alike)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from mergeguard.core.contained import output_inside
from mergeguard.core.errors import UsageError
from mergeguard.core.files import ERRORS, write_atomic
from mergeguard.report import json_report, markdown, parallel, sarif
from mergeguard.scan.pipeline import ScanResult


@dataclass(frozen=True, slots=True)
class RenderContext:
    """What a format may add to the result: links to the commit, extra top-level JSON sections."""

    links: markdown.LinkContext | None = None
    sections: Mapping[str, object] = field(default_factory=dict)  # e.g. a shard's `shard` section


class Writer(Protocol):
    """A report format: its name (the CLI flag `--NAME FILE`, the Action input `NAME-file`) and text."""

    @property
    def name(self) -> str: ...

    @property
    def description(self) -> str: ...

    @property
    def apart(self) -> bool:
        """Whether it shares no work with the other formats (a big result's is rendered in a worker)."""

    def render(self, result: ScanResult, context: RenderContext) -> bytes:
        """The file's bytes: built as bytes, a big report is never copied into a string and back."""


@dataclass(frozen=True, slots=True)
class SarifWriter:
    name: str = "sarif"
    description: str = "write SARIF 2.1.0 for code scanning here"
    apart: bool = True

    def render(self, result: ScanResult, context: RenderContext) -> bytes:
        return sarif.sarif_bytes(sarif.build_sarif(result))


@dataclass(frozen=True, slots=True)
class JsonWriter:
    name: str = "json"
    description: str = "write the JSON report here"
    apart: bool = False  # shares the fix plan with Markdown

    def render(self, result: ScanResult, context: RenderContext) -> bytes:
        return json_report.encode(result, context.sections)


@dataclass(frozen=True, slots=True)
class MarkdownWriter:
    name: str = "markdown"
    description: str = "write the Markdown summary here"
    apart: bool = False

    def render(self, result: ScanResult, context: RenderContext) -> bytes:
        return markdown.render_summary(result, links=context.links).encode("utf-8", ERRORS)


WRITERS: Mapping[str, Writer] = {w.name: w for w in (SarifWriter(), JsonWriter(), MarkdownWriter())}
"""Every format, in the order the CLI lists its flags. A new format: one module and one entry here."""


@dataclass(frozen=True, slots=True)
class Output:
    """A report file asked for: its format, the path as given, and the option that named it (for refusals)."""

    format: str
    name: str
    option: str  # "--sarif", "input sarif-file"


def render(fmt: str, result: ScanResult, context: RenderContext | None = None) -> str:
    """The text of one format (UsageError for a format no writer has)."""
    return render_bytes(fmt, result, context).decode("utf-8")


def render_bytes(fmt: str, result: ScanResult, context: RenderContext | None = None) -> bytes:
    """`render` as the bytes a file of that format holds."""
    writer = WRITERS.get(fmt)
    if writer is None:
        raise UsageError(f"report format {fmt!r}: not one of {', '.join(WRITERS)}")
    return writer.render(result, context or RenderContext())


def targets(outputs: Iterable[Output], workspace: Path | None = None) -> dict[Output, Path]:
    """Where each output goes; with a workspace, inside it and not in `.git` (checked before any scan)."""
    found: dict[Output, Path] = {}
    for output in outputs:
        if output.format not in WRITERS:
            raise UsageError(f"{output.option}: unknown report format {output.format!r}")
        path = output_inside(workspace, output.name, output.option) if workspace else Path(output.name)
        found[output] = path
    return found


def write(
    result: ScanResult, where: Mapping[Output, Path], context: RenderContext | None = None
) -> dict[str, bytes]:
    """Each output rendered once (side by side when big) and written atomically; the bytes by format."""
    formats = list(dict.fromkeys(output.format for output in where))
    apart = [fmt for fmt in formats if fmt in WRITERS and WRITERS[fmt].apart]
    texts = parallel.render_all(
        formats, apart, lambda fmt: render_bytes(fmt, result, context), len(result.decision.assessed)
    )
    for output, path in where.items():
        write_atomic(path, texts[output.format])
    return texts
