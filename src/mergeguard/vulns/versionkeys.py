"""Version orders that are sort keys: the generic fallback, PEP 440, dpkg and Semantic Versioning."""

from __future__ import annotations

import re
from typing import Any

from debian.debian_support import NativeVersion
from packaging.version import Version


def generic_key(version: str) -> tuple[tuple[int, int, str], ...]:
    """The fallback order: runs of digits compare as numbers, runs of letters alphabetically (any
    case), other characters only separate; a number sorts after a word at the same place; where one
    version ends, the other is newer if it goes on with a number ("1.2" < "1.2.1") and older if it goes
    on with a word, as pre-releases do ("1.2-rc1" < "1.2"). A leading "v" before a digit is dropped."""
    text = re.sub(r"^v(?=\d)", "", version.strip().lower())
    parts = [(3, int(p), "") if p.isdigit() else (1, 0, p) for p in re.findall(r"[0-9]+|[a-z]+", text)]
    return (*parts, (2, 0, ""))


def pep440_key(version: str) -> Version:
    return Version(version)  # InvalidVersion is a ValueError


def dpkg_key(version: str) -> tuple[int, tuple[Any, ...], tuple[Any, ...]]:
    """dpkg's order as a tuple (compared in C, where python-debian's objects compare in Python)."""
    if not version.strip():
        raise ValueError("empty version")
    parsed = NativeVersion(version)  # ValueError when not a Debian version
    epoch = int(parsed.epoch or 0)
    return epoch, _dpkg_parts(parsed.upstream_version or ""), _dpkg_parts(parsed.debian_revision or "")


_DPKG_PART = re.compile(r"([^0-9]*)([0-9]*)")


def _dpkg_parts(text: str) -> tuple[Any, ...]:
    """dpkg's verrevcmp as a key: runs of non-digits (each character by dpkg's order, then 0 for the
    end: `~` below the end, letters below other marks) alternating with runs of digits as numbers.
    The first pair is always there (only it can be empty and 0); later empty pairs compare as nothing, so
    they are dropped at the end, and a final (0,) stands for "nothing more" against a longer version."""
    parts: list[Any] = []
    for other, digits in _DPKG_PART.findall(text):
        if other or digits or not parts:  # the first pair always (only it can be empty and 0)
            parts += [(*(_dpkg_order(c) for c in other), 0), int(digits or 0)]
    while len(parts) > 2 and parts[-2:] == [(0,), 0]:
        del parts[-2:]
    return (*parts, (0,))


def _dpkg_order(char: str) -> int:
    if char.isascii() and char.isalpha():
        return ord(char)
    return -1 if char == "~" else ord(char) + 256


_SEMVER = re.compile(r"v?(\d+)\.(\d+)\.(\d+)(?:-([0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*))?(?:\+[0-9A-Za-z.-]+)?")


def semver_key(version: str) -> tuple[int, int, int, tuple[Any, ...]]:
    """SemVer 2.0.0 precedence: a pre-release sorts before its release, its identifiers one by one
    (numbers before words), build metadata ignored."""
    match = _SEMVER.fullmatch(version.strip())
    if match is None:
        raise ValueError(f"not a semantic version: {version!r}")
    major, minor, patch, pre = match.groups()
    ids = tuple((0, int(p), "") if p.isdigit() else (1, 0, p) for p in (pre or "").split(".") if pre)
    return int(major), int(minor), int(patch), (0, ids) if pre else (1, ())
