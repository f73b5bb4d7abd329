"""Writes report files atomically (a reader never sees half a report), with an ordinary file's mode."""

from __future__ import annotations

import os
import secrets
import stat
from pathlib import Path

from mergeguard.core.errors import UsageError

ERRORS = "backslashreplace"  # a lone surrogate (from a non-UTF-8 file name) never stops a report


def write_atomic(path: Path, text: str | bytes) -> None:
    """Write `text` (or bytes, written as they are) to `path`.

    A regular file (or a new one) is replaced through a temporary file in its directory and a rename: a new
    file gets the permissions the umask gives (0644 by default), a replaced one keeps its own. A symlink is
    followed and its target replaced. Anything else, a pipe, `/dev/fd/N` (what `--json >(jq .)` passes), a
    terminal or /dev/null, is written through in place.
    """
    try:
        if _written_through(path):
            with open(path, "wb") as handle:  # noqa: PTH123 - the path is not a regular file
                handle.write(_encoded(text))
            return
        _replace(Path(os.path.realpath(path)), text)
    except OSError as exc:
        raise UsageError(f"cannot write {path}: {exc.strerror or exc}") from None


def _written_through(path: Path) -> bool:
    """Whether `path` names something a rename must not replace: not a regular file, or a descriptor."""
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        return False
    return not stat.S_ISREG(mode) or str(path).startswith(("/dev/", "/proc/"))


def _encoded(text: str | bytes) -> bytes:
    return text if isinstance(text, bytes) else text.encode("utf-8", ERRORS)


def _replace(target: Path, text: str | bytes) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        keep: int | None = stat.S_IMODE(target.stat().st_mode)
    except FileNotFoundError:
        keep = None
    tmp = target.with_name(f".{target.name}.{secrets.token_hex(6)}.tmp")
    # 0o666 and O_EXCL instead of mkstemp's 0600: the kernel applies the umask, as to any new file.
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC
    fd = os.open(tmp, flags, 0o666)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(_encoded(text))
        if keep is not None:
            tmp.chmod(keep)
        tmp.replace(target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
