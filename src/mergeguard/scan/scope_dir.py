"""Lays out the files in scope in a scratch directory, so directory-scanning tools see only them."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

from mergeguard.core.basepolicy import PolicyFiles, read_regular
from mergeguard.core.changes import ChangeSet
from mergeguard.scan.registry import TOOLS, config_files
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
_MAX_TEXT_BYTES = 10_000_000


@contextmanager
def scan_view(changes: ChangeSet, policy: PolicyFiles | None = None) -> Iterator[Path]:
    """A temporary directory holding the in-scope files (hard links, copies across devices).

    The scanners' own config files are the policy's copies (the merge-base's in PR mode: the
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
        yield view


def _policy_copy(path: Path, policy: PolicyFiles | None) -> bytes | None:
    return policy.read(path) if policy is not None else read_regular(path)


def _keep_base_settings(declared: ConfigFile, dest: Path, source: Path, policy: PolicyFiles) -> None:
    """The change's manifest is scanned as it is, but the tool gets the base's settings from it.

    When the two cannot be combined exactly the change's copy stays, and the policy-change report
    names the edit to the tool's settings (policydiff).
    """
    change, base = read_regular(source), policy.read(source)
    settings, combine = declared.settings, declared.base_settings
    if change is None or combine is None or (settings is not None and settings(change) == settings(base)):
        return
    combined = combine(change, base)
    if combined is not None:
        dest.unlink()  # a hard link to the work tree's file: never written through
        dest.write_bytes(combined)


def _write_config(view: Path, name: str, data: bytes | None) -> None:
    cleaned = sanitize(name, data) if data else b""
    if cleaned:  # b"": left out, the scanner runs with its defaults
        (view / name).write_bytes(cleaned)


def _populate(root: Path, view: Path, paths: Iterable[str]) -> None:
    for path in dict.fromkeys(paths):
        source, dest = root / path, view / path
        dest.parent.mkdir(parents=True, exist_ok=True)
        text = _text_with_nul(source)
        if text is not None:
            dest.write_bytes(text)
            continue
        try:
            os.link(source, dest)
        except OSError:
            shutil.copyfile(source, dest)


def _text_with_nul(path: Path) -> bytes | None:
    """A text file's bytes with its NUL bytes as spaces; None for any other file.

    The secret scanners skip a file with a NUL byte as binary (measured: detect-secrets, Gitleaks
    and Trivy all do), so one NUL byte would hide a whole file of secrets. Lines and columns stay.
    """
    try:
        with path.open("rb") as handle:
            if b"\0" not in handle.read(_SNIFF_BYTES) or path.stat().st_size > _MAX_TEXT_BYTES:
                return None
            handle.seek(0)
            data = handle.read().replace(b"\0", b" ")
    except OSError:
        return None
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return None  # a real binary (an image, an archive): laid out as it is
    return data
