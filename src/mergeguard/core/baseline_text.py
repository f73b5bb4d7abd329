"""Reads a baseline as `baseline.dump` writes it, line by line; anything else is left to the YAML reader.

A 100,000-entry baseline takes seconds through a YAML composer and a tenth of that here. This
reader accepts only a strict subset of YAML: `version: 1`, `entries:`, then `- key: value` and
`  key: value` lines whose values are plain or single-quoted scalars (folded over several lines as
`yaml.safe_dump` folds them), with every key known and every value valid. For any other text, or
any invalid value, it answers None and `baseline.load` reads the file as YAML, which says what is
wrong and where. For every text it accepts, both readers give the same entries (tests/test_baseline_text.py).
"""

from __future__ import annotations

import datetime as dt
import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from mergeguard.core.baseline import BaselineEntry

# Anything but LF and printable characters (tabs, CR, controls, NEL, U+2028/9, a BOM) is left to YAML.
_UNUSUAL = re.compile(
    "[^\x0a\x20-\x7e\xa0-\u2027\u202a-\ud7ff\ue000-\ufefe\uff00-\ufffd\U00010000-\U0010ffff]"
)
_HEAD = re.compile(r"(?:#[^\n]*\n)*version: 1\nentries:(?: \[\])?\n")
_LINE = re.compile(r"(- |  )([a-z_]+): (.*)")
# A plain scalar that YAML reads as the same text: no indicator first, no `:`, `#` or quote inside.
_PLAIN = re.compile(r"[A-Za-z0-9_./(][^:#'\"]*")
_PLAIN_START = re.compile(r"[A-Za-z0-9_./(]")
_NULLS = frozenset({"~", "null", "Null", "NULL"})
_CONTINUED = re.compile(r"   +(\S.*)")  # a folded line: deeper than the keys
_FINGERPRINT = re.compile(r"[0-9a-f]{32}")
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
# One entry as `dump` writes it when every value fits on its line: matched whole, a line at a time.
_VALUE = r"([A-Za-z0-9_./(](?:[^:#'\"\n]*[^:#'\"\n ])?|'(?:[^'\n]|'')*')"
_ENTRY = re.compile(
    rf"- fingerprint: ([0-9a-f]{{32}})\n  tool: {_VALUE}\n  rule: {_VALUE}\n  path: {_VALUE}\n"
    rf"  reason: {_VALUE}\n(?:  accepted_by: {_VALUE}\n)?(?:  expires: ([0-9]{{4}}-[0-9]{{2}}-[0-9]{{2}})\n)?"
)
_KEYS = frozenset({"fingerprint", "tool", "rule", "path", "reason", "accepted_by", "expires"})
_REQUIRED = ("fingerprint", "tool", "rule", "path", "reason")


def parse(text: str, entry_type: type[BaselineEntry]) -> tuple[BaselineEntry, ...] | None:
    """The entries of `text` when it is in the form `baseline.dump` writes and valid, else None."""
    head = _HEAD.match(text)
    if head is None or _UNUSUAL.search(text):
        return None
    if head.group(0).endswith("[]\n"):
        return () if head.end() == len(text) else None
    quick = _quick(text, head.end(), entry_type)
    return quick if quick is not None else _by_lines(text[head.end() :], entry_type)


def _by_lines(body: str, entry_type: type[BaselineEntry]) -> tuple[BaselineEntry, ...] | None:
    """The entries read a line at a time (values folded over lines, keys in any order)."""
    lines = body.split("\n")
    rows = _rows(lines[:-1]) if lines[-1] == "" else None
    if rows is None:
        return None
    entries = [_entry(row, entry_type) for row in rows]
    if None in entries or len({e.fingerprint for e in entries if e}) != len(entries):
        return None  # YAML's reading names the problem and its line
    return tuple(e for e in entries if e)


def _quick(text: str, start: int, entry_type: type[BaselineEntry]) -> tuple[BaselineEntry, ...] | None:
    """The entries when every one is in `_ENTRY`'s form (one regex match each), else None."""
    entries = []
    at = start
    for match in _ENTRY.finditer(text, start):
        if match.start() != at:
            return None
        at = match.end()
        found = match.groups()
        quoted = "'" in match.group(0)  # rare: most values are written plain
        fingerprint, tool, rule, path, reason, by, expires = map(_unquoted, found) if quoted else found
        by = by or ""
        if not reason.strip() or _NULLS.intersection((tool, rule, path, reason, by)):
            return None
        try:
            date = dt.date.fromisoformat(expires) if expires else None
        except ValueError:
            return None
        entries.append(entry_type(fingerprint, tool, rule, path, reason, by, date))
    if at != len(text) or len({e.fingerprint for e in entries}) != len(entries):
        return None
    return tuple(entries)


def _unquoted(value: str | None) -> str:
    """A matched value's text: a single-quoted one unquoted, an absent one ("" or no date) empty."""
    if value is None:
        return ""
    return value[1:-1].replace("''", "'") if value.startswith("'") else value


def _rows(lines: list[str]) -> list[dict[str, str]] | None:
    """Each entry's keys and values as text, or None at the first line outside the subset."""
    rows: list[dict[str, str]] = []
    i = 0
    while i < len(lines):
        match = _LINE.fullmatch(lines[i])
        if match is None or (match.group(1) == "  " and not rows):
            return None
        lead, key, raw = match.groups()
        i += 1
        while i < len(lines) and (more := _CONTINUED.fullmatch(lines[i])):
            if not raw.startswith("'") and not _PLAIN_START.match(more.group(1)):
                return None
            raw = f"{raw.rstrip(' ')} {more.group(1)}"  # YAML folds a line break and its indent to a space
            i += 1
        value = _scalar(raw)
        if value is None or key not in _KEYS:
            return None
        if lead == "- ":
            rows.append({})
        if key in rows[-1]:
            return None
        rows[-1][key] = value
    return rows


def _scalar(raw: str) -> str | None:
    """The text of a plain or single-quoted scalar written as `raw`, None for any other kind."""
    if raw.startswith("'"):
        inner = raw[1:-1] if len(raw) > 1 and raw.endswith("'") else None
        if inner is None or "'" in inner.replace("''", ""):
            return None
        return inner.replace("''", "'")
    if raw in _NULLS or raw != raw.rstrip(" ") or not _PLAIN.fullmatch(raw):
        return None
    return raw


def _entry(row: dict[str, str], entry_type: type[BaselineEntry]) -> BaselineEntry | None:
    if any(key not in row for key in _REQUIRED) or not row["reason"].strip():
        return None
    if not _FINGERPRINT.fullmatch(row["fingerprint"]):
        return None
    expires = None
    if "expires" in row:
        if not _DATE.fullmatch(row["expires"]):
            return None
        try:
            expires = dt.date.fromisoformat(row["expires"])
        except ValueError:
            return None
    values = {key: value for key, value in row.items() if key != "expires"}
    return entry_type(**values, expires=expires)
