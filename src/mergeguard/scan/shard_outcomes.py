"""A scanner's outcome in a shard report: every field written, and read back naming any field that is off.

A report is read like any input: a field that is missing or not what `outcome_dict` writes is a
FieldError naming its JSON path (`.findings[0].location`) and what was expected there.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from mergeguard.core.jsonfields import Fail, each, field, got, maybe, need
from mergeguard.core.model import Finding, Kind, Location, Package, Severity, SeverityNote, Sighting
from mergeguard.core.outcome import Misclassified, Oversized, ScanOutcome, Status

_E = TypeVar("_E")


def outcome_dict(outcome: ScanOutcome) -> dict[str, Any]:
    """One scanner's outcome with its findings before dedupe, every field (evidence is hashed)."""
    dropped, over = outcome.misclassified, outcome.oversized
    return {
        "scanner": outcome.scanner,
        "status": outcome.status.value,
        "reason": outcome.reason,
        "version": outcome.version,
        "duration_s": outcome.duration_s,
        "misclassified": None if dropped is None else [dropped.count, dropped.kinds, dropped.paths],
        "oversized": None if over is None else [over.limit_bytes, over.paths],
        "findings": [finding_dict(f) for f in outcome.findings],
    }


def finding_dict(f: Finding) -> dict[str, Any]:
    """Every field of a finding, to be read back by `finding_from`."""
    loc, pkg, note = f.location, f.package, f.severity_note
    return {
        "tool": f.tool,
        "rule_id": f.rule_id,
        "severity": f.severity.label,
        "title": f.title,
        "message": f.message,
        "location": [loc.path, loc.start_line, loc.end_line, loc.column],
        "kind": f.kind.value,
        "package": None if pkg is None else [pkg.name, pkg.installed, pkg.fixed, pkg.ecosystem],
        "cve_ids": list(f.cve_ids),
        "cwe_ids": list(f.cwe_ids),
        "help_uri": f.help_uri,
        "commit": f.commit,
        "evidence": f.evidence,
        "fingerprint": f.fingerprint,
        "also": [[s.tool, s.rule_id] for s in f.also],
        "severity_note": None if note is None else [note.original.label, note.reason],
    }


def outcome_from(data: object) -> ScanOutcome:
    """An outcome written by `outcome_dict`; FieldError naming the field (its JSON path) when it is not."""
    return ScanOutcome(*(field(data, key, read) for key, read in _OUTCOME_FIELDS))


def finding_from(data: object) -> Finding:
    """A finding written by `finding_dict`; FieldError naming the field when it is not."""
    return Finding(*(field(data, key, read) for key, read in _FINDING_FIELDS))


def text(value: object) -> str:
    """`value` when it is a string (TypeError otherwise): for the fields of a shard report."""
    return need(value, str, _expected("a string"))


def whole(value: object) -> int:
    """`value` when it is a whole number (TypeError otherwise)."""
    return need(value, int, _expected("a whole number"))


def _expected(what: str) -> Fail:
    return lambda value: TypeError(f"expected {what}, got {got(value)}")


def _opt(value: object) -> str | None:
    return maybe(value, str, _expected("a string or null"))


def _strs(values: object) -> tuple[str, ...]:
    return each(values, text)


def _number(value: object) -> float:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    raise TypeError(f"expected a number, got {got(value)}")


def row(value: object, what: str) -> list[Any]:
    """A list of as many items as `what` names ("[a, b]"); TypeError saying so otherwise."""
    if isinstance(value, list) and len(value) == what.count(",") + 1:
        return value
    raise TypeError(f"expected {what}, got {got(value)}")


def _one_of(kind: Callable[[str], _E], values: Iterable[str]) -> Callable[[object], _E]:
    """A reader of a text that is one of `values` (an enum's)."""

    def read(value: object) -> _E:
        if isinstance(value, str) and value in values:
            return kind(value)
        raise ValueError(f"expected one of {', '.join(values)}, got {got(value)}")

    return read


def _severity(value: object) -> Severity:
    return Severity.parse(text(value))


def _location(value: object) -> Location:
    path, start, end, column = row(value, "[path, start line, end line, column]")
    return Location(text(path), whole(start), whole(end), None if column is None else whole(column))


def _package(value: object) -> Package | None:
    if value is None:
        return None
    name, installed, fixed, ecosystem = row(value, "null or [name, installed, fixed, ecosystem]")
    return Package(text(name), text(installed), _opt(fixed), _opt(ecosystem))


def _also(value: object) -> tuple[Sighting, ...]:
    return each(value, lambda item: Sighting(*map(text, row(item, "[tool, rule id]"))))


def _note(value: object) -> SeverityNote | None:
    if value is None:
        return None
    original, reason = row(value, "null or [severity, reason]")
    return SeverityNote(_severity(original), text(reason))


def _misclassified(value: object) -> Misclassified | None:
    if value is None:
        return None
    count, kinds, paths = row(value, "null or [count, kinds, paths]")
    return Misclassified(whole(count), _strs(kinds), _strs(paths))


def _oversized(value: object) -> Oversized | None:
    if value is None:
        return None
    limit, paths = row(value, "null or [limit in bytes, paths]")
    return Oversized(whole(limit), _strs(paths))


# Each class's fields in its order, with the reader of each: a bad one is named by its JSON path.
_FINDING_FIELDS: tuple[tuple[str, Callable[[Any], Any]], ...] = (
    ("tool", text),
    ("rule_id", text),
    ("severity", _severity),
    ("title", text),
    ("message", text),
    ("location", _location),
    ("kind", _one_of(Kind, [k.value for k in Kind])),
    ("package", _package),
    ("cve_ids", _strs),
    ("cwe_ids", _strs),
    ("help_uri", _opt),
    ("commit", _opt),
    ("evidence", text),
    ("fingerprint", text),
    ("also", _also),
    ("severity_note", _note),
)
_OUTCOME_FIELDS: tuple[tuple[str, Callable[[Any], Any]], ...] = (
    ("scanner", text),
    ("status", _one_of(Status, [s.value for s in Status])),
    ("findings", lambda value: each(value, finding_from)),
    ("reason", text),
    ("version", text),
    ("duration_s", _number),
    ("misclassified", _misclassified),
    ("oversized", _oversized),
)
