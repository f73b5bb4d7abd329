"""Version orders that are comparisons: apk-tools' for Alpine, rpmvercmp with epoch and release for RPM."""

from __future__ import annotations

import re

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
