"""Paths named by inputs or by a repository's config, held inside one directory and to regular files."""

from __future__ import annotations

import os
import stat
from pathlib import Path

from mergeguard.core.errors import UsageError

TEMPLATE_LIMIT = 1024 * 1024  # bytes: a comment template is a page of Jinja, never a megabyte


def inside(root: Path, name: str, what: str) -> Path:
    """`name` (relative to `root`, or absolute), every symlink resolved; refused unless it stays in `root`.

    `what` names the setting in the one-line refusal, e.g. "input sarif-file".
    """
    if not name.strip() or "\0" in name:
        raise UsageError(f"{what}: {name!r} is not a path")
    try:
        base = root.resolve()
        resolved = (base / name).resolve(strict=False)
    except (OSError, RuntimeError) as exc:  # RuntimeError: a symlink loop
        raise UsageError(f"{what}: {name!r} cannot be resolved: {_reason(exc)}") from None
    if not resolved.is_relative_to(base):
        raise UsageError(
            f"{what}: {name!r} resolves to {str(resolved)!r}, outside {str(base)!r}: refused "
            "(symlinks are followed before the check)"
        )
    return resolved


def output_inside(root: Path, name: str, what: str) -> Path:
    """Where to write `name`: inside `root` but not in its `.git`, a regular file (or none yet) once resolved.

    A PR can commit a symlink where a report goes; within the workspace it only reaches files the PR
    could change anyway, except git's own (`.git/config`), which are refused.
    """
    path = inside(root, name, what)
    if ".git" in path.relative_to(root.resolve()).parts:
        raise UsageError(f"{what}: {name!r} resolves into the repository's .git directory: refused")
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        return path
    except OSError as exc:
        raise UsageError(f"{what}: {name!r} cannot be written: {_reason(exc)}") from None
    if not stat.S_ISREG(mode):
        raise UsageError(f"{what}: {name!r} is not a regular file: refused")
    return path


def read_inside(root: Path, name: str, what: str, limit: int = TEMPLATE_LIMIT) -> str:
    """The UTF-8 text of `name`, a regular file inside `root` of at most `limit` bytes; else refused."""
    path = inside(root, name, what)
    try:
        # O_NONBLOCK: a FIFO opens at once (and is refused below) instead of hanging the run;
        # O_NOFOLLOW: a symlink put in place after `inside` looked is refused, not followed.
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOFOLLOW | os.O_CLOEXEC)
    except OSError as exc:
        raise UsageError(f"{what}: {name!r} cannot be read: {_reason(exc)}") from None
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        raise UsageError(f"{what}: {name!r} is not a regular file: refused")
    with os.fdopen(fd, "rb") as handle:
        data = handle.read(limit + 1)
    return text_of(data, name, what, limit)


def text_of(data: bytes, name: str, what: str, limit: int = TEMPLATE_LIMIT) -> str:
    """`data` as UTF-8 text of at most `limit` bytes; else refused, naming `what` and `name`."""
    if len(data) > limit:
        raise UsageError(f"{what}: {name!r} is larger than {limit} bytes: refused")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise UsageError(f"{what}: {name!r} is not UTF-8 (byte {exc.start})") from None


def _reason(exc: BaseException) -> str:
    return (exc.strerror if isinstance(exc, OSError) else None) or type(exc).__name__
