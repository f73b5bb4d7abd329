"""The committed baseline of accepted findings: read strictly, matched by fingerprint, written atomically."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import yaml

from mergeguard.core import baseline_text, yamlfile, yamlsafe
from mergeguard.core.errors import BaselineError
from mergeguard.core.files import write_atomic
from mergeguard.core.model import Finding

if TYPE_CHECKING:
    from mergeguard.core.basepolicy import PolicyFiles

BASELINE_FILE = ".mergeguard-baseline.yml"
VERSION = 1
_FINGERPRINT = re.compile(r"[0-9a-f]{32}")
_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}|[0-9]{8}")  # YYYY-MM-DD, or YYYYMMDD
_KEYS = ("fingerprint", "tool", "rule", "path", "reason", "accepted_by", "expires")
_HEADER = (
    "# mergeguard baseline: findings accepted on purpose, matched by fingerprint (not by line).\n"
    "# Every entry needs a reason; `expires` (YYYY-MM-DD) makes the finding fail the gate again from\n"
    "# that day. `mergeguard baseline update` adds new findings and keeps what is written here.\n"
)


@dataclass(frozen=True, slots=True)
class BaselineEntry:
    """One accepted finding: its fingerprint, what it was, why it is accepted, by whom, until when."""

    fingerprint: str
    tool: str
    rule: str
    path: str
    reason: str
    accepted_by: str = ""
    expires: dt.date | None = None

    def expired(self, today: dt.date) -> bool:
        """True from the expiry date on: an acceptance "until 2027-01-31" ends on that day."""
        return self.expires is not None and today >= self.expires


def path_for(named: str | None, root: Path) -> Path:
    """Where the baseline is: the named file, else ROOT/.mergeguard-baseline.yml."""
    return Path(named) if named else root / BASELINE_FILE


def resolve(named: str | None, root: Path, files: PolicyFiles | None = None) -> tuple[BaselineEntry, ...]:
    """The named baseline (which must exist), else ROOT's default one if present, else none.

    In PR mode (`files` read at the base) the base's copy is read: absent there, none.
    """
    path = path_for(named, root)
    loaded = files.load(path, load) if files and files.from_base else None
    if named and loaded is None and not path.is_file():
        raise BaselineError(str(path), None, "(file)", "baseline file not found")
    if files is not None and files.from_base:
        return loaded or ()
    return load(path) if path.is_file() else ()


def load(path: Path) -> tuple[BaselineEntry, ...]:
    """The entries of the baseline at `path`; BaselineError (file, line, key) for anything invalid."""
    text = yamlsafe.read(path, BaselineError)
    written = baseline_text.parse(text, BaselineEntry)  # the file as `dump` wrote it: read fast
    if written is not None:
        return written
    root = yamlsafe.compose_text(text, str(path), BaselineError)
    reader = yamlfile.NodeReader(str(path), BaselineError)
    if root is None:
        raise BaselineError(str(path), None, "(file)", "is empty (a baseline has `version` and `entries`)")
    items = reader.mapping(root, "(top level)", ("version", "entries"))
    if "version" not in items:
        reader.fail(root, "version", "is missing")
    version = reader.scalar(items["version"][1], "version", (int, str), "a whole number", _whole_number)
    if version != VERSION:
        reader.fail(
            items["version"][1], "version", f"{version} is not supported (this mergeguard reads {VERSION})"
        )
    nodes = reader.sequence(items["entries"][1], "entries", "entries") if "entries" in items else []
    entries = tuple(_entry(reader, node, f"entries[{i}]") for i, node in enumerate(nodes))
    _no_duplicates(reader, nodes, entries)
    return entries


def _entry(reader: yamlfile.NodeReader, node: yaml.Node, key: str) -> BaselineEntry:
    items = reader.mapping(node, key, _KEYS)
    for required in ("fingerprint", "tool", "rule", "path", "reason"):
        if required not in items:
            reader.fail(node, f"{key}.{required}", "is missing")
    values = {
        name: reader.literal(value, f"{key}.{name}")
        for name, (_, value) in items.items()
        if name != "expires" and not (name == "accepted_by" and yamlfile.is_null(value))  # no one named
    }
    values["fingerprint"] = values["fingerprint"].lower()  # as copied from a tool that shows it in capitals
    if not _FINGERPRINT.fullmatch(values["fingerprint"]):
        reader.fail(items["fingerprint"][1], f"{key}.fingerprint", "must be 32 hex digits")
    if not values["reason"].strip():
        reader.fail(items["reason"][1], f"{key}.reason", "must say why the finding is accepted")
    expires = items.get("expires", (None, None))[1]
    return BaselineEntry(
        **values, expires=_date(reader, expires, f"{key}.expires") if expires is not None else None
    )


def _whole_number(value: int | str) -> int:
    """`1` or `'1'`."""
    try:
        return int(value)
    except ValueError:
        raise ValueError(f"must be a whole number, got {value!r}") from None


def _date(reader: yamlfile.NodeReader, node: yaml.Node, key: str) -> dt.date | None:
    """The day an acceptance ends; `expires: null` (or nothing after it) is no end, as no `expires`."""
    if yamlfile.is_null(node):
        return None
    if isinstance(node, yaml.ScalarNode) and _DAY.fullmatch(text := str(node.value).strip()):
        try:  # written as a number (`20270101`, an int to YAML) or a day YAML cannot make (`2027-02-30`)
            return dt.date.fromisoformat(text)
        except ValueError:
            reader.fail(node, key, f"{text!r}: no such day")
    value = reader.scalar(node, key, (dt.date, str), "a date (YYYY-MM-DD)", lambda v: v)
    if isinstance(value, dt.datetime):  # a timestamp (`2026-12-31T00:00:00Z`): its day, as written
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:  # quoted: a date, or a timestamp whose day it is
        return dt.datetime.fromisoformat(value.strip()).date()
    except ValueError:
        reader.fail(node, key, f"must be a date (YYYY-MM-DD), got {value!r}")


def _no_duplicates(
    reader: yamlfile.NodeReader, nodes: list[yaml.Node], entries: Sequence[BaselineEntry]
) -> None:
    seen: set[str] = set()
    for i, (node, entry) in enumerate(zip(nodes, entries, strict=True)):
        if entry.fingerprint in seen:
            reader.fail(node, f"entries[{i}].fingerprint", "appears twice")
        seen.add(entry.fingerprint)


def dump(entries: Iterable[BaselineEntry]) -> str:
    """The baseline file's text: a stable order, no timestamps, so it only changes when entries do."""
    rows = []
    for entry in sorted(entries, key=lambda e: (e.path, e.tool, e.rule, e.fingerprint)):
        row: dict[str, object] = {k: getattr(entry, k) for k in _KEYS if getattr(entry, k) not in ("", None)}
        rows.append(row)
    body = yaml.dump(
        {"version": VERSION, "entries": rows},
        Dumper=_PlainDumper,
        sort_keys=False,
        allow_unicode=True,
        width=100,
    )
    return _HEADER + body


class _PlainDumper(yaml.SafeDumper):
    """Every value written where it is: entries sharing one expiry date (`--expires`) would otherwise
    get an anchor and aliases, which `load` refuses in a baseline."""

    def ignore_aliases(self, data: object) -> bool:
        return True


def save(path: Path, entries: Iterable[BaselineEntry]) -> None:
    """Write the baseline atomically (a temporary file and a rename)."""
    write_atomic(path, dump(entries))


def accept(findings: Iterable[Finding], reason: str, by: str, expires: dt.date | None) -> list[BaselineEntry]:
    """Entries accepting `findings`, one per fingerprint."""
    entries = {
        f.fingerprint: BaselineEntry(f.fingerprint, f.tool, f.rule_id, f.location.path, reason, by, expires)
        for f in findings
    }
    return list(entries.values())


def update(existing: Sequence[BaselineEntry], new: Iterable[BaselineEntry]) -> list[BaselineEntry]:
    """`existing` untouched (their reasons and expiry kept) plus the `new` entries not already there."""
    known = {e.fingerprint for e in existing}
    return [*existing, *(e for e in new if e.fingerprint not in known)]


def prune(existing: Sequence[BaselineEntry], stale: Iterable[BaselineEntry]) -> list[BaselineEntry]:
    """`existing` without the stale entries."""
    gone = {e.fingerprint for e in stale}
    return [e for e in existing if e.fingerprint not in gone]
