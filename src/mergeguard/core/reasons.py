"""Failure reasons a person can act on: a tool's last meaningful error line, redacted and made one line."""

from __future__ import annotations

import math
import re
from collections import Counter

_MAX_CHARS = 300
_ANSI = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?")
# Lines that say nothing about the cause: Python traceback scaffolding (the exception line comes
# last, after its frames), caret markers, progress bars and rules.
_NOISE = (
    re.compile(r"^Traceback \(most recent call last\):"),
    re.compile(r'^File ".*", line \d+'),
    re.compile(r"^(During handling of the above exception|The above exception was the direct cause)"),
    re.compile(r"^[\^~\s]+$"),
    re.compile(r"^[-=_*#.\s]+$"),
    re.compile(r"^\s*\d{1,3}(\.\d+)?%"),
    re.compile(r"\d{1,3}%\s*\|"),
    re.compile(r"[█▏▎▍▌▋▊▉░▒▓]{2,}|\[[=#>\-. ]{8,}\]"),
)
# Secrets that could sit in an error line: provider tokens first, then `key=value` credentials.
_SECRETS = (
    re.compile(r"-----BEGIN[A-Z ]*PRIVATE KEY-----.*?(?:-----END[A-Z ]*PRIVATE KEY-----|\Z)", re.DOTALL),
    re.compile(r"\b(?:AKIA|ASIA|ABIA|ACCA|AGPA|AIDA|AIPA|ANPA|ANVA|APKA|AROA)[A-Z0-9]{16}\b"),
    re.compile(r"\b(?:gh[pousr]_[A-Za-z0-9]{20,}|github_pat_[A-Za-z0-9_]{20,})"),
    re.compile(r"\b(?:xox[abposr]-[A-Za-z0-9-]{10,}|sk_live_[A-Za-z0-9]{10,}|glpat-[A-Za-z0-9_-]{20,})"),
    re.compile(r"(?i)\bbearer\s+[A-Za-z0-9._~+/=-]{8,}"),
)
_ASSIGNED = re.compile(
    r"(?i)((?:password|passwd|pwd|secret|token|api[_-]?key|access[_-]?key|private[_-]?key|credentials?|auth)"
    r"[\"']?\s*[=:]\s*)(\"[^\"]*\"|'[^']*'|[^\s,;&]+)"
)
_URL_CREDENTIALS = re.compile(r"(://)[^/\s:@]+:[^/\s@]+@")
_WORD = re.compile(r"[A-Za-z0-9+/=_-]{20,}")
_PATH_PART = re.compile(r"[a-z][a-z_.-]{2,}")
_HEX = re.compile(r"[0-9a-fA-F]{32,}")
REDACTED = "[redacted]"


def exit_reason(code: int, stderr: str) -> str:
    """`exited with status N: LINE`, LINE from stderr (never stdout: that is the report)."""
    return f"exited with status {code}: {last_line(stderr)}"


def last_line(stderr: str) -> str:
    """The last line of `stderr` that says something (redacted, one line), or "no error output"."""
    for raw in reversed(stderr.splitlines()):
        line = _ANSI.sub("", raw.rsplit("\r", 1)[-1]).strip()
        if line and not any(pattern.search(line) for pattern in _NOISE):
            return clean(line)
    return "no error output"


def clean(text: str) -> str:
    """`text` with anything that looks like a credential masked, as one printable line."""
    return one_line(redact(text))


def redact(text: str) -> str:
    """Provider tokens, private keys, `password=`-style values and high-entropy words masked."""
    for pattern in _SECRETS:
        text = pattern.sub(REDACTED, text)
    text = _ASSIGNED.sub(lambda m: m.group(1) + REDACTED, text)
    text = _URL_CREDENTIALS.sub(r"\1" + REDACTED + "@", text)
    return _WORD.sub(lambda m: REDACTED if _random(m.group(0)) else m.group(0), text)


def one_line(text: str) -> str:
    """Control characters escaped (no line breaks, no terminal escapes), no leading `::`, bounded."""
    escaped = "".join(_escape(char) for char in text)
    escaped = re.sub(r"^[\s:]+", "", escaped)
    return escaped if len(escaped) <= _MAX_CHARS else escaped[:_MAX_CHARS] + "..."


def _escape(char: str) -> str:
    code = ord(char)
    if (
        code < 0x20
        or 0x7F <= code <= 0x9F
        or char in "\u2028\u2029\u200e\u200f\u202a\u202b\u202c\u202d\u202e"
    ):
        return f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}"
    return char


def _random(word: str) -> bool:
    """A long hex string, or a word mixing upper, lower case and digits with high entropy: a key."""
    if _HEX.fullmatch(word):
        return True
    if word.startswith("/") or any(_PATH_PART.fullmatch(part) for part in word.split("/")[:-1]):
        return False  # a path (absolute, or with a plain lower-case directory name), not a key
    if not all(re.search(cls, word) for cls in (r"\d", r"[a-z]", r"[A-Z]")):
        return False
    counts = Counter(word)
    entropy = -sum(n / len(word) * math.log2(n / len(word)) for n in counts.values())
    return entropy >= 3.5
