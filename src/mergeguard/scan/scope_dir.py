"""Lays out the files in scope in a scratch directory, so directory-scanning tools see only them."""

from __future__ import annotations

import codecs
import os
import re
import shutil
import tempfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

from mergeguard.core import chartview, links
from mergeguard.core.basepolicy import PolicyFiles, read_regular
from mergeguard.core.changes import ChangedFile, ChangeSet, Mode
from mergeguard.core.errors import ScannerError
from mergeguard.scan import defaults, namedvalues, reached, suppressions
from mergeguard.scan.registry import TOOLS, config_files
from mergeguard.scanners.base import base_settings_path, rewritten_copies
from mergeguard.scanners.tool import ConfigFile
from mergeguard.scanners.toolconfig import sanitize

# Python projects' files that tools also read settings from. They are dependency manifests too:
# when the change is in scope, its copy is what gets scanned.
_MANIFESTS = ("pyproject.toml", "setup.cfg")
# The scanners' own configuration and suppression files (each tool declares its own): always laid
# out when tracked at the root, so native suppressions keep working even when the change did not
# touch them.
TOOL_CONFIG_FILES = tuple(dict.fromkeys((*config_files(), *_MANIFESTS)))
# Manifests whose change's copy is scanned, with a tool's settings in them put back to the base's.
_BASE_SETTINGS = tuple(f for tool in TOOLS.values() for f in tool.config_files if f.base_settings)
_SNIFF_BYTES = 8000  # as far as git looks for a NUL byte to call a file binary
_MAX_TEXT_BYTES = 10_000_000  # a UTF-16 file re-encoded in memory
_MAX_NUL_TEXT_BYTES = 256_000_000  # text with NUL bytes, copied in chunks
_CHUNK_BYTES = 1 << 20
# PEP 263's `# -*- coding: latin-1 -*-` (on the first two lines) and `<?xml … encoding="…"?>`.
_DECLARED_ENCODING = re.compile(
    rb"\A(?:[^\n]*\n)?[ \t\f]*#.*?coding[:=][ \t]*(?P<name>[-\w.]+)"
    rb"|\A(?:\xef\xbb\xbf)?<\?xml[^>]*encoding=[\"'](?P<xml>[-\w.]+)"
)
_DECLARATION_BYTES = 1024


@contextmanager
def scan_view(changes: ChangeSet, policy: PolicyFiles | None = None) -> Iterator[Path]:
    """A temporary directory holding the in-scope files (hard links, copies across devices).

    The scanners' own config files are the policy's copies (the base's in PR mode: the
    change cannot configure the scanners that judge it), cut down by `toolconfig.sanitize`.
    """
    with tempfile.TemporaryDirectory(prefix="mergeguard-view-") as tmp:
        view = Path(tmp) / "src"
        view.mkdir()
        in_scope = {f.path for f in changes.files}
        configs = [
            name
            for name in TOOL_CONFIG_FILES
            if not changes.is_excluded(name) and not (name in _MANIFESTS and name in in_scope)
        ]
        _populate(changes.root, view, [f.path for f in changes.files if f.path not in configs])
        for name in configs:
            _write_config(view, name, _policy_copy(changes.root / name, policy))
        for declared in _BASE_SETTINGS:
            if policy is not None and policy.from_base and declared.name in in_scope:
                _keep_base_settings(declared, view / declared.name, changes.root / declared.name, policy)
        if changes.mode is Mode.CHANGED:
            _blank_inline_suppressions(view, [f for f in changes.files if f.lines and f.path not in configs])
        # In PR mode Gitleaks reads the commits, not the view: what was rewritten is laid out again for it.
        again = rewritten_copies(view) if changes.commit_range is not None else None
        _write_out_values(view, [f.path for f in changes.files if _writes_out(f.path)], again)
        for chart in changes.charts:
            chartview.renderable(view, chart, chartview.tree_files(changes.root))
        yield view


def _blank_inline_suppressions(view: Path, files: Iterable[ChangedFile]) -> None:
    """The change's own inline suppressions (`# nosec` on a line it adds) blanked in the view."""
    for changed in files:
        copy = view / changed.path
        data = read_regular(copy)
        if data is None or len(data) > _MAX_TEXT_BYTES:
            continue
        blanked = suppressions.blanked(data, changed.lines or ())
        blanked = reached.blanked(changed, blanked or data) or blanked  # a `# nosec` it wrapped a call around
        if blanked is not None:
            copy.unlink()  # a hard link to the work tree's file: never written through
            copy.write_bytes(blanked)


def _writes_out(path: str) -> bool:
    return defaults.applies(path) or namedvalues.applies(path)


def _write_out_values(view: Path, paths: Iterable[str], again: Path | None) -> None:
    """Compose and `.env` files with their interpolation defaults written out (`scan.defaults`), and
    manifests with each credential's name beside its value (`scan.namedvalues`); each file rewritten
    is also laid out under `again` when given."""
    for path in paths:
        copy = view / path
        data = read_regular(copy)
        if data is None or len(data) > _MAX_TEXT_BYTES:
            continue
        try:
            text = _written_out(path, data.decode("utf-8"))
        except UnicodeDecodeError:
            continue
        if text is not None:
            copy.unlink()  # a hard link to the work tree's file: never written through
            copy.write_bytes(text.encode("utf-8"))
            if again is not None:
                _populate(view, again, [path])


def _written_out(path: str, text: str) -> str | None:
    written = text
    if defaults.applies(path) and "${" in written:
        written = defaults.written_out(written) or written
    if namedvalues.applies(path):
        written = namedvalues.written_out(written, path) or written
    return written if written != text else None


def _policy_copy(path: Path, policy: PolicyFiles | None) -> bytes | None:
    return policy.read(path) if policy is not None else read_regular(path)


def _keep_base_settings(declared: ConfigFile, dest: Path, source: Path, policy: PolicyFiles) -> None:
    """The change's manifest is scanned as it is, but the tool gets the base's settings from it.

    When the two cannot be combined exactly (the change writes the settings as an inline table, or
    its TOML does not parse), the change's copy stays for the other scanners and the base's copy is
    laid beside the view (`settings_copy`), where the tool reads its settings instead.
    """
    change, base = read_regular(source), policy.read(source)
    settings, combine = declared.settings, declared.base_settings
    if change is None or combine is None or (settings is not None and settings(change) == settings(base)):
        return
    combined = combine(change, base)
    if combined is not None:
        dest.unlink()  # a hard link to the work tree's file: never written through
        dest.write_bytes(combined)
        return
    beside = base_settings_path(dest.parent, declared.name)  # a manifest at the view's root
    beside.parent.mkdir(exist_ok=True)
    beside.write_bytes(base or b"")


def _write_config(view: Path, name: str, data: bytes | None) -> None:
    cleaned = sanitize(name, data) if data else b""
    if cleaned:  # b"": left out, the scanner runs with its defaults
        (view / name).write_bytes(cleaned)


def _populate(root: Path, view: Path, paths: Iterable[str]) -> None:
    """Each file into the view; a file that cannot be (a name past the system's path limit once
    under the view's directory, a full disk) fails the scan naming it: no scanner would see it."""
    for path in dict.fromkeys(paths):
        source = root / path
        try:
            _place(links.target(root, source) or source, view / path)  # a link: the file it leads to
        except OSError as exc:
            raise ScannerError(f"{path}: could not be laid out for the scanners: {exc.strerror}") from None
        except RecursionError:  # pathlib makes parent directories recursively
            raise ScannerError(
                f"{path[:200]}…: could not be laid out for the scanners: nested too deeply"
            ) from None


def _place(source: Path, dest: Path) -> None:
    dest.parent.mkdir(parents=True, exist_ok=True)
    if _lay_out_text(source, dest):
        return
    try:
        os.link(source, dest)
    except OSError:
        shutil.copyfile(source, dest)


def _lay_out_text(source: Path, dest: Path) -> bool:
    """`source` written to `dest` as text the secret scanners read, when it is text they would skip
    as binary (measured: detect-secrets, Gitleaks and Trivy skip a file with a NUL byte): UTF-16 (a
    byte order mark, or every other byte NUL, as Windows tools write it) re-encoded as UTF-8, and
    the NUL bytes of other text as spaces. Lines stay, and columns too for the NULs. False: nothing
    written (no NUL in its first 8,000 bytes, too big, or not text: an image, an archive).
    """
    try:
        with source.open("rb") as handle:
            head = handle.read(_SNIFF_BYTES)
        size = source.stat().st_size
    except OSError:
        return False
    if b"\0" not in head:
        return _legacy_text(source, dest, head, size)
    if (encoding := _utf16(head)) is not None and size <= _MAX_TEXT_BYTES:
        try:
            data = source.read_bytes()
            if not _ASCII_RUN.search(data):  # UTF-16 throughout, not only in its head
                dest.write_bytes(data.decode(encoding).encode("utf-8", "surrogatepass"))
                return True
        except (UnicodeError, OSError):
            dest.unlink(missing_ok=True)
    return size <= _MAX_NUL_TEXT_BYTES and _spaces_for_nul(source, dest)


def _legacy_text(source: Path, dest: Path, head: bytes, size: int) -> bool:
    """Text in an 8-bit encoding (Latin-1 or Windows-1252: Java's `.properties`, older sources)
    written as UTF-8: detect-secrets skips a file that is not UTF-8 without a word (measured: a
    password in a Latin-1 `.properties` went unseen by it). A file that names its encoding (a Python
    coding cookie, an XML declaration) is decoded by that name, and the name becomes `utf-8`, so its
    readers (Python, Bandit) decode the copy as they did the file."""
    if size > _MAX_TEXT_BYTES or (size <= len(head) and head.isascii()):
        return False
    try:
        data = source.read_bytes()
        data.decode("utf-8")
        return False  # UTF-8 already (ASCII too)
    except UnicodeDecodeError:
        pass
    except OSError:
        return False
    declared = _DECLARED_ENCODING.search(data[:_DECLARATION_BYTES])
    if declared and not _ascii_compatible(
        (declared.group("name") or declared.group("xml")).decode("ascii", "replace")
    ):
        declared = None  # EBCDIC (`cp037`) or UTF-16 would turn the file's ASCII into other text
    name = (declared.group("name") or declared.group("xml")) if declared else b"cp1252"
    text = _decoded(data, name.decode("ascii", "replace"))
    if declared and data[: declared.end()].isascii():  # the declaration's characters are its bytes
        group = "name" if declared.group("name") else "xml"
        text = text[: declared.start(group)] + "utf-8" + text[declared.end(group) :]
    try:
        dest.write_bytes(text.encode("utf-8", "surrogatepass"))
    except OSError:
        dest.unlink(missing_ok=True)
        return False
    return True


def _ascii_compatible(encoding: str) -> bool:
    """Whether `encoding` reads ASCII bytes as ASCII (Latin-1, cp1252, Shift JIS, …; not EBCDIC)."""
    try:
        return _ASCII.decode(encoding) == _ASCII.decode("ascii")
    except (LookupError, UnicodeError):
        return False


_ASCII = bytes(range(128))
# Printable ASCII with no NUL between: never in UTF-16 (ASCII there is every other byte NUL, and
# 24 bytes of other text all in this range are as good as impossible), so a file with such a run
# is not UTF-16 throughout, however its first 8,000 bytes look.
_ASCII_RUN = re.compile(rb"[\t\n\r\x20-\x7e]{24,}")


def _decoded(data: bytes, encoding: str) -> str:
    """`data` in `encoding`, else Windows-1252, else Latin-1 (which reads any bytes)."""
    for codec in (encoding, "cp1252"):
        try:
            return data.decode(codec)
        except (LookupError, UnicodeDecodeError):
            continue
    return data.decode("latin-1")


def _utf16(head: bytes) -> str | None:
    """The UTF-16 codec `head` is written in, if it is: by its byte order mark, else by NULs."""
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "utf-16"
    even, odd = head[0::2], head[1::2]
    if odd and odd.count(0) >= 0.9 * len(odd) and even.count(0) == 0:
        return "utf-16-le"
    if even and even.count(0) >= 0.9 * len(even) and odd.count(0) == 0:
        return "utf-16-be"
    return None


def _spaces_for_nul(source: Path, dest: Path) -> bool:
    """`source` copied to `dest` in chunks with each NUL a space; False (nothing left) when it is not
    UTF-8 text."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        with source.open("rb") as src, dest.open("wb") as out:
            while chunk := src.read(_CHUNK_BYTES):
                chunk = chunk.replace(b"\0", b" ")
                decoder.decode(chunk)
                out.write(chunk)
            decoder.decode(b"", final=True)
    except (UnicodeDecodeError, OSError):
        dest.unlink(missing_ok=True)
        return False
    return True
