"""The report formats by name, and the one place report files are written (CLI and Action alike)."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from mergeguard.core import gcpause
from mergeguard.core.contained import output_inside
from mergeguard.core.errors import UsageError
from mergeguard.core.files import ERRORS, write_atomic
from mergeguard.report import json_report, parallel
from mergeguard.scan.pipeline import ScanResult

if TYPE_CHECKING:
    from mergeguard.report import markdown


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
        from mergeguard.report import sarif  # noqa: PLC0415 - sarif-om loads only for SARIF (see `WRITERS`)

        document = sarif.build_sarif(result)
        gcpause.leave_to_exit(document)  # garbage once written out: freed with the process
        return sarif.sarif_bytes(document)


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
        from mergeguard.report import markdown  # noqa: PLC0415 - Jinja loads only for Markdown (see `WRITERS`)

        return markdown.render_summary(result, links=context.links).encode("utf-8", ERRORS)


WRITERS: Mapping[str, Writer] = {w.name: w for w in (SarifWriter(), JsonWriter(), MarkdownWriter())}
"""Every format, in the order the CLI lists its flags. A new format: one module and one entry here.

A format's module is imported when the format is first rendered: sarif-om's classes and Jinja take a
fifth of the command's start-up, and `convert` to SARIF never needs Jinja, nor does the process that
writes JSON and Markdown beside a SARIF child (`parallel`) need sarif-om."""


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
    """Each output rendered once (side by side when big) and written atomically, each format's files
    while the next format renders; the bytes by format."""
    formats = list(dict.fromkeys(output.format for output in where))
    apart = [fmt for fmt in formats if fmt in WRITERS and WRITERS[fmt].apart]
    with _Writing(where) as writing:
        return parallel.render_all(
            formats,
            apart,
            lambda fmt: render_bytes(fmt, result, context),
            len(result.decision.assessed),
            ready=writing.start,
        )


class _Writing:
    """Each format's files written by a thread of their own, started as soon as the text is rendered.

    Writing is the kernel copying the bytes, without the GIL: a 100,000-finding JSON report's 125 MB
    took a quarter of a second, now spent while the Markdown renders. Leaving the block waits for every
    write, and then raises the error of the first output (in `where`'s order) that could not be written.
    A file two formats were asked to write is written by the later one, as it would be one after another.
    """

    def __init__(self, where: Mapping[Output, Path]) -> None:
        self._where = where
        self._threads: dict[str, tuple[threading.Thread, set[str]]] = {}
        self._errors: dict[str, Exception] = {}

    def __enter__(self) -> _Writing:
        return self

    def __exit__(self, failure: type[BaseException] | None, *_: object) -> None:
        for thread, _names in self._threads.values():
            thread.join()
        formats = [output.format for output in self._where]
        if failure is None and (failed := sorted(self._errors, key=formats.index)):
            raise self._errors[failed[0]]

    def start(self, fmt: str, data: bytes) -> None:
        paths = [path for output, path in self._where.items() if output.format == fmt]
        names = {os.path.realpath(path) for path in paths}
        for thread, others in self._threads.values():
            if names & others:  # the same file: written after the earlier format's, never beside it
                thread.join()
        thread = threading.Thread(target=self._write, args=(fmt, paths, data), name=f"write {fmt}")
        self._threads[fmt] = (thread, names)
        thread.start()

    def _write(self, fmt: str, paths: list[Path], data: bytes) -> None:
        try:
            for path in paths:
                write_atomic(path, data)
        except Exception as exc:  # raised again by the thread that waits (`__exit__`)
            self._errors[fmt] = exc
