"""Package ecosystems: their canonical names, whether they are an operating system's, and version order."""

from __future__ import annotations

import enum
import functools
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from debian.debian_support import NativeVersion
from packaging.version import Version


class Ordering(enum.StrEnum):
    """Whose rules order an ecosystem's versions. GENERIC is a guess, used where no rule is known."""

    PEP440 = "pep440"  # Python (packaging.version)
    DPKG = "dpkg"  # Debian, Ubuntu (python-debian, checked against dpkg --compare-versions)
    APK = "apk"  # Alpine, Wolfi (apk-tools' version.c)
    RPM = "rpm"  # Red Hat and the other RPM distributions (rpmvercmp with epoch and release)
    SEMVER = "semver"  # npm, Go, Cargo (Semantic Versioning 2.0.0, an optional leading "v")
    GENERIC = "generic"  # anything else: numbers as numbers, words alphabetically (see generic_key)


@dataclass(frozen=True, slots=True)
class Ecosystem:
    """An ecosystem as mergeguard knows it: its canonical name, version order, and whether its packages
    come from an operating system's package database (in an image: the base image's)."""

    name: str
    ordering: Ordering
    os: bool = False


_KNOWN: dict[str, tuple[Ordering, bool, tuple[str, ...]]] = {
    # canonical name: (ordering, OS packages, the names Trivy's `Type`, Grype's purl type or
    # `artifact.type`, pip-audit and Safety give it)
    "pypi": (Ordering.PEP440, False, ("pip", "pipenv", "poetry", "uv", "pdm", "python", "python-pkg")),
    "npm": (Ordering.SEMVER, False, ("yarn", "pnpm", "node-pkg", "bun")),
    "go": (Ordering.SEMVER, False, ("gomod", "gobinary", "golang", "go-module")),
    "cargo": (Ordering.SEMVER, False, ("rust-binary", "rust-crate", "crates.io")),
    "maven": (Ordering.GENERIC, False, ("jar", "pom", "gradle", "sbt", "java-archive")),
    "gem": (Ordering.GENERIC, False, ("gemspec", "bundler", "rubygems")),
    "composer": (Ordering.GENERIC, False, ("composer-vendor", "php-composer", "packagist")),
    "nuget": (Ordering.GENERIC, False, ("dotnet-core", "packages-props", "dotnet-deps")),
    **{name: (Ordering.DPKG, True, ()) for name in ("debian", "ubuntu", "deb")},
    **{name: (Ordering.APK, True, ()) for name in ("alpine", "wolfi", "chainguard", "apk")},
    **{name: (Ordering.RPM, True, ()) for name in ("rpm", "redhat", "centos", "rocky", "amazon", "oracle")},
    **{name: (Ordering.RPM, True, ()) for name in ("fedora", "photon", "cbl-mariner", "azurelinux")},
    "alma": (Ordering.RPM, True, ("almalinux",)),
    "opensuse": (Ordering.RPM, True, ("opensuse.leap", "opensuse.tumbleweed")),
    "sles": (Ordering.RPM, True, ("suse linux enterprise server", "suse linux enterprise micro")),
    # Operating systems whose version rules mergeguard does not implement.
    **{name: (Ordering.GENERIC, True, ()) for name in ("alpm", "archlinux", "bottlerocket", "echo")},
    **{name: (Ordering.GENERIC, True, ()) for name in ("minimos", "portage", "linux-kernel")},
}
_ALIASES = {alias: name for name, (_, _, aliases) in _KNOWN.items() for alias in (name, *aliases)}


@functools.lru_cache(maxsize=1024)  # asked once per finding by the fix plan, of a few names
def ecosystem(reported: str | None) -> Ecosystem:
    """The ecosystem a tool named (any case); an unknown one keeps its name and gets the generic order."""
    raw = " ".join((reported or "").lower().split()) or "unknown"
    name = _ALIASES.get(raw, raw)
    ordering, os_packages, _ = _KNOWN.get(name, (Ordering.GENERIC, False, ()))
    return Ecosystem(name, ordering, os_packages)


def sort_key(ordering: Ordering, versions: Iterable[str]) -> tuple[Ordering, Callable[[str], Any]]:
    """A sort key ordering every one of `versions` by `ordering`, and the ordering it follows: the
    generic key (GENERIC) when one of them is not a valid version under the ecosystem's rules, so that
    a whole package is ordered by one rule, never by two."""
    key = _KEYS[ordering]
    try:
        for version in versions:
            key(version)
    except ValueError:
        return Ordering.GENERIC, generic_key
    return ordering, key


def generic_key(version: str) -> tuple[tuple[int, int, str], ...]:
    """The fallback order: runs of digits compare as numbers, runs of letters alphabetically (any
    case), other characters only separate; a number sorts after a word at the same place; where one
    version ends, the other is newer if it goes on with a number ("1.2" < "1.2.1") and older if it goes
    on with a word, as pre-releases do ("1.2-rc1" < "1.2"). A leading "v" before a digit is dropped."""
    text = re.sub(r"^v(?=\d)", "", version.strip().lower())
    parts = [(3, int(p), "") if p.isdigit() else (1, 0, p) for p in re.findall(r"[0-9]+|[a-z]+", text)]
    return (*parts, (2, 0, ""))


def _pep440_key(version: str) -> Version:
    return Version(version)  # InvalidVersion is a ValueError


def _dpkg_key(version: str) -> tuple[int, tuple[Any, ...], tuple[Any, ...]]:
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


def _semver_key(version: str) -> tuple[int, int, int, tuple[Any, ...]]:
    """SemVer 2.0.0 precedence: a pre-release sorts before its release, its identifiers one by one
    (numbers before words), build metadata ignored."""
    match = _SEMVER.fullmatch(version.strip())
    if match is None:
        raise ValueError(f"not a semantic version: {version!r}")
    major, minor, patch, pre = match.groups()
    ids = tuple((0, int(p), "") if p.isdigit() else (1, 0, p) for p in (pre or "").split(".") if pre)
    return int(major), int(minor), int(patch), (0, ids) if pre else (1, ())


# apk-tools (src/version.c): digit{.digit}...{letter}{_suffix{digits}}...{~hash}{-r#}. Token kinds in
# the order the grammar allows them; a version that breaks it stops at an INVALID token.
_INITIAL, _DIGIT, _LETTER, _SUFFIX, _SUFFIX_NO, _HASH, _REVISION, _END, _INVALID = range(9)
_APK_SUFFIXES = {"alpha": 1, "beta": 2, "pre": 3, "rc": 4, "cvs": 6, "svn": 7, "git": 8, "hg": 9, "p": 10}
_APK_NO_SUFFIX = 5  # pre-release suffixes sort below it, post-release ones above
_APK_RUNS = {"digits": re.compile(r"[0-9]*"), "word": re.compile(r"[a-z]*"), "hex": re.compile(r"[0-9a-f]*")}


def _apk_token(text: str, pos: int, previous: int) -> tuple[int, str, int]:
    """The token at `pos` after one of kind `previous`: (kind, its text, where the next one starts)."""
    char, run = text[pos], _APK_RUNS["digits"]
    if "a" <= char <= "z" and previous <= _DIGIT:
        return _LETTER, char, pos + 1
    if (char == "." and previous <= _DIGIT) or (char.isascii() and char.isdigit()):
        kind = {_INITIAL: _DIGIT, _DIGIT: _DIGIT, _SUFFIX: _SUFFIX_NO}.get(previous, _INVALID)
        start = pos + (char == ".")
    elif char == "_" and previous <= _SUFFIX_NO:
        kind, start, run = _SUFFIX, pos + 1, _APK_RUNS["word"]
    elif char == "~" and previous < _HASH:
        kind, start, run = _HASH, pos + 1, _APK_RUNS["hex"]
    elif text.startswith("-r", pos) and previous < _REVISION:
        kind, start = _REVISION, pos + 2
    else:
        return _INVALID, "", pos
    value = next(run.finditer(text, start)).group()  # `*`: matches, if only the empty string
    valid = kind != _INVALID and value and (kind != _SUFFIX or value in _APK_SUFFIXES)
    return (kind, value, start + len(value)) if valid else (_INVALID, "", pos)


def _apk_tokens(version: str) -> list[tuple[int, str]]:
    """The version's tokens up to its end (an END token) or its first INVALID one."""
    first = next(_APK_RUNS["digits"].finditer(version)).group()
    tokens, pos = [(_INITIAL if first else _INVALID, first)], len(first)
    while tokens[-1][0] < _END:
        if pos == len(version):
            return [*tokens, (_END, "")]
        kind, value, pos = _apk_token(version, pos, tokens[-1][0])
        tokens.append((kind, value))
    return tokens


def _apk_token_cmp(kind: int, a: str, b: str) -> int:
    if kind in (_INITIAL, _SUFFIX_NO, _REVISION) or (kind == _DIGIT and a[0] != "0" and b[0] != "0"):
        left, right = int(a), int(b)  # a number with a leading zero compares as a string
        return (left > right) - (left < right)
    if kind == _SUFFIX:
        left, right = _APK_SUFFIXES[a], _APK_SUFFIXES[b]
        return (left > right) - (left < right)
    return (a > b) - (a < b)


def apk_compare(a: str, b: str) -> int:
    """-1, 0 or 1 as apk-tools orders Alpine versions `a` and `b` (`apk version -t a b`)."""
    kind_a = kind_b = _END
    value_a = value_b = ""
    for (kind_a, value_a), (kind_b, value_b) in zip(_apk_tokens(a), _apk_tokens(b), strict=False):
        if kind_a != kind_b or kind_a >= _END:
            break  # token lists end in END or INVALID: the loop always stops here
        if result := _apk_token_cmp(kind_a, value_a, value_b):
            return result
    if kind_a == kind_b:
        return 0
    if kind_a == _SUFFIX and _APK_SUFFIXES[value_a] < _APK_NO_SUFFIX:
        return -1
    if kind_b == _SUFFIX and _APK_SUFFIXES[value_b] < _APK_NO_SUFFIX:
        return 1
    return -1 if kind_a > kind_b else 1


_RPM_SEGMENT = re.compile(r"[^A-Za-z0-9~^]*(?:([~^])|([0-9]+)|([A-Za-z]+))?")


def rpmvercmp(a: str, b: str) -> int:
    """-1, 0 or 1 as rpm's rpmvercmp orders two version (or release) strings: segments of digits or
    letters, numbers newer than words, `~` before anything (even the end), `^` after the end only."""
    while True:
        ma, mb = next(_RPM_SEGMENT.finditer(a)), next(_RPM_SEGMENT.finditer(b))  # every group optional
        (sep_a, num_a, word_a), (sep_b, num_b, word_b) = ma.groups(), mb.groups()
        seg_a, seg_b = num_a or word_a, num_b or word_b
        if sep_a != sep_b and {sep_a, sep_b} & {"~", "^"}:
            return _rpm_separator(
                sep_a, sep_b, ended_a=not sep_a and not seg_a, ended_b=not sep_b and not seg_b
            )
        if not sep_a and (not seg_a or not seg_b):
            return 0 if not seg_a and not seg_b else (1 if seg_a else -1)
        if not sep_a and bool(num_a) != bool(num_b):
            return 1 if num_a else -1
        if not sep_a and (result := _rpm_segment_cmp(seg_a, seg_b, numeric=bool(num_a))):
            return result
        a, b = a[ma.end() :], b[mb.end() :]


def _rpm_separator(sep_a: str | None, sep_b: str | None, *, ended_a: bool, ended_b: bool) -> int:
    """One side has `~` or `^` where the other has something else, or has ended."""
    if "~" in (sep_a, sep_b):
        return -1 if sep_a == "~" else 1
    if ended_a or ended_b:  # the version that ended is the base of the other's `^` snapshot
        return -1 if ended_a else 1
    return -1 if sep_a == "^" else 1


def _rpm_segment_cmp(a: str | None, b: str | None, *, numeric: bool) -> int:
    a, b = a or "", b or ""
    if numeric:
        a, b = a.lstrip("0"), b.lstrip("0")
        if len(a) != len(b):
            return 1 if len(a) > len(b) else -1
    return (a > b) - (a < b)


def rpm_compare(a: str, b: str) -> int:
    """-1, 0 or 1 for two RPM `[epoch:]version[-release]` strings: epoch (0 when absent) first."""
    (epoch_a, version_a, release_a), (epoch_b, version_b, release_b) = _evr(a), _evr(b)
    if epoch_a != epoch_b:
        return 1 if epoch_a > epoch_b else -1
    return rpmvercmp(version_a, version_b) or rpmvercmp(release_a, release_b)


def _evr(text: str) -> tuple[int, str, str]:
    epoch, colon, rest = text.strip().partition(":")
    if not colon or not epoch.isdigit():
        epoch, rest = "0", text.strip()
    version, _, release = rest.rpartition("-") if "-" in rest else (rest, "", "")
    return int(epoch), version, release


_KEYS: dict[Ordering, Callable[[str], Any]] = {
    **{  # a fix plan asks the same versions many times: each is parsed once
        ordering: functools.lru_cache(maxsize=65_536)(key)
        for ordering, key in (
            (Ordering.PEP440, _pep440_key),
            (Ordering.DPKG, _dpkg_key),
            (Ordering.APK, functools.cmp_to_key(apk_compare)),
            (Ordering.RPM, functools.cmp_to_key(rpm_compare)),
            (Ordering.SEMVER, _semver_key),
        )
    },
    Ordering.GENERIC: generic_key,
}
